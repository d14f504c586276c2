"""/console/weekly/: the term's weekly tutoring per school and mentor (`compliance_summary`)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import (
    AccessLogEntry,
    Membership,
    Notification,
    NotificationKind,
    Pairing,
    Role,
    WeeklyCompliance,
)
from mentoring.school_weeks import week_label
from mentoring.services.compliance_reminders import reminder_keys
from tests.console.console_world import EN, READERS, paired, signed_in
from workers.factories import MembershipFactory

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
    theirs = paired(b, term, "刘小东")
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
    supervised = paired(b, term, "刘小东")
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
        pairing = paired(a, term, f"学生{n}")
        weeks(pairing, [True, False])

    assert _queries(client) == few


# The reminders the weekly check sent ------------------------------------------------------


def remind(pairing: Pairing, monday: datetime.date, *, streak: int | None = None) -> None:
    """The reminders `reminders_store` writes for a missed week (and a streak, if given)."""
    label = week_label(monday)
    mentor_key, streak_key = reminder_keys(pairing.pk, label)
    data = {"pairing": pairing.pk, "week": label, "student": pairing.student_id}
    Notification.objects.create(
        recipient=pairing.mentor.user,
        kind=NotificationKind.MISSED_WEEK,
        key=mentor_key,
        school=pairing.student.school,
        subject=f"No tutoring logged in week {label}",
        body="…",
        data=data,
    )
    if streak:
        for membership in Membership.objects.filter(
            role=Role.ADMINISTRATOR, school=pairing.student.school
        ):
            Notification.objects.create(
                recipient=membership.user,
                kind=NotificationKind.MISSED_STREAK,
                key=streak_key,
                school=pairing.student.school,
                subject="…",
                body="…",
                data={**data, "streak": streak},
            )


def _monday(term, n: int) -> datetime.date:
    return (
        term.start_date
        - datetime.timedelta(days=term.start_date.weekday())
        + (datetime.timedelta(weeks=n))
    )


def reminder_rows(html: str) -> str:
    return html.split('id="reminder-list"', 1)[1].split("</table>", 1)[0]


def test_the_reminders_sent_show_week_mentor_and_a_link_to_the_student(world):
    a, b, term = world.schools["A"], world.schools["B"], world.terms["one"]
    ours = Pairing.objects.get(student__school=a)
    ours.mentor.user.first_name, ours.mentor.user.last_name = "老师", "王"
    ours.mentor.user.save()
    remind(ours, _monday(term, 2))
    remind(ours, _monday(term, 3), streak=2)
    theirs = paired(b, term, "刘小东")
    remind(theirs, _monday(term, 2))

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()
    district = signed_in(world.users["district_admin"]).get(PAGE, **EN).content.decode()

    rows = reminder_rows(html)
    week3 = _monday(term, 3)
    assert rows.count(f'data-reminder="{ours.pk}"') == 2
    assert f"Week of {week3.day} {week3:%b} to" in rows
    assert "-W" not in rows
    assert "王老师" in rows
    assert f'href="/teacher/students/{ours.student_id}/archive/?back=/console/weekly/' in rows
    assert "administrators told: 2 weeks in a row" in rows
    assert f'data-reminder="{theirs.pk}"' not in rows
    assert f'data-reminder="{theirs.pk}"' in reminder_rows(district)
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert (entry.action, entry.object_kind) == ("list", "notification")
    assert list(entry.students.values_list("student_id", flat=True)) == [ours.student_id]
    # The two clauses are joined as the page's language joins them (；, not ASCII "; ").
    chinese = reminder_rows(signed_in(world.users["school_admin"]).get(PAGE).content.decode())
    assert "；已告知管理员" in chinese and "; 已告知管理员" not in chinese


def test_a_reminder_met_after_all_says_so(world):
    term = world.terms["one"]
    ours = Pairing.objects.get(student__school=world.schools["A"])
    remind(ours, _monday(term, 1))
    Notification.objects.update(resolved_at=timezone.now())

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    assert "Met after all" in reminder_rows(html)


def test_the_reminders_cost_the_same_queries_for_one_or_many(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    remind(Pairing.objects.get(student__school=a), _monday(term, 1), streak=2)
    few = _queries(client)
    for n in range(8):
        pairing = paired(a, term, f"学生{n}")
        remind(pairing, _monday(term, 1))
        remind(pairing, _monday(term, 2), streak=2)

    html = client.get(PAGE).content.decode()
    assert reminder_rows(html).count("data-reminder=") == 17
    assert _queries(client) == few
