"""/teacher/: the mentor's page. Session login, CSRF, own mentees only, the API's session rules.

Time is frozen at NOW (Friday 2026-11-20, inside the factories' 2026-autumn
term) by the `clock` fixture shared with the API tests; this week starts on
Monday 2026-11-16.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from mentoring.models import (
    MentorKind,
    Notification,
    NotificationKind,
    Role,
    SessionKind,
    Subject,
    TutoringSession,
    WeeklyCompliance,
)
from tests.mentoring.test_api_pairings import NOW, TODAY, World, build_world, clock  # noqa: F401
from workers.factories import (
    DEFAULT_PASSWORD,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TutoringSessionFactory,
    member,
)

HOME = "/teacher/"
LOGIN = "/teacher/login/"
REMINDERS = "/teacher/reminders/"
MONDAY = datetime.date(2026, 11, 16)


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    w = build_world()
    StudentRecordFactory(student=w.owned.student, term=w.term, grade=4, class_name="2班")
    return w


def page_of(pairing) -> str:
    return f"/teacher/mentees/{pairing.pk}/"


def logged_in(user, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def form(**overrides) -> dict:
    data = {
        "date": "2026-11-18",
        "minutes": "45",
        "other_minutes": "",
        "kind": SessionKind.TUTORING,
        "subject": Subject.MATH,
        "content": "分数的加减法, 错题讲解",
    }
    data.update(overrides)
    return data


def html(response) -> str:
    return response.content.decode()


def error_on(response, field: str) -> str:
    """The text of the error shown next to `field`, or '' when there is none."""
    found = re.search(rf'<p class="error" id="error-{field}">(.*?)</p>', html(response))
    return found.group(1) if found else ""


def session_count() -> int:
    return TutoringSession.objects.count()


# Who may open the page


def test_anonymous_visitor_is_sent_to_the_login_page(client, world):
    for url in (HOME, page_of(world.owned), REMINDERS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"

    posted = client.post(page_of(world.owned), form())

    assert posted.status_code == 302
    assert posted["Location"].startswith(LOGIN)
    assert session_count() == 0


@pytest.mark.parametrize("persona", ["donor", "supervisor", "admin_a", "superuser"])
def test_accounts_without_mentees_are_refused_the_page(world, persona):
    client = logged_in(getattr(world, persona))

    home = client.get(HOME)
    mentee = client.get(page_of(world.owned))
    posted = client.post(page_of(world.owned), form())

    assert home.status_code == mentee.status_code == posted.status_code == 403
    assert world.owned.student.name not in html(home) + html(mentee) + html(posted)
    assert session_count() == 0


def test_a_mentor_profile_without_a_mentoring_role_is_refused(world):
    # A donor account that somehow has a mentor profile still sees no student.
    MentorFactory(user=world.donor, schools=[world.school_a])
    PairingFactory(mentor=world.donor.mentor, student=StudentFactory(school=world.school_a))

    assert logged_in(world.donor).get(HOME).status_code == 403


def test_a_deactivated_mentor_profile_is_refused(world):
    world.owned.mentor.active = False
    world.owned.mentor.save()

    response = logged_in(world.owner).get(HOME)

    assert response.status_code == 403
    assert world.owned.student.name not in html(response)


def test_a_teacher_without_a_mentor_profile_is_refused(world):
    teacher = member(Role.TEACHER, world.school_a, username="new.teacher")

    response = logged_in(teacher).get(HOME)

    assert response.status_code == 403
    assert world.owned.student.name not in html(response)


def test_an_administrator_who_mentors_sees_only_their_own_mentees_here(world):
    mentor = MentorFactory(user=world.admin_a, kind=MentorKind.LEADER, schools=[world.school_a])
    own = PairingFactory(
        mentor=mentor, student=StudentFactory(school=world.school_a), term=world.term
    )
    client = logged_in(world.admin_a)

    home = client.get(HOME)

    assert home.status_code == 200
    assert own.student.name in html(home)
    for other in (world.owned, world.colleagues, world.volunteers):
        assert other.student.name not in html(home)
        assert client.get(page_of(other)).status_code == 404


def test_teacher_sees_their_own_mentees_with_grade_and_class_and_no_id_number(world):
    student = world.owned.student

    response = logged_in(world.owner).get(HOME)

    assert response.status_code == 200
    page = html(response)
    assert student.name in page
    assert "2班" in page
    assert f'href="{page_of(world.owned)}"' in page
    for other in (world.colleagues, world.outsiders, world.volunteers):
        assert other.student.name not in page
    for secret in (student.id_masked, student.id_masked[-4:], student.guardian_phone):
        assert secret not in page
    assert student.student_number not in page


def test_teacher_opens_their_mentee(world):
    student = world.owned.student

    response = logged_in(world.owner).get(page_of(world.owned))

    assert response.status_code == 200
    page = html(response)
    assert student.name in page
    assert student.id_masked[-4:] not in page
    assert student.guardian_phone not in page
    # The form starts on today with the teacher's subject and a usual length.
    assert 'value="2026-11-20"' in page
    assert re.search(r'value="45"[^>]*checked', page)
    assert re.search(r'<option value="math" selected>', page)


@pytest.mark.parametrize("foreign", ["colleagues", "outsiders", "volunteers"])
def test_another_mentors_mentee_answers_404_and_nothing_is_written(world, foreign):
    pairing = getattr(world, foreign)
    client = logged_in(world.owner)

    opened = client.get(page_of(pairing))
    posted = client.post(page_of(pairing), form())

    assert opened.status_code == posted.status_code == 404
    assert pairing.student.name not in html(opened) + html(posted)
    assert session_count() == 0


def test_an_unknown_or_ended_pairing_answers_404(world):
    client = logged_in(world.owner)
    assert client.get("/teacher/mentees/999999/").status_code == 404

    world.owned.status = "ended"
    world.owned.ended_on = datetime.date(2026, 11, 17)
    world.owned.save()

    assert client.get(page_of(world.owned)).status_code == 404
    assert world.owned.student.name not in html(client.get(HOME))


def test_volunteer_sees_the_same_page_for_their_mentee(world):
    client = logged_in(world.volunteer)

    home = client.get(HOME)
    posted = client.post(
        page_of(world.volunteers),
        form(kind=SessionKind.HOME_VISIT, subject="", content="家访, 了解家庭情况"),
    )

    assert home.status_code == 200
    assert world.volunteers.student.name in html(home)
    assert world.owned.student.name not in html(home)
    assert posted.status_code == 302
    session = TutoringSession.objects.get()
    assert (session.pairing, session.kind, session.logged_by) == (
        world.volunteers,
        SessionKind.HOME_VISIT,
        world.volunteer,
    )


# Logging a session


def test_teacher_logs_a_session_through_the_service(world):
    client = logged_in(world.owner)

    response = client.post(page_of(world.owned), form())

    assert response.status_code == 302
    assert response["Location"] == page_of(world.owned)
    session = TutoringSession.objects.get()
    assert session.pairing == world.owned
    assert session.logged_by == world.owner
    assert session.date == datetime.date(2026, 11, 18)
    assert session.minutes == 45
    assert session.subject == Subject.MATH
    assert session.kind == SessionKind.TUTORING
    assert session.content == "分数的加减法, 错题讲解"
    # Written through the service, so the audit history has it too.
    assert session.history.count() == 1
    shown = client.get(response["Location"])
    assert "分数的加减法, 错题讲解" in html(shown)


def test_a_typed_length_wins_over_the_preset(world):
    response = logged_in(world.owner).post(
        page_of(world.owned), form(minutes="45", other_minutes="75")
    )

    assert response.status_code == 302
    assert TutoringSession.objects.get().minutes == 75


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "2026-11-21"}, "date", "A session cannot be dated in the future."),
        ({"date": "2026-08-31"}, "date", "The date must fall inside the term."),
        ({"date": "2026-09-06"}, "date", "The date cannot precede the start of the pairing."),
        ({"date": "18.11.2026"}, "date", "Enter a valid date."),
        ({"date": ""}, "date", "This field is required."),
        ({"minutes": "", "other_minutes": "700"}, "minutes", "Minutes must be between 1 and 600."),
        ({"minutes": "", "other_minutes": "0"}, "minutes", "Minutes must be between 1 and 600."),
        ({"minutes": ""}, "minutes", "Choose the length or type it in."),
        ({"minutes": "44"}, "minutes", "Select a valid choice."),
        ({"other_minutes": "half"}, "other_minutes", "Enter a whole number."),
        ({"subject": ""}, "subject", "A tutoring session needs its subject."),
        ({"subject": "alchemy"}, "subject", "Select a valid choice."),
        ({"kind": "party"}, "kind", "Select a valid choice."),
        ({"content": "   "}, "content", "Describe what was done."),
        ({"content": "x" * 5001}, "content", "Keep the content within 5000 characters."),
    ],
)
def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_written(
    world, overrides, field, message
):
    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").post(
        page_of(world.owned), form(**overrides)
    )

    assert response.status_code == 400
    assert message in error_on(response, field), html(response)
    assert session_count() == 0
    # What the teacher typed is kept, so they fix one field and send again.
    if field != "content":
        assert "分数的加减法, 错题讲解" in html(response)


def test_every_mistake_of_the_form_is_shown_at_once(world):
    """The form's own errors (minutes) and the service's (date, subject, content) together."""
    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").post(
        page_of(world.owned),
        form(date="2099-01-01", minutes="", other_minutes="half", subject="", content=" "),
    )

    assert response.status_code == 400
    assert "Enter a whole number." in error_on(response, "other_minutes")
    assert "A session cannot be dated in the future." in error_on(response, "date")
    assert "A tutoring session needs its subject." in error_on(response, "subject")
    assert "Describe what was done." in error_on(response, "content")
    assert session_count() == 0


# CSRF


def _csrf_token(client, url) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_logging_a_session_needs_the_csrf_token(world):
    client = logged_in(world.owner, enforce_csrf_checks=True)

    refused = client.post(page_of(world.owned), form())
    assert refused.status_code == 403
    assert session_count() == 0

    token = _csrf_token(client, page_of(world.owned))
    accepted = client.post(page_of(world.owned), form(csrfmiddlewaretoken=token))
    assert accepted.status_code == 302
    assert session_count() == 1


def test_login_and_marking_read_need_the_csrf_token(world):
    reminder = _notification(world.owner)
    anonymous = Client(enforce_csrf_checks=True)
    refused_login = anonymous.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD})
    assert refused_login.status_code == 403
    assert "_auth_user_id" not in anonymous.session

    client = logged_in(world.owner, enforce_csrf_checks=True)
    refused = client.post(f"{REMINDERS}{reminder.pk}/read/")
    reminder.refresh_from_db()
    assert refused.status_code == 403
    assert reminder.read_at is None


def test_the_page_forms_carry_the_csrf_token(world):
    page = html(logged_in(world.owner).get(page_of(world.owned)))

    # The session form, the logout button and the language switch.
    assert page.count('name="csrfmiddlewaretoken"') == 3


# Logging in and out


def test_teacher_logs_in_and_lands_on_their_mentees(client, world):
    response = client.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == HOME
    assert world.owned.student.name in html(response)


def test_login_keeps_the_page_asked_for(client, world):
    response = client.post(
        f"{LOGIN}?next={page_of(world.owned)}",
        {"username": "owner", "password": DEFAULT_PASSWORD, "next": page_of(world.owned)},
    )

    assert response.status_code == 302
    assert response["Location"] == page_of(world.owned)


def test_a_wrong_password_is_refused(client, world):
    response = client.post(LOGIN, {"username": "owner", "password": "not-the-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'class="error"' in html(response)


def test_login_failures_lock_the_account_as_on_the_api(client, world, settings, clock):  # noqa: F811
    # The lockout counted for every login (core.logins): five failures lock
    # the account, on this page as through the API, whatever the address.
    settings.AXES_FAILURE_LIMIT = 5
    # django-axes reads the time both through timezone.now and its own
    # import of it, which the frozen clock does not reach: unfreeze.
    clock.return_value = datetime.datetime.now(datetime.UTC)
    for n in range(4):
        response = client.post(LOGIN, {"username": "owner", "password": "wrong"})
        assert response.status_code == 200, n
    api = APIClient(REMOTE_ADDR="192.0.2.99")
    fifth = api.post("/api/v1/auth/token/", {"username": "owner", "password": "wrong"})
    assert fifth.status_code == 429

    locked = client.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD})

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert "该账号登录失败次数过多" in html(locked)
    other = Client().post(LOGIN, {"username": "colleague", "password": DEFAULT_PASSWORD})
    assert other.status_code == 302


def test_logout_is_a_post_and_ends_the_session(world):
    client = logged_in(world.owner)

    response = client.post("/teacher/logout/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(HOME).status_code == 302


# This week's status


def _compliance_row(pairing, *, sessions, met):
    iso = MONDAY.isocalendar()
    return WeeklyCompliance.objects.create(
        pairing=pairing,
        term=pairing.term,
        school=pairing.student.school,
        mentor=pairing.mentor,
        week_start=MONDAY,
        iso_year=iso.year,
        iso_week=iso.week,
        sessions=sessions,
        minutes=45 * sessions,
        target_sessions=1,
        met=met,
    )


def week_of(response, pairing) -> str:
    """The data-week state shown for `pairing` on the home page, or on its own page."""
    page = html(response)
    card = re.search(
        rf'data-pairing="{pairing.pk}".*?data-week="(\w+)"', page, flags=re.DOTALL
    ) or re.search(r'data-week="(\w+)"', page)
    return card.group(1)


def test_the_week_is_open_until_a_session_is_logged_then_met(world):
    client = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en")
    assert week_of(client.get(HOME), world.owned) == "open"
    assert "This week: 0 of 1" in html(client.get(page_of(world.owned)))

    client.post(page_of(world.owned), form())

    assert week_of(client.get(HOME), world.owned) == "met"
    mentee = client.get(page_of(world.owned))
    assert week_of(mentee, world.owned) == "met"
    assert "This week: 1 of 1" in html(mentee)


def test_a_session_of_last_week_does_not_meet_this_week(world):
    logged_in(world.owner).post(page_of(world.owned), form(date="2026-11-13"))

    assert session_count() == 1
    assert week_of(logged_in(world.owner).get(HOME), world.owned) == "open"


def test_the_stored_row_of_the_week_is_what_the_page_shows(world):
    # The weekly check's row wins over a count of the sessions.
    _compliance_row(world.owned, sessions=2, met=True)

    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(HOME)

    assert week_of(response, world.owned) == "met"
    assert "This week: 2 of 1" in html(response)


def test_a_holiday_week_is_not_counted(world, clock):  # noqa: F811
    clock.return_value = datetime.datetime(2026, 10, 1, 10, 0, tzinfo=NOW.tzinfo)

    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(HOME)

    assert week_of(response, world.owned) == "off"
    assert "Holiday week" in html(response)


def test_a_care_pairing_has_no_weekly_target(world):
    client = logged_in(world.volunteer, HTTP_ACCEPT_LANGUAGE="en")
    client.post(
        page_of(world.volunteers),
        form(kind=SessionKind.HOME_VISIT, subject="", content="家访", date="2026-11-17"),
    )

    response = client.get(HOME)

    assert week_of(response, world.volunteers) == "off"
    assert "No weekly target" in html(response)
    assert "this week: 0 sessions, 1 home visits" in html(response)


def test_a_home_visit_does_not_meet_the_tutoring_target(world):
    # The weekly check counts tutoring and counselling; the page shows what it will judge.
    client = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en")
    client.post(page_of(world.owned), form(kind=SessionKind.HOME_VISIT, subject=""))
    assert week_of(client.get(HOME), world.owned) == "open"

    client.post(page_of(world.owned), form(kind=SessionKind.COUNSELLING, subject=""))
    assert week_of(client.get(HOME), world.owned) == "met"


def test_a_pairing_starting_next_week_is_not_counted_this_week(world):
    world.owned.started_on = datetime.date(2026, 11, 23)
    world.owned.save()

    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(HOME)

    assert week_of(response, world.owned) == "off"
    assert "This week is not counted" in html(response)


def test_a_pairing_starting_mid_week_counts_that_week(world):
    world.owned.started_on = datetime.date(2026, 11, 18)
    world.owned.save()

    response = logged_in(world.owner).get(HOME)

    assert week_of(response, world.owned) == "open"


# Reminders


def _notification(user, n=0, **fields) -> Notification:
    values = {
        "recipient": user,
        "kind": NotificationKind.MISSED_WEEK,
        "key": f"missed_week:test:{user.pk}:{n}",
        "subject": f"本周没有辅导记录 {n}",
        "body": "请记录本周的辅导。",
    }
    values.update(fields)
    return Notification.objects.create(**values)


def test_teacher_reads_their_reminders_and_marks_one_read(world):
    mine = _notification(world.owner, 1)
    other = _notification(world.owner, 2)
    theirs = _notification(world.colleague, 3)
    client = logged_in(world.owner)

    listed = client.get(REMINDERS)
    home = client.get(HOME)

    assert listed.status_code == 200
    assert mine.subject in html(listed) and other.subject in html(listed)
    assert theirs.subject not in html(listed)
    assert re.search(r'id="reminders-link">[^<]*<span class="count"[^>]*>2</span>', html(home))

    marked = client.post(f"{REMINDERS}{mine.pk}/read/")

    assert marked.status_code == 302
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at == NOW
    assert other.read_at is None


def test_another_users_reminder_cannot_be_marked_read(world):
    theirs = _notification(world.colleague)

    response = logged_in(world.owner).post(f"{REMINDERS}{theirs.pk}/read/")

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.read_at is None


def test_mark_all_read_touches_only_the_users_own_reminders(world):
    mine = [_notification(world.owner, n) for n in range(3)]
    theirs = _notification(world.colleague, 9)

    response = logged_in(world.owner).post(f"{REMINDERS}read/")

    assert response.status_code == 302
    assert all(Notification.objects.get(pk=n.pk).read_at == NOW for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_a_post(world):
    mine = _notification(world.owner)

    response = logged_in(world.owner).get(f"{REMINDERS}{mine.pk}/read/")

    mine.refresh_from_db()
    assert response.status_code == 405
    assert mine.read_at is None


# Languages


def test_the_page_is_in_chinese_by_default_and_english_on_request(world):
    chinese = logged_in(world.owner).get(page_of(world.owned))
    english = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(page_of(world.owned))

    assert '<html lang="zh-hans">' in html(chinese)
    assert "辅导" in html(chinese) and "数学" in html(chinese)
    assert '<html lang="en">' in html(english)
    assert "Tutoring" in html(english) and "Mathematics" in html(english)
    assert "辅导" not in html(english)


def test_the_language_switch_keeps_english_for_the_session(world):
    client = logged_in(world.owner)

    switched = client.post(
        reverse("set_language"), {"language": "en", "next": page_of(world.owned)}
    )

    assert switched.status_code == 302
    assert switched["Location"] == page_of(world.owned)
    assert '<html lang="en">' in html(client.get(page_of(world.owned)))


# Query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_home_page_query_count_does_not_grow_with_mentees(world):
    mentor = world.owner.mentor
    mentor.capacity = 60
    mentor.save()
    client = logged_in(world.owner)

    def add(n):
        for _ in range(n):
            pairing = PairingFactory(
                mentor=mentor, student=StudentFactory(school=world.school_a), term=world.term
            )
            StudentRecordFactory(student=pairing.student, term=world.term)
            TutoringSessionFactory(pairing=pairing, date=MONDAY)

    add(4)
    small = _queries(client, HOME)
    add(45)
    large = _queries(client, HOME)

    assert large == small
    assert html(client.get(HOME)).count("data-pairing=") == 50


def test_the_mentee_page_query_count_does_not_grow_with_sessions(world):
    client = logged_in(world.owner)

    TutoringSessionFactory(pairing=world.owned, date=MONDAY)
    small = _queries(client, page_of(world.owned))
    for day in range(40):
        TutoringSessionFactory(
            pairing=world.owned, date=datetime.date(2026, 9, 8) + datetime.timedelta(day)
        )
    large = _queries(client, page_of(world.owned))

    assert large == small


def test_the_reminders_query_count_does_not_grow_with_reminders(world):
    client = logged_in(world.owner)

    _notification(world.owner, 0)
    small = _queries(client, REMINDERS)
    for n in range(1, 40):
        _notification(world.owner, n)
    large = _queries(client, REMINDERS)

    assert large == small
