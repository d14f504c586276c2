"""Committee quotas for any quotas and students (hypothesis property tests).

Whatever the committees' quotas and the approved students of each committee
(some with none on record), one allocation never gives a committee more than
its quota; each student is either awarded or named as left out, and a
committee named as full holds exactly its quota. The counting rule itself
(`CommitteeCaps`) is checked on plain data with many more cases.
"""

from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from donations.models import Award
from donations.services.allocation import allocate
from donations.services.committee_quotas import CommitteeCaps
from tests.donations.committees.committee_scene import approved_student, build, living_subsidy

COMMITTEES = 3

SCENES = st.fixed_dictionaries(
    {
        # Places per committee; None: the committee has no quota this term.
        "quotas": st.lists(
            st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
            min_size=COMMITTEES,
            max_size=COMMITTEES,
        ),
        # The committee of each approved student (None: none on record), in order of need.
        "students": st.lists(
            st.one_of(st.none(), st.integers(min_value=0, max_value=COMMITTEES - 1)), max_size=12
        ),
        # How many of them were awarded by an earlier run (counted against the quotas).
        "earlier": st.integers(min_value=0, max_value=4),
    }
)


def check(scene_spec):
    scene = build(committees=COMMITTEES)
    quotas = scene_spec["quotas"]
    project = living_subsidy(scene)
    project.committee_quotas.all().delete()
    for committee, places in zip(scene.committees, quotas, strict=True):
        if places is not None:
            project.committee_quotas.create(term=scene.term, committee=committee, places=places)
    committee_of = {}
    specs = scene_spec["students"]
    earlier, later = specs[: scene_spec["earlier"]], specs[scene_spec["earlier"] :]
    for batch in (earlier, later):
        for n, committee in enumerate(batch):
            student = approved_student(scene, committee=committee, need=100 - n)
            committee_of[student.pk] = (
                scene.committees[committee].pk if committee is not None else None
            )
        allocation = allocate(by=scene.district_admin, project=project, term=scene.term)

    places_of = {c.pk: places for c, places in zip(scene.committees, quotas, strict=True) if places}
    awarded = list(Award.objects.filter(project=project).values_list("student", flat=True))
    per_committee = Counter(committee_of[s] for s in awarded)
    assert None not in per_committee
    for committee, count in per_committee.items():
        assert count <= places_of[committee]
    # The last run names everyone it left out; earlier runs' awards stand.
    left_out = {row["student"]: row for row in allocation.left_out}
    assert set(left_out) | set(awarded) == set(committee_of)
    assert not set(left_out) & set(awarded)
    for student, row in left_out.items():
        committee = committee_of[student]
        if row["reason"] == "no_committee":
            assert committee is None
        elif row["reason"] == "no_committee_quota":
            assert committee is not None and committee not in places_of
        else:
            assert row["reason"] == "committee_quota_full"
            assert per_committee[committee] == places_of[committee]


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(scene_spec=SCENES)
@example(scene_spec={"quotas": [2, None, 1], "students": [0, 0, 0, 1, 2, 2, None], "earlier": 2})
def test_allocation_never_gives_a_committee_more_than_its_quota(scene_spec):
    with transaction.atomic():
        check(scene_spec)
        transaction.set_rollback(True)


@settings(max_examples=300, deadline=None, database=None)
@given(
    quotas=st.dictionaries(st.integers(0, 5), st.integers(1, 6)),
    students=st.dictionaries(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 7))),
    awarded=st.sets(st.integers(0, 60), max_size=6),
)
def test_the_counting_rule_never_lets_a_committee_past_its_quota(quotas, students, awarded):
    """Places taken (earlier awards, then each student the rule admits) stay within each quota,
    except where earlier awards already went past it (a quota lowered later): then none is added.
    """
    caps = CommitteeCaps(active=True, committee_of=dict(students), quotas=dict(quotas))
    for student in awarded:
        caps.take(student=student)
    start = dict(caps.used)
    for student in students:
        if student in awarded:
            continue
        refused = caps.refusal(student=student)
        committee = students[student]
        if refused is None:
            caps.take(student=student)
            assert caps.used[committee] <= quotas[committee]
        elif refused[0] == "no_committee":
            assert committee is None
        elif refused[0] == "no_committee_quota":
            assert committee not in quotas
        else:
            assert refused[0] == "committee_quota_full"
            assert caps.used.get(committee, 0) >= quotas[committee]
    for committee, used in caps.used.items():
        if committee in quotas:
            assert used <= max(quotas[committee], start.get(committee, 0))
