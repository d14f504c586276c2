"""Starting a matching run: bad weights, rules, terms, schools or kinds are refused and
nothing is written; the inputs are stored and reproduce the proposal.
"""

import dataclasses

import pytest

from core.errors import DomainError, NotPermitted
from mentoring.matching.candidates import Weights
from mentoring.matching.problem import solve_inputs
from mentoring.models import District
from tests.mentoring.match_runs.match_scene import ACADEMIC, CARE, TODAY, proposal, row_counts
from workers.factories import TermFactory

# Validation: nothing is written


@pytest.mark.parametrize(
    "weights",
    [
        {"kindness": 5},
        {"subject_miss": -1},
        {"grade_miss": True},
        {"continuity": 2.5},
        {"continuity": "20"},
        {"load_step": 100_001},
        {"unmatched": []},
        {"unmatched": 400},
        {"unmatched": [400, -1]},
        {"unmatched": [400, False]},
        {"max_candidates": 0},
    ],
)
def test_bad_weights_are_refused_naming_weights_and_nothing_is_written(scene, run_match, weights):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, weights=weights)

    assert refused.value.field == "weights"
    assert refused.value.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    "rules",
    [
        {"same_gender_for_all": True},
        {"same_gender_from_age": 21},
        {"same_gender_from_age": -1},
        {"same_gender_from_age": "12"},
        {"same_gender_from_age": True},
        {"same_gender_from_age": 12.5},
    ],
)
def test_bad_rules_are_refused_naming_rules_and_nothing_is_written(scene, run_match, rules):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, rules=rules)

    assert refused.value.field == "rules"
    assert refused.value.status_code == 400
    assert row_counts() == before


def test_a_term_of_another_district_is_unknown_and_nothing_is_written(scene, run_match):
    other = TermFactory()
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=other)

    assert refused.value.field == "term"
    assert refused.value.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize("which", ["school_b", "missing"])
def test_schools_the_starter_does_not_administer_are_refused(scene, run_match, which):
    school_id = scene.school_b.pk if which == "school_b" else 999_999
    before = row_counts()

    with pytest.raises(NotPermitted) as refused:
        run_match(by=scene.admin, term=scene.term, school_ids=[scene.school_a.pk, school_id])

    assert refused.value.field == "schools"
    assert row_counts() == before


@pytest.mark.parametrize("kinds", [[], ["tutoring"], [ACADEMIC, "sponsorship"]])
def test_unknown_kinds_are_refused(scene, run_match, kinds):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, kinds=kinds)

    assert refused.value.field == "kinds"
    assert row_counts() == before


# Reproducing a run


def test_inputs_weights_and_rules_are_stored_and_reproduce_the_proposal(scene, run_match):
    run = run_match(
        by=scene.admin,
        term=scene.term,
        kinds=[CARE, ACADEMIC],
        weights={"subject_miss": 50, "unmatched": [500, 300, 100]},
        rules={"same_gender_from_age": 11},
    )

    assert run.kinds == [ACADEMIC, CARE]
    assert run.weights == {
        **dataclasses.asdict(Weights()),
        "subject_miss": 50,
        "unmatched": [500, 300, 100],
    }
    assert run.rules == {"same_gender_from_age": 11}
    assert run.inputs["term"] == "2026-autumn"
    assert run.inputs["vetted_on"] == TODAY.isoformat()
    assert {m["id"] for m in run.inputs["mentors"]} == {
        scene.m(k) for k in ("p1", "p2", "t1", "vetted", "unvetted", "leader")
    }
    reproduced = {}
    for kind in run.kinds:
        result, _reasons, _why = solve_inputs(
            run.inputs, weights=run.weights, rules=run.rules, kind=kind
        )
        reproduced.update({(p.student, kind): p.mentor for p in result.pairs if not p.locked})
    assert reproduced == proposal(run)
    assert reproduced


def test_default_rules_apply_same_gender_from_age_12(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert run.rules == {"same_gender_from_age": 12}
    assert run.weights == dataclasses.asdict(Weights()) | {"unmatched": [400, 300, 200]}


def test_switching_the_safeguarding_rule_off_lets_the_older_boy_be_matched(scene, run_match):
    # The district's standing policy switches it off; a run cannot (below).
    District.objects.filter(pk=scene.term.district_id).update(same_gender_from_age=None)
    run = run_match(by=scene.admin, term=scene.term, rules={"same_gender_from_age": None})

    assert (scene.s("unmatchable"), ACADEMIC) in proposal(run)
    assert run.summary["kinds"][ACADEMIC]["unmatched"] == 0
