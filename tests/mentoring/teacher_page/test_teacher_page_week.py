"""/teacher/: this week's status of each pairing, and the mentor's reminders."""

import datetime
import re

from mentoring.models import Notification, SessionKind, WeeklyCompliance
from tests.mentoring.pairings.pairing_world import (
    NOW,
    clock,  # noqa: F401
)
from tests.mentoring.teacher_page.page_scene import (
    HOME,
    MONDAY,
    REMINDERS,
    _notification,
    form,
    html,
    logged_in,
    page_of,
    session_count,
)

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
    assert "0 sessions this week (weekly target 1)" in html(client.get(page_of(world.owned)))

    client.post(page_of(world.owned), form())

    assert week_of(client.get(HOME), world.owned) == "met"
    mentee = client.get(page_of(world.owned))
    assert week_of(mentee, world.owned) == "met"
    assert "1 session this week (weekly target 1)" in html(mentee)


def test_a_session_of_last_week_does_not_meet_this_week(world):
    logged_in(world.owner).post(page_of(world.owned), form(date="2026-11-13"))

    assert session_count() == 1
    assert week_of(logged_in(world.owner).get(HOME), world.owned) == "open"


def test_the_stored_row_of_the_week_is_what_the_page_shows(world):
    # The weekly check's row wins over a count of the sessions.
    _compliance_row(world.owned, sessions=2, met=True)

    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(HOME)

    assert week_of(response, world.owned) == "met"
    assert "2 sessions this week (weekly target 1)" in html(response)
    assert "This week:" not in html(response)


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


def test_a_reminder_opens_the_log_form_on_its_week_and_a_resolved_one_asks_nothing(world):
    # A newcomer's findings: the link opened the form on today, and a reminder already
    # resolved still said no session was logged.
    last_week = MONDAY - datetime.timedelta(days=7)
    week = f"{last_week.isocalendar().year}-W{last_week.isocalendar().week:02d}"
    open_one = _notification(world.owner, 1, data={"pairing": world.owned.pk, "week": week})
    _notification(
        world.owner,
        2,
        data={"pairing": world.owned.pk, "week": week},
        resolved_at=NOW,
        read_at=NOW,
    )
    client = logged_in(world.owner)

    listed = html(client.get(REMINDERS))

    cards = listed.split('data-notification="')[1:]
    opened = next(card for card in cards if card.startswith(f'{open_one.pk}"'))
    resolved = next(card for card in cards if not card.startswith(f'{open_one.pk}"'))
    link = f"{page_of(world.owned)}?date={last_week.isoformat()}#log"
    assert link in opened
    assert "?date=" not in resolved and "没有辅导记录" not in resolved
    page = html(client.get(link.split("#")[0]))
    assert f'value="{last_week.isoformat()}"' in page
    # A day to come, or no day, is not offered: the form starts on today.
    future = (NOW.date() + datetime.timedelta(days=3)).isoformat()
    assert f'value="{future}"' not in html(client.get(f"{page_of(world.owned)}?date={future}"))
