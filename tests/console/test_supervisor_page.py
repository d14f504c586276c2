"""/supervisor/: a supervisor reads what the schools it supervises report, never a child (issue 17).

The world is tests/role_scene.py: the supervisor supervises school A; school B
is another school of the same district, school C another district's. Each
record there (a week of tutoring, a fund account, a meeting, a complaint, a
report) shows on the page for school A only, and the district's fund
accounts for the whole district, as the API's selectors give them.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import FundAccount
from mentoring.models import Pairing, Student, TutoringSession, WeeklyCompliance
from oversight.models import Complaint, SupervisionMeeting
from tests.role_scene import build_scene
from workers.factories import TutoringSessionFactory
from workers.models import Report, ReportStatus

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def issue(report: Report) -> None:
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.ISSUED, data={}, built_at=timezone.now()
    )


@pytest.fixture
def world():
    scene = build_scene()
    for place in scene.places:
        issue(place[Report])
    return scene


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/supervisor/")

    assert (response.status_code, response["Location"]) == (302, "/?next=/supervisor/")


@pytest.mark.parametrize(
    "role", ["teacher", "volunteer", "school_admin", "district_admin", "donor", "platform"]
)
def test_every_other_role_is_told_the_page_is_not_theirs(world, role):
    response = signed_in(world.users[role]).get("/supervisor/", **EN)

    assert response.status_code == 403
    assert "This page is for supervisors" in response.content.decode()


def test_signing_in_at_the_root_takes_a_supervisor_to_its_page(world):
    response = signed_in(world.users["supervisor"]).get("/")

    assert (response.status_code, response["Location"]) == (302, "/supervisor/")


def test_the_supervised_schools_figures_show_and_no_other_schools(world):
    a, b, c = world.places
    page = signed_in(world.users["supervisor"]).get("/supervisor/", **EN).content.decode()

    school_a, school_b = a[Student].school, b[Student].school
    assert school_a.name in page
    # Fund accounts: the district's (schools A and B), not the other district's.
    assert a[FundAccount].project.name in page and b[FundAccount].project.name in page
    assert c[FundAccount].project.name not in page
    # Reports and meetings: school A's only.
    assert f'data-report="{a[Report].pk}"' in page
    assert f'data-report="{b[Report].pk}"' not in page
    assert f'data-report="{c[Report].pk}"' not in page
    assert f"/api/v1/reports/{a[Report].pk}/export/?format=pdf" in page
    assert school_b.name not in page
    assert "Complaints: 1 received" in page
    assert SupervisionMeeting.objects.count() == 3 and page.count("资助公示检查") == 1


def test_the_page_names_no_child(world):
    page = signed_in(world.users["supervisor"]).get("/supervisor/", **EN).content.decode()

    for student in Student.objects.all():
        assert student.name not in page
    for pairing in Pairing.objects.select_related("mentor__user"):
        assert pairing.mentor.user.username not in page
    assert Complaint.objects.first().details not in page


def test_a_week_of_tutoring_counts_for_its_school(world):
    a = world.places[0]
    week = WeeklyCompliance.objects.filter(school=a[Student].school).first()
    term = week.term if week else world.own["teacher"][Pairing].term

    page = (
        signed_in(world.users["supervisor"])
        .get(f"/supervisor/?term={term.pk}", **EN)
        .content.decode()
    )

    assert f'data-school="{a[Student].school.code}"' in page
    assert f'<option value="{term.pk}" selected>' in page


def sessions_of(html: str, school_code: str) -> int:
    """The sessions cell (the second figure) of a school's row, on either page."""
    row = re.search(rf'<tr data-school="{school_code}">(.*?)</tr>', html, re.S).group(1)
    return int(re.findall(r"<td>(.*?)</td>", row, re.S)[1])


def test_sessions_per_school_are_the_weekly_pages_not_the_weeks_met(world):
    a = world.places[0]
    pairing = a[Pairing]
    school = pairing.student.school
    # Four sessions in the term, one week checked (met with one session): weeks met != sessions.
    WeeklyCompliance.objects.filter(school=school).delete()
    for day in (15, 16, 17, 22):
        TutoringSessionFactory(
            pairing=pairing, date=pairing.term.start_date.replace(day=day), minutes=40
        )
    start = pairing.term.start_date
    monday = start - datetime.timedelta(days=start.weekday())
    WeeklyCompliance.objects.create(
        pairing=pairing,
        term=pairing.term,
        school=school,
        mentor=pairing.mentor,
        week_start=monday,
        iso_year=monday.isocalendar()[0],
        iso_week=monday.isocalendar()[1],
        sessions=1,
        minutes=40,
        met=True,
    )
    query = f"?term={pairing.term.pk}"

    supervisor = signed_in(world.users["supervisor"]).get("/supervisor/" + query, **EN)
    weekly = signed_in(world.users["school_admin"]).get("/console/weekly/" + query, **EN)

    expected = TutoringSession.objects.filter(
        pairing__term=pairing.term, pairing__student__school=school
    ).count()
    assert expected >= 4
    assert sessions_of(supervisor.content.decode(), school.code) == expected
    assert sessions_of(weekly.content.decode(), school.code) == expected


def test_the_page_reads_in_a_fixed_number_of_queries(world):
    client = signed_in(world.users["supervisor"])
    client.get("/supervisor/")
    with CaptureQueriesContext(connection) as before:
        client.get("/supervisor/")
    extra = build_scene()  # a second district with every record again, and more of school A's
    for place in extra.places:
        issue(place[Report])
    with CaptureQueriesContext(connection) as after:
        response = client.get("/supervisor/")

    assert response.status_code == 200
    assert len(after) == len(before)


def test_only_get_is_answered(world):
    client = signed_in(world.users["supervisor"])

    assert client.post("/supervisor/").status_code == 405


def test_balances_read_with_thousands_grouped_as_on_the_console(world):
    account = world.places[0][FundAccount]
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=1_800_000)

    page = signed_in(world.users["supervisor"]).get("/supervisor/", **EN).content.decode()

    assert f'<th scope="row">{account.project.name}</th><td>18,000.00</td>' in page
    assert "18000.00" not in page
