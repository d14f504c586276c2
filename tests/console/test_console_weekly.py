"""/console/weekly/: the term's weekly tutoring per school and mentor (`compliance_summary`)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mentoring.models import Pairing, Role, WeeklyCompliance
from tests.console.console_world import EN, READERS, pupil, signed_in
from workers.factories import MembershipFactory, MentorFactory, PairingFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/weekly/"


def weeks(pairing: Pairing, met: list[bool]) -> None:
    start = pairing.term.start_date - datetime.timedelta(days=pairing.term.start_date.weekday())
    for n, was_met in enumerate(met):
        monday = start + datetime.timedelta(weeks=n)
        year, week, _day = monday.isocalendar()
        WeeklyCompliance.objects.create(
            pairing=pairing,
            term=pairing.term,
            school=pairing.student.school,
            mentor=pairing.mentor,
            week_start=monday,
            iso_year=year,
            iso_week=week,
            sessions=1 if was_met else 0,
            minutes=45 if was_met else 0,
            met=was_met,
        )


def test_anonymous_visitors_are_sent_to_sign_in():
    assert Client().get(PAGE)["Location"] == f"/?next={PAGE}"


@pytest.mark.parametrize("reader", READERS)
def test_only_administrators_read_the_weekly_figures(world, reader):
    expected = 200 if reader.endswith("admin") else 403

    assert signed_in(world.users[reader]).get(PAGE).status_code == expected


def test_each_school_and_mentor_shows_its_share_of_weeks_met(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    weeks(Pairing.objects.get(student__school=a), [True, True, False, True])
    theirs = PairingFactory(
        mentor=MentorFactory(schools=[b]),
        student=pupil(b, term, "刘小东"),
        term=term,
        started_on=term.start_date,
    )
    weeks(theirs, [False, False])

    school = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()
    district = signed_in(world.users["district_admin"]).get(PAGE, **EN).content.decode()

    row = school.split(f'data-school="{a.code}"', 1)[1].split("</tr>", 1)[0]
    assert "75.0%" in row and "(3/4)" in row
    assert f'data-school="{b.code}"' not in school
    assert f'data-mentor="{theirs.mentor_id}"' not in school
    assert f'data-school="{b.code}"' in district and f'data-mentor="{theirs.mentor_id}"' in district


def test_a_school_the_administrator_only_supervises_is_not_counted(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    admin = world.users["school_admin"]
    MembershipFactory(user=admin, school=b, role=Role.SUPERVISOR)
    weeks(Pairing.objects.get(student__school=a), [True, True, False, True])
    supervised = PairingFactory(
        mentor=MentorFactory(schools=[b]),
        student=pupil(b, term, "刘小东"),
        term=term,
        started_on=term.start_date,
    )
    weeks(supervised, [False, False, False, False])

    weekly = signed_in(admin).get(PAGE, **EN).content.decode()
    glance = signed_in(admin).get("/console/", **EN).content.decode()

    assert f'data-school="{b.code}"' not in weekly
    assert f'data-school="{a.code}"' in weekly
    tile = glance.split('data-figure="weekly"', 1)[1].split("</a>", 1)[0]
    assert "75.0%" in tile and "(3 of 4)" in tile


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_one_or_many_mentors(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    weeks(Pairing.objects.get(student__school=a), [True])
    few = _queries(client)
    for n in range(8):
        pairing = PairingFactory(
            mentor=MentorFactory(schools=[a]),
            student=pupil(a, term, f"学生{n}"),
            term=term,
            started_on=term.start_date,
        )
        weeks(pairing, [True, False])

    assert _queries(client) == few
