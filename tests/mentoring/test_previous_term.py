"""One "previous term" rule: the district's latest term before this one that has student records.

A term never run in Bangfu (no student record in it) has no pairings for a
match run to continue and no figures for the report to compare with, so the
match run's continuity and the report's comparison both skip it.
"""

from datetime import date

import pytest

from mentoring.matching.problem import load_inputs
from mentoring.models import (
    AssessmentStatus,
    MatchRun,
    MentorKind,
    PairingKind,
    PairingStatus,
    Role,
)
from mentoring.selectors.terms import previous_term
from tests.report_scene import kindergarten_scene
from tests.report_scene import previous_term as empty_spring_term
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)
from workers.models import ReportStatus
from workers.reports import report_start

pytestmark = pytest.mark.django_db


def past_term(district, code: str, start: date, end: date):
    return TermFactory(
        district=district,
        code=code,
        school_year="2025-2026",
        start_date=start,
        end_date=end,
        holiday_weeks=[],
    )


def last_autumn(district):
    return past_term(district, "2025-autumn", date(2025, 9, 1), date(2026, 1, 16))


def spring(district):
    return past_term(district, "2026-spring", date(2026, 2, 23), date(2026, 7, 10))


def test_the_previous_term_is_the_latest_earlier_one_with_student_records():
    district = DistrictFactory()
    school = SchoolFactory(district=district)
    autumn, empty, current = last_autumn(district), spring(district), TermFactory(district=district)
    StudentRecordFactory(student=StudentFactory(school=school), term=autumn)
    # Another district's spring term, with records, is not this district's history.
    StudentRecordFactory(term=spring(DistrictFactory(code="ELSEWHERE")))

    assert previous_term(current) == autumn
    assert previous_term(empty) == autumn
    assert previous_term(autumn) is None
    StudentRecordFactory(student=StudentFactory(school=school), term=empty)
    assert previous_term(current) == empty


def test_a_match_run_continues_the_pairings_of_the_last_run_term_past_an_empty_one():
    district = DistrictFactory()
    school = SchoolFactory(district=district)
    autumn, current = last_autumn(district), TermFactory(district=district)
    spring(district)  # exists, but no school kept a record in it
    student = StudentFactory(school=school)
    StudentRecordFactory(student=student, term=autumn)
    StudentRecordFactory(student=student, term=current, struggling=True, weak_subjects=["math"])
    AssessmentFactory(
        student=student, term=current, status=AssessmentStatus.APPROVED, tier="hardship"
    )
    mentor = MentorFactory(
        user=member(Role.TEACHER, school, username="mentor"),
        kind=MentorKind.TEACHER,
        schools=[school],
    )
    PairingFactory(
        student=student,
        mentor=mentor,
        term=autumn,
        kind=PairingKind.ACADEMIC,
        status=PairingStatus.ENDED,
        started_on=date(2025, 9, 8),
        ended_on=date(2026, 1, 16),
    )
    admin = member(Role.ADMINISTRATOR, school, username="admin")
    run = MatchRun.objects.create(term=current, kinds=[PairingKind.ACADEMIC], created_by=admin)
    run.schools.set([school])

    inputs = load_inputs(run)

    [row] = inputs["students"][PairingKind.ACADEMIC]
    assert row["id"] == student.pk
    assert row["previous_mentor"] == mentor.pk


def test_the_report_compares_with_the_last_run_term_past_an_empty_one(
    django_capture_on_commit_callbacks,
):
    scene = kindergarten_scene()
    empty_spring_term(scene)  # exists, but the school kept no records in it
    autumn = last_autumn(scene.district)
    school = scene.schools["kg"]
    for _n in range(3):
        StudentRecordFactory(student=StudentFactory(school=school), term=autumn)

    with django_capture_on_commit_callbacks(execute=True):
        report = report_start(by=scene.admin, term_id=scene.term.pk, school_id=school.pk)
    report.refresh_from_db()

    assert report.status == ReportStatus.ISSUED, report.error
    assert report.data["previous_term"]["code"] == "2025-autumn"
    assert report.data["comparison"]["enrolment"]["current"] == 251
    assert report.data["comparison"]["enrolment"]["previous"] == 3
