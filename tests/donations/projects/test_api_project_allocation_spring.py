"""Allocation in the spring term: the autumn identification holds for the school year.

A student identified in the autumn is awarded in the spring without a new
assessment; one whose identification the spring re-check withdrew is not, nor
is one who left (no spring record); a tier changed by the re-check is the tier
the award is ranked and paid at.
"""

from datetime import date

import pytest

from donations.models import Award
from mentoring.models import AssessmentRoute, AssessmentStatus, RecheckChange, SchoolLevel
from tests.donations.projects.project_scene import allocate, make_project, receive
from workers.factories import AssessmentFactory, StudentFactory, StudentRecordFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spring(district):
    return TermFactory(
        district=district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=date(2027, 2, 22),
        end_date=date(2027, 7, 2),
        holiday_weeks=[],
    )


def autumn_identified(school, autumn, spring, *, tier="hardship", need=50, enrolled=True):
    student = StudentFactory(school=school)
    StudentRecordFactory(student=student, term=autumn, level=SchoolLevel.PRESCHOOL)
    if enrolled:
        StudentRecordFactory(student=student, term=spring, level=SchoolLevel.PRESCHOOL)
    assessment = AssessmentFactory(
        student=student,
        term=autumn,
        status=AssessmentStatus.APPROVED,
        tier=tier,
        need_score=need,
    )
    return student, assessment


def rechecked(assessment, spring, *, change, tier, status=AssessmentStatus.APPROVED):
    return AssessmentFactory(
        student=assessment.student,
        term=spring,
        route=AssessmentRoute.RECHECK,
        carried_from=assessment,
        change=change,
        status=status,
        tier=tier,
    )


def test_spring_awards_the_autumns_identification_and_not_what_the_recheck_withdrew(
    district, school_a, district_admin, term, spring
):
    project = make_project(
        district_admin,
        district,
        spring,
        school_a,
        standards=[
            {"tier": "special_hardship", "yearly": "1000.00"},
            {"tier": "hardship", "yearly": "600.00"},
        ],
    )
    for source, amount in [("provincial", "18900.00"), ("county", "9100.00")]:
        assert receive(district_admin, project["id"], spring, source, amount).status_code == 201
    carried, _a = autumn_identified(school_a, term, spring)
    withdrawn, b = autumn_identified(school_a, term, spring)
    rechecked(b, spring, change=RecheckChange.CIRCUMSTANCES, tier="not_in_hardship")
    promoted, c = autumn_identified(school_a, term, spring)
    rechecked(c, spring, change=RecheckChange.CIRCUMSTANCES, tier="special_hardship")
    pending, d = autumn_identified(school_a, term, spring)
    rechecked(
        d,
        spring,
        change=RecheckChange.CIRCUMSTANCES,
        tier="not_in_hardship",
        status=AssessmentStatus.PUBLICIZED,
    )
    gone, _e = autumn_identified(school_a, term, spring, enrolled=False)

    response = allocate(district_admin, project["id"], spring)

    assert response.status_code == 201, response.json()
    awards = {
        a.student_id: a.amount_fen
        for a in Award.objects.filter(project_id=project["id"], term=spring)
    }
    # Half the yearly standard of the tier per term: the carried tier (600 a year),
    # or the re-check's once approved (1,000 a year).
    assert awards == {
        carried.pk: 30_000,
        promoted.pk: 50_000,
        # A re-check still under notice changes nothing yet.
        pending.pk: 30_000,
    }
    assert withdrawn.pk not in awards and gone.pk not in awards
