"""Allocation with tier shares, for any quotas, shares and candidates (a hypothesis property test).

Whatever the schools' quotas, the shares (a percent of each school's quota, or
places for the whole project) and the approved students of each tier, one
allocation never gives a tier more than its share, never a school more than
its quota, and no tier without a share anything; each student is either
awarded or named as left out, and a tier whose students were left out for its
share holds exactly its share.
"""

from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from donations.models import Award, FundSource
from donations.services.allocation import allocate
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import AssessmentStatus, SchoolLevel
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

TIERS = ["special_hardship", "hardship", "general_hardship"]


@st.composite
def shares(draw):
    """A share (or none) for each tier; the percents add up to at most 100."""
    left, out = 100, {}
    for tier in TIERS:
        kind = draw(st.sampled_from(["percent", "places", "none"]))
        if kind == "percent" and left >= 1:
            percent = draw(st.integers(min_value=1, max_value=left))
            left -= percent
            out[tier] = {"tier": tier, "percent": percent, "places": None}
        elif kind == "places":
            places = draw(st.integers(min_value=1, max_value=8))
            out[tier] = {"tier": tier, "percent": None, "places": places}
    return list(out.values())


SCENES = st.fixed_dictionaries(
    {
        "quotas": st.lists(st.integers(min_value=1, max_value=8), min_size=2, max_size=2),
        "shares": shares(),
        # Approved students per school and tier.
        "students": st.lists(
            st.lists(st.integers(min_value=0, max_value=5), min_size=3, max_size=3),
            min_size=2,
            max_size=2,
        ),
    }
)


def check(scene):
    district = DistrictFactory()
    term = TermFactory(district=district)
    schools = [SchoolFactory(district=district) for _ in range(2)]
    admin = member("administrator", *schools)
    project = project_save(
        by=admin,
        district=district,
        fields={"code": "LIVING", "name": "生活补助", "source": "central", "purpose": "living"},
        standards=[{"tier": "", "level": "", "boarding": "any", "yearly_fen": 20_000}],
        funding=[{"term": term.pk, "source": FundSource.CENTRAL, "amount_fen": 10_000_000}],
        quotas=[
            {"term": term.pk, "school": school.pk, "places": places}
            for school, places in zip(schools, scene["quotas"], strict=True)
        ],
        tier_shares=scene["shares"],
    )
    appropriation_receive(
        by=admin, project=project, term_id=term.pk, source="central", amount_fen=10_000_000
    )
    tier_of = {}
    for school, counts in zip(schools, scene["students"], strict=True):
        for tier, count in zip(TIERS, counts, strict=True):
            for n in range(count):
                student = StudentFactory(school=school)
                StudentRecordFactory(student=student, term=term, level=SchoolLevel.PRIMARY)
                AssessmentFactory(
                    student=student,
                    term=term,
                    status=AssessmentStatus.APPROVED,
                    tier=tier,
                    need_score=100 - n,
                )
                tier_of[student.pk] = tier

    allocation = allocate(by=admin, project=project, term=term)

    awarded = list(Award.objects.filter(project=project).values_list("student", "student__school"))
    by_school = Counter(school for _student, school in awarded)
    by_tier = Counter(tier_of[student] for student, _school in awarded)
    by_school_tier = Counter((school, tier_of[student]) for student, school in awarded)
    quotas = {school.pk: places for school, places in zip(schools, scene["quotas"], strict=True)}
    share = {s["tier"]: s for s in scene["shares"]}

    for school, places in quotas.items():
        assert by_school[school] <= places
    for tier in TIERS:
        if tier not in share and scene["shares"]:
            assert by_tier[tier] == 0
        elif tier in share and share[tier]["places"] is not None:
            assert by_tier[tier] <= share[tier]["places"]
        elif tier in share:
            for school, places in quotas.items():
                assert by_school_tier[(school, tier)] <= share[tier]["percent"] * places // 100

    # Every student is either awarded or named, and a share named as full is full.
    left_out = {row["student"]: row for row in allocation.left_out}
    assert len(awarded) + len(left_out) == len(tier_of)
    assert not set(left_out) & {student for student, _school in awarded}
    for row in left_out.values():
        tier = row["tier"]
        assert row["reason"] in {"tier_share_full", "no_tier_share", "quota_full"}
        if row["reason"] == "tier_share_full":
            if share[tier]["places"] is not None:
                assert by_tier[tier] == share[tier]["places"]
            else:
                cap = share[tier]["percent"] * quotas[row["school"]] // 100
                assert by_school_tier[(row["school"], tier)] == cap
        elif row["reason"] == "quota_full":
            assert by_school[row["school"]] == quotas[row["school"]]
        else:
            assert tier not in share


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(scene=SCENES)
# The district's case: 80 / 20 of 10 places, more students of each tier than places.
@example(
    scene={
        "quotas": [10, 1],
        "shares": [
            {"tier": "hardship", "percent": 80, "places": None},
            {"tier": "special_hardship", "percent": 20, "places": None},
        ],
        "students": [[5, 5, 2], [1, 0, 0]],
    }
)
def test_allocation_never_exceeds_a_tier_share_or_the_quota(scene):
    with transaction.atomic():
        check(scene)
        transaction.set_rollback(True)
