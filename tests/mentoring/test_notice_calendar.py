"""The public notice's end by the State Council's calendar, and the fallback that says so.

A notice over National Day 2026 ends on the make-up Saturday the package
names; a notice in a year the package does not know is counted Monday to
Friday outside the term's holiday weeks, and the publicize answer (and every
read of the assessment) says so, with a warning in the log.
"""

import logging
from contextlib import contextmanager
from datetime import date
from unittest import mock

import chinese_calendar
import pytest

from mentoring.models import AssessmentStatus, Role
from mentoring.services.identification import NoticeCalendar
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

URL = "/api/v1/assessments/"
UNKNOWN_YEAR = 2099


@contextmanager
def on(day: date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def reviewed_in(term, school):
    student = StudentFactory(school=school)
    StudentRecordFactory(student=student, term=term)
    return AssessmentFactory(
        student=student, term=term, status=AssessmentStatus.SCHOOL_REVIEWED, tier="hardship"
    )


def publicize(user, assessment, starts_on: date):
    with on(starts_on):
        return client_for(user).post(
            f"{URL}{assessment.pk}/publicize/",
            {"notice_starts_on": starts_on.isoformat()},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )


@pytest.fixture
def admin(school_a):
    return member(Role.ADMINISTRATOR, school_a)


def test_a_notice_over_national_day_ends_on_its_make_up_saturday(admin, school_a, district):
    # No holiday week typed by hand: the official calendar alone takes the days off.
    term = TermFactory(district=district, holiday_weeks=[])
    assessment = reviewed_in(term, school_a)

    response = publicize(admin, assessment, date(2026, 9, 29))

    assert response.status_code == 200, response.content
    body = response.json()
    # 29 and 30 September, 8 and 9 October, and Saturday 10 October, a make-up working day.
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert body["notice_ends_on"] == "2026-10-10"
    assert body["notice_calendar"] == NoticeCalendar.OFFICIAL
    assert body["notice_calendar_note"] == ""


def test_a_notice_in_a_year_the_calendar_does_not_know_falls_back_and_says_so(
    admin, school_a, district, caplog
):
    term = TermFactory(
        district=district,
        code=f"{UNKNOWN_YEAR}-autumn",
        school_year=f"{UNKNOWN_YEAR}-{UNKNOWN_YEAR + 1}",
        start_date=date(UNKNOWN_YEAR, 9, 1),
        end_date=date(UNKNOWN_YEAR + 1, 1, 20),
        holiday_weeks=[f"{UNKNOWN_YEAR}-09-28"],
    )
    assessment = reviewed_in(term, school_a)

    with caplog.at_level(logging.WARNING, logger="mentoring.services.identification"):
        # Thursday 24 September: 24 and 25, the holiday week, then 5 to 7 October,
        # National Day not counted out (the calendar does not know the year).
        response = publicize(admin, assessment, date(UNKNOWN_YEAR, 9, 24))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["notice_ends_on"] == f"{UNKNOWN_YEAR}-10-07"
    assert body["notice_calendar"] == NoticeCalendar.TERM_HOLIDAY_WEEKS
    assert str(UNKNOWN_YEAR) in body["notice_calendar_note"]
    assert "holiday weeks" in body["notice_calendar_note"]
    assert any(str(UNKNOWN_YEAR) in record.getMessage() for record in caplog.records)

    # The assessment read later says the same.
    detail = client_for(admin).get(f"{URL}{assessment.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert detail["notice_calendar"] == NoticeCalendar.TERM_HOLIDAY_WEEKS


def test_an_assessment_without_a_notice_has_no_notice_calendar(admin, school_a, district):
    assessment = reviewed_in(TermFactory(district=district), school_a)

    body = client_for(admin).get(f"{URL}{assessment.pk}/").json()

    assert body["notice_calendar"] is None
    assert body["notice_calendar_note"] == ""
