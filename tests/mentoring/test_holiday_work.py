"""Holiday work (暑期承包): a pairing that continues after its term, its sessions counted apart.

The pairings' world: the factories' term runs 2026-09-01 to Friday 2027-01-22,
with the holiday weeks of 28 Sep and 5 Oct. "Today" is Wednesday 2027-02-10,
in the winter break; the district's spring term starts 2027-02-22.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import Pairing, PairingStatus, SessionKind, Subject, TutoringSession
from mentoring.services.compliance import compliance_check
from mentoring.services.pairings import pairing_holiday_set
from tests.conftest import client_for
from tests.mentoring.pairings.pairing_world import (
    SHANGHAI,
    World,
    build_world,
    clock,  # noqa: F401
)
from tests.mentoring.teacher_page.page_scene import html, logged_in, page_of
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)

D = datetime.date
TODAY = D(2027, 2, 10)
SPRING_START = D(2027, 2, 22)
HOLIDAY_END = D(2027, 2, 20)
SESSIONS_URL = "/api/v1/sessions/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    clock.return_value = datetime.datetime(2027, 2, 10, 10, 0, tzinfo=SHANGHAI)
    w = build_world()
    TermFactory(
        district=w.term.district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=SPRING_START,
        end_date=D(2027, 7, 2),
        holiday_weeks=[],
    )
    return w


def holiday_url(pairing) -> str:
    return f"/api/v1/pairings/{pairing.pk}/holiday/"


def set_holiday(w: World, pairing=None, until=HOLIDAY_END) -> Pairing:
    return pairing_holiday_set(by=w.admin_a, pairing=pairing or w.owned, holiday_until=until)


def new_session(pairing, day, **overrides) -> dict:
    payload = {
        "pairing": pairing.pk,
        "date": day.isoformat(),
        "minutes": 60,
        "subject": Subject.MATH,
        "kind": SessionKind.TUTORING,
        "content": "寒假承包辅导: 分数应用题",
    }
    payload.update(overrides)
    return payload


# --- Setting the holiday work through the pairing API --------------------------------------------


def test_administrator_lets_a_pairing_continue_over_the_holiday(world):
    response = client_for(world.admin_a).post(
        holiday_url(world.owned), {"holiday_until": "2027-02-20"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["holiday_until"] == "2027-02-20"
    world.owned.refresh_from_db()
    assert world.owned.holiday_until == D(2027, 2, 20)
    assert world.owned.history.first().holiday_until == D(2027, 2, 20)
    listed = client_for(world.owner).get(f"/api/v1/pairings/{world.owned.pk}/")
    assert listed.json()["holiday_until"] == "2027-02-20"


def test_null_ends_the_holiday_work(world):
    set_holiday(world)
    response = client_for(world.admin_a).post(
        holiday_url(world.owned), {"holiday_until": None}, format="json"
    )
    assert response.status_code == 200, response.content
    world.owned.refresh_from_db()
    assert world.owned.holiday_until is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("owner", 403),  # the pairing's own mentor does not decide it
        ("colleague", 403),
        ("volunteer", 403),
        ("donor", 403),
        ("supervisor", 403),
        ("admin_b", 404),  # another school's administrator does not see the pairing
    ],
)
def test_only_the_schools_administrators_set_holiday_work(world, persona, status):
    response = client_for(getattr(world, persona)).post(
        holiday_url(world.owned), {"holiday_until": "2027-02-20"}, format="json"
    )
    assert response.status_code == status, response.content
    world.owned.refresh_from_db()
    assert world.owned.holiday_until is None


def test_district_and_platform_administrators_set_holiday_work(world):
    district_admin = member("administrator", world.school_a, world.school_b)
    for user, pairing in ((district_admin, world.outsiders), (world.superuser, world.owned)):
        response = client_for(user).post(
            holiday_url(pairing), {"holiday_until": "2027-02-21"}, format="json"
        )
        assert response.status_code == 200, response.content
        pairing.refresh_from_db()
        assert pairing.holiday_until == D(2027, 2, 21)


def test_anonymous_request_answers_401(api, world):
    response = api.post(holiday_url(world.owned), {"holiday_until": "2027-02-20"}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"holiday_until": "2027-01-22"}, "ends on 2027-01-22"),  # the term's last day
        ({"holiday_until": "2027-02-22"}, "next term starts on 2027-02-22"),
        ({"holiday_until": "2027-2-30"}, "YYYY-MM-DD"),
        ({}, ""),  # left out: named all the same
    ],
)
def test_bad_end_dates_answer_400_and_write_nothing(world, body, fragment):
    response = client_for(world.admin_a).post(
        holiday_url(world.owned), body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert fragment in " ".join(response.json()["holiday_until"])
    world.owned.refresh_from_db()
    assert world.owned.holiday_until is None


def test_an_unknown_field_is_named_with_the_bad_date(world):
    response = client_for(world.admin_a).post(
        holiday_url(world.owned), {"holiday_until": "2027-01-01", "note": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"holiday_until", "note"}


def test_without_a_next_term_holiday_work_lasts_at_most_92_days(world):
    world.term.district.terms.filter(code="2027-spring").delete()
    too_long = client_for(world.admin_a).post(
        holiday_url(world.owned),
        {"holiday_until": "2027-04-25"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert too_long.status_code == 400
    assert "92 days" in too_long.json()["holiday_until"][0]
    fits = client_for(world.admin_a).post(
        holiday_url(world.owned), {"holiday_until": "2027-04-24"}, format="json"
    )
    assert fits.status_code == 200


def test_an_ended_pairing_does_not_continue_over_the_holiday(world):
    Pairing.objects.filter(pk=world.owned.pk).update(
        status=PairingStatus.ENDED, ended_on=D(2027, 1, 10)
    )
    response = client_for(world.admin_a).post(
        holiday_url(world.owned), {"holiday_until": "2027-02-20"}, format="json"
    )
    assert response.status_code == 409
    world.owned.refresh_from_db()
    assert world.owned.holiday_until is None


def test_holiday_work_cannot_end_before_a_session_logged_in_it(world):
    set_holiday(world)
    TutoringSessionFactory(pairing=world.owned, date=D(2027, 2, 8))
    client = client_for(world.admin_a)

    shorter = client.post(holiday_url(world.owned), {"holiday_until": "2027-02-05"}, format="json")
    cleared = client.post(holiday_url(world.owned), {"holiday_until": None}, format="json")

    assert shorter.status_code == 400 and "2027-02-08" in shorter.json()["holiday_until"][0]
    assert cleared.status_code == 400 and "2027-02-08" in cleared.json()["holiday_until"][0]
    world.owned.refresh_from_db()
    assert world.owned.holiday_until == D(2027, 2, 20)


# --- Logging sessions in the holiday --------------------------------------------------------------


def test_mentor_logs_a_holiday_session_for_a_pairing_that_continues(world):
    set_holiday(world)
    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, D(2027, 2, 6)), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["holiday"] is True
    assert TutoringSession.objects.get(pk=response.json()["id"]).date == D(2027, 2, 6)


def test_a_home_visit_on_a_holiday_weekend_is_accepted(world):
    set_holiday(world)
    response = client_for(world.owner).post(
        SESSIONS_URL,
        new_session(world.owned, D(2027, 1, 24), kind=SessionKind.HOME_VISIT, subject=""),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["holiday"] is True


def test_other_pairings_still_answer_400_naming_the_date(world):
    set_holiday(world)
    before = TutoringSession.objects.count()
    response = client_for(world.colleague).post(
        SESSIONS_URL, new_session(world.colleagues, D(2027, 2, 6)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["date"] == ["日期须在学期内。"]  # the message as before
    assert TutoringSession.objects.count() == before


def test_a_date_after_the_holiday_work_answers_400_with_its_end(world):
    set_holiday(world, until=D(2027, 2, 5))
    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, D(2027, 2, 6), minutes=0), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "2027-02-05" in body["date"][0]
    assert "minutes" in body  # every bad field in one answer
    assert not TutoringSession.objects.exists()


def test_moving_a_session_into_the_holiday_follows_the_same_rule(world):
    session = TutoringSessionFactory(pairing=world.owned, date=D(2027, 1, 20))
    client = client_for(world.admin_a)
    refused = client.patch(f"{SESSIONS_URL}{session.pk}/", {"date": "2027-02-01"}, format="json")
    assert refused.status_code == 400 and "date" in refused.json()
    set_holiday(world)
    moved = client.patch(f"{SESSIONS_URL}{session.pk}/", {"date": "2027-02-01"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["holiday"] is True


def test_session_in_a_term_week_is_not_marked_holiday(world):
    session = TutoringSessionFactory(pairing=world.owned, date=D(2027, 1, 20))
    other = TutoringSessionFactory(pairing=world.owned, date=D(2026, 9, 30))  # National Day week
    rows = {
        row["id"]: row["holiday"]
        for row in client_for(world.owner).get(SESSIONS_URL).json()["results"]
    }
    assert rows == {session.pk: False, other.pk: True}


def test_session_list_stays_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = client_for(world.owner)
    TutoringSessionFactory(pairing=world.owned, date=D(2027, 1, 20))
    with CaptureQueriesContext(connection) as few:
        assert client.get(SESSIONS_URL).status_code == 200
    set_holiday(world)
    for day in range(1, 12):
        TutoringSessionFactory(pairing=world.owned, date=D(2027, 1, 23) + datetime.timedelta(day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(SESSIONS_URL)
    assert response.json()["count"] == 12


# --- Counted apart --------------------------------------------------------------------------------


@pytest.fixture
def counted(world):
    """The owner's pairing continues; one session in the term's last week, one the Saturday after
    the term (the same ISO week), a home visit in the break, a session in National Day week."""
    set_holiday(world)
    TutoringSessionFactory(pairing=world.owned, date=D(2027, 1, 23), minutes=50)
    TutoringSessionFactory(
        pairing=world.owned, date=D(2027, 2, 3), kind=SessionKind.HOME_VISIT, minutes=30
    )
    TutoringSessionFactory(pairing=world.owned, date=D(2026, 9, 30), minutes=40)
    compliance_check(term_id=world.term.pk, today=TODAY, remind=False)
    return world


def test_holiday_sessions_meet_no_school_week(counted):
    last_week = counted.owned.weeks.get(week_start=D(2027, 1, 18))
    assert (last_week.sessions, last_week.met) == (0, False)
    assert not counted.owned.weeks.filter(week_start__in=[D(2026, 9, 28), D(2027, 2, 1)]).exists()


def test_summary_counts_holiday_sessions_apart(counted):
    summary = client_for(counted.admin_a).get(
        "/api/v1/compliance/summary/", {"term": counted.term.pk}
    )
    assert summary.status_code == 200, summary.content
    body = summary.json()
    holiday = ("holiday_sessions", "holiday_minutes", "holiday_home_visits")
    assert [body["totals"][name] for name in holiday] == [2, 90, 1]
    # The week's targets leave them out; the term's sessions (the term report's count) do not.
    assert body["totals"]["sessions"] == 3
    school = {row["school"]: row for row in body["by_school"]}[counted.school_a.pk]
    assert [school[name] for name in holiday] == [2, 90, 1]
    mentors = {row["mentor"]: row for row in body["by_mentor"]}
    assert [mentors[counted.owner.mentor.pk][name] for name in holiday] == [2, 90, 1]
    assert mentors[counted.colleague.mentor.pk]["holiday_sessions"] == 0


def test_another_schools_administrator_counts_no_foreign_holiday_session(counted):
    body = (
        client_for(counted.admin_b)
        .get("/api/v1/compliance/summary/", {"term": counted.term.pk})
        .json()
    )
    assert body["totals"]["holiday_sessions"] == 0
    assert counted.owner.mentor.pk not in {row["mentor"] for row in body["by_mentor"]}


def test_summary_holiday_figures_take_a_fixed_number_of_queries(counted):
    client = client_for(counted.admin_a)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/compliance/summary/", {"term": counted.term.pk})
        return len(captured.captured_queries), response.json()["totals"]["holiday_sessions"]

    few, before = queries()
    for _n in range(6):
        mentor = MentorFactory(user=member("teacher", counted.school_a), schools=[counted.school_a])
        pairing = PairingFactory(
            mentor=mentor,
            student=StudentFactory(school=counted.school_a),
            term=counted.term,
            holiday_until=D(2027, 2, 20),
        )
        TutoringSessionFactory(pairing=pairing, date=D(2027, 2, 2))
    compliance_check(term_id=counted.term.pk, today=TODAY, remind=False)
    many, after = queries()
    assert (before, after) == (2, 8)
    assert many == few


def test_teacher_page_marks_holiday_sessions(counted):
    page = html(logged_in(counted.owner).get(page_of(counted.owned)))
    assert page.count('class="holiday"') == 3
