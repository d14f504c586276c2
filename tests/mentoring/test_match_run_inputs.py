"""A run's stored inputs, packed (mentoring.matching.run_inputs): exact round trip, reproduced."""

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentoring.matching import run_inputs
from mentoring.matching.problem import load_inputs, solve_inputs
from mentoring.models import MatchRun, PairingKind, ProposedPair
from tests.mentoring.match_runs.match_scene import build_scene, clock, run_match  # noqa: F401

ACADEMIC, CARE = PairingKind.ACADEMIC, PairingKind.CARE


@pytest.fixture
def scene(db, clock):  # noqa: F811
    return build_scene()


ids = st.integers(1, 10**12)
names = st.text(max_size=8)  # any text: Chinese, quotes, backslashes, control characters
students = st.fixed_dictionaries(
    {
        "id": ids,
        "school": ids,
        "grade": st.integers(1, 12),
        "gender": st.sampled_from(["male", "female"]),
        "age": st.integers(3, 20),
        "weak_subjects": st.lists(names, max_size=3),
        "need_rank": st.none() | st.integers(0, 5),
        "previous_mentor": st.none() | ids,
    }
)
mentors = st.fixed_dictionaries(
    {
        "id": ids,
        "kind": names,
        "gender": names,
        "capacity": st.integers(0, 10),
        "minimum": st.integers(0, 3),
        "subjects": st.lists(names, max_size=3),
        "grades": st.lists(st.integers(1, 12), max_size=3),
        "schools": st.lists(ids, max_size=3),
        "vetted_until": st.none() | st.dates().map(lambda d: d.isoformat()),
        "conflicts": st.lists(ids, max_size=3),
    }
)
inputs = st.fixed_dictionaries(
    {
        "term": names,
        "students": st.dictionaries(st.sampled_from([ACADEMIC, CARE]), st.lists(students)),
        "mentors": st.lists(mentors),
        "locked": st.dictionaries(
            st.sampled_from([ACADEMIC, CARE]), st.lists(st.lists(ids, min_size=2, max_size=2))
        ),
        "load": st.dictionaries(ids.map(str), st.integers(0, 10)),
        "vetted_on": st.dates().map(lambda d: d.isoformat()),
    }
)


@settings(max_examples=200, deadline=None)
@given(inputs)
def test_packing_round_trips_exactly(value):
    packed = run_inputs.pack(value)

    assert isinstance(packed, bytes)
    assert run_inputs.unpack(packed) == value


def test_packing_is_column_by_column_and_compressed():
    rows = [
        {"id": i, "school": 7, "grade": 3, "gender": "female", "weak_subjects": ["math"]}
        for i in range(1000)
    ]
    value = {"students": {ACADEMIC: rows}, "mentors": [], "term": "t"}
    packed = run_inputs.pack(value)

    plain = json.loads(zlib.decompress(packed))
    assert plain["students"][ACADEMIC]["names"] == [
        "id",
        "school",
        "grade",
        "gender",
        "weak_subjects",
    ]
    assert plain["students"][ACADEMIC]["columns"][0] == list(range(1000))
    assert len(packed) < len(json.dumps(value)) / 10


def test_rows_with_different_keys_are_refused():
    with pytest.raises(ValueError, match="same keys"):
        run_inputs.pack({"students": {}, "mentors": [{"id": 1}, {"id": 2, "kind": "x"}]})
    with pytest.raises(ValueError, match="same keys"):
        run_inputs.pack({"students": {}, "mentors": [{"id": 1, "kind": "x"}, {"id": 2}]})


def test_an_unknown_format_is_refused():
    data = zlib.compress(json.dumps({"format": 99, "students": {}, "mentors": []}).encode())
    with pytest.raises(ValueError, match="unknown format"):
        run_inputs.unpack(data)


def test_a_run_stores_its_inputs_packed_and_reads_them_as_loaded(scene, run_match):  # noqa: F811
    run = run_match(by=scene.admin, term=scene.term, kinds=[ACADEMIC, CARE])

    stored = MatchRun.objects.get(pk=run.pk)
    assert isinstance(bytes(stored.packed_inputs), bytes)
    assert stored.inputs == load_inputs(stored)
    assert stored.inputs["students"][ACADEMIC] and stored.inputs["students"][CARE]
    # Setting the inputs packs them; None clears them.
    stored.inputs = {**stored.inputs, "term": "other"}
    assert run_inputs.unpack(stored.packed_inputs)["term"] == "other"
    assert stored.inputs["term"] == "other"
    stored.inputs = None
    assert stored.packed_inputs is None and stored.inputs is None


def test_the_stored_inputs_reproduce_every_pair_its_cost_and_reasons(scene, run_match):  # noqa: F811
    run = run_match(by=scene.admin, term=scene.term, kinds=[ACADEMIC, CARE])
    stored = MatchRun.objects.get(pk=run.pk)

    reproduced = {}
    for kind in stored.kinds:
        result, reasons, _why = solve_inputs(
            stored.inputs, weights=stored.weights, rules=stored.rules, kind=kind
        )
        for p in result.pairs:
            if not p.locked:
                reproduced[(p.student, kind)] = (p.mentor, p.cost, reasons[(p.student, p.mentor)])
    written = {
        (p.pairing.student_id, p.pairing.kind): (p.pairing.mentor_id, p.cost, p.reasons)
        for p in ProposedPair.objects.filter(run=stored).select_related("pairing")
    }
    assert reproduced == written
    assert {kind for _student, kind in written} == {ACADEMIC, CARE}


@pytest.mark.django_db(transaction=True)
def test_the_migration_packs_stored_inputs_and_unpacks_them_back():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from workers.factories import TermFactory, UserFactory

    term, user = TermFactory(), UserFactory()
    stored = {
        "term": term.code,
        "students": {ACADEMIC: [{"id": 1, "weak_subjects": ["math"], "need_rank": None}]},
        "mentors": [{"id": 7, "subjects": ["数学"], "vetted_until": None}],
        "locked": {},
        "load": {"7": 1},
        "vetted_on": "2026-09-01",
    }
    before, after = (
        [("workers", "0006_weekly_and_report_jobs")],
        [("workers", "0007_match_run_packed_inputs")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        OldRun = old.get_model("workers", "MatchRun")
        with_inputs = OldRun.objects.create(
            term_id=term.pk, created_by_id=user.pk, kinds=[ACADEMIC], inputs=stored
        )
        without = OldRun.objects.create(term_id=term.pk, created_by_id=user.pk, kinds=[ACADEMIC])

        MigrationExecutor(connection).migrate(after)
        assert MatchRun.objects.get(pk=with_inputs.pk).inputs == stored
        assert MatchRun.objects.get(pk=without.pk).packed_inputs is None

        MigrationExecutor(connection).migrate(before)
        assert OldRun.objects.get(pk=with_inputs.pk).inputs == stored
        assert OldRun.objects.get(pk=without.pk).inputs is None
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
