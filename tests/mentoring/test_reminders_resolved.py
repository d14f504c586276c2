"""A missed-week reminder whose week is met later is resolved: no longer unread, anywhere.

The scene: the factories' 2026 autumn term, "today" Tuesday 20 Oct 2026, a
pairing that met the week of 7 Sep and nothing since, so the Monday check
of 19 Oct reminds the mentor of the missed week of 12 Oct (2026-W42) and,
the streak being long, the school's administrator too.

What resolves, what re-opens (the decision, see
mentoring.services.compliance):
- a session logged late, or moved, into the reminded week makes the week
  met; the refresh after the commit marks the week's reminders resolved
  (both the mentor's and the administrator's), and they stop counting as
  unread on the API and on the teacher's page;
- a session deleted (or moved) out of the week makes the week missed
  again, but the refresh does not re-open the reminder: a refresh reminds
  nobody. The next check that reminds (the Monday check, or one started on
  demand) finds the week missed and re-opens it, unread again.
"""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from mentoring.models import Notification, NotificationKind, SessionKind, TutoringSession
from mentoring.services.compliance import compliance_check
from mentoring.services.sessions import session_delete, session_log, session_update
from tests.conftest import check_and_mail, client_for
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)

D = datetime.date
TODAY = D(2026, 10, 20)
NOW = datetime.datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
IN_W42 = D(2026, 10, 14)


@pytest.fixture
def clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def scene(db, school_a, clock):
    admin = member("administrator", school_a)
    term = TermFactory(district=school_a.district)
    pairing = PairingFactory(
        student=StudentFactory(school=school_a, name="小明"),
        mentor=MentorFactory(user=member("teacher", school_a), schools=[school_a]),
        term=term,
        started_on=D(2026, 9, 7),
    )
    TutoringSessionFactory(pairing=pairing, date=D(2026, 9, 8), minutes=45)
    check_and_mail(term_id=term.pk, today=TODAY)
    # The mentor's reminder and the administrator's, e-mailed once after the check.
    assert len(mail.outbox) == 2
    mail.outbox.clear()
    return pairing, admin


def log_late(pairing):
    """The mentor logs, on 20 Oct, a session of the reminded week."""
    return session_log(
        by=pairing.mentor.user,
        pairing_id=pairing.pk,
        day=IN_W42,
        minutes=40,
        kind=SessionKind.TUTORING,
        subject="math",
        content="补记",
    )


def reminders(pairing):
    return Notification.objects.filter(data__pairing=pairing.pk).order_by("kind")


def unread_ids(user):
    response = client_for(user).get("/api/v1/notifications/", {"unread": "true"})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def page_unread(client, user):
    client.force_login(user)
    return client.get("/teacher/reminders/")


def test_the_check_reminded_the_mentor_and_the_administrator_of_week_42(scene):
    pairing, admin = scene
    kinds = {(n.kind, n.data["week"], n.resolved_at) for n in reminders(pairing)}
    assert kinds == {
        (NotificationKind.MISSED_STREAK, "2026-W42", None),
        (NotificationKind.MISSED_WEEK, "2026-W42", None),
    }
    assert len(unread_ids(pairing.mentor.user)) == 1
    assert len(unread_ids(admin)) == 1


def test_a_session_logged_late_into_the_week_resolves_its_reminders_after_commit(
    scene, django_capture_on_commit_callbacks
):
    pairing, admin = scene
    mentor = pairing.mentor.user
    with django_capture_on_commit_callbacks(execute=True):
        log_late(pairing)
        # Before the commit the week is still missed, and so is the reminder.
        assert reminders(pairing).filter(resolved_at__isnull=True).count() == 2

    assert [n.resolved_at for n in reminders(pairing)] == [NOW, NOW]
    assert unread_ids(mentor) == set()
    assert unread_ids(admin) == set()
    # Resolved is not the same as read: the recipient did not read it.
    assert all(n.read_at is None for n in reminders(pairing))
    body = client_for(mentor).get("/api/v1/notifications/").json()["results"]
    assert [(row["resolved"], row["unread"]) for row in body] == [(True, False)]
    # No e-mail is sent by a refresh, and nothing new is stored.
    assert mail.outbox == []
    assert Notification.objects.count() == 2


def test_the_teacher_page_no_longer_counts_a_resolved_reminder_as_unread(
    scene, client, django_capture_on_commit_callbacks
):
    pairing, _admin = scene
    mentor = pairing.mentor.user
    before = page_unread(client, mentor)
    assert before.context["unread"] == 1
    assert 'class="card unread"' in before.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        log_late(pairing)

    after = page_unread(client, mentor)
    html = after.content.decode()
    assert after.context["unread"] == 0
    assert 'class="card unread"' not in html
    assert 'class="card resolved"' in html
    assert client.get("/teacher/").context["unread"] == 0


def test_a_session_edited_into_the_week_resolves_it(scene, django_capture_on_commit_callbacks):
    pairing, admin = scene
    session = TutoringSession.objects.get(pairing=pairing, date=D(2026, 9, 8))
    with django_capture_on_commit_callbacks(execute=True):
        session_update(by=admin, session=session, date=IN_W42)

    assert all(n.resolved_at == NOW for n in reminders(pairing))
    assert unread_ids(pairing.mentor.user) == set()


def test_a_session_deleted_out_of_the_week_keeps_it_resolved_until_the_next_check_reopens_it(
    scene, django_capture_on_commit_callbacks
):
    pairing, admin = scene
    mentor = pairing.mentor.user
    with django_capture_on_commit_callbacks(execute=True):
        late = log_late(pairing)
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(by=mentor, session=late)

    # The refresh after the deletion records the week as missed again…
    assert pairing.weeks.get(week_start=D(2026, 10, 12)).met is False
    # …but does not re-open the reminder: a refresh reminds nobody.
    assert all(n.resolved_at is not None for n in reminders(pairing))
    assert unread_ids(mentor) == set()

    # The next check that reminds finds the week missed: the reminder is
    # open and unread again, without a second one or a second e-mail.
    check_and_mail(term_id=pairing.term_id, today=TODAY)
    assert all(n.resolved_at is None and n.read_at is None for n in reminders(pairing))
    assert len(unread_ids(mentor)) == 1
    assert len(unread_ids(admin)) == 1
    assert Notification.objects.count() == 2
    assert mail.outbox == []


def test_a_session_moved_out_of_the_week_by_an_edit_behaves_like_a_deletion(
    scene, django_capture_on_commit_callbacks
):
    pairing, admin = scene
    session = TutoringSession.objects.get(pairing=pairing, date=D(2026, 9, 8))
    with django_capture_on_commit_callbacks(execute=True):
        session_update(by=admin, session=session, date=IN_W42)
    with django_capture_on_commit_callbacks(execute=True):
        session_update(by=admin, session=session, date=D(2026, 9, 8))

    assert pairing.weeks.get(week_start=D(2026, 10, 12)).met is False
    assert all(n.resolved_at is not None for n in reminders(pairing))


def test_a_read_reminder_reopened_by_a_check_is_unread_again(
    scene, django_capture_on_commit_callbacks
):
    pairing, _admin = scene
    mentor = pairing.mentor.user
    reminder = reminders(pairing).get(kind=NotificationKind.MISSED_WEEK)
    assert client_for(mentor).post(f"/api/v1/notifications/{reminder.pk}/read/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        late = log_late(pairing)
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(by=mentor, session=late)

    compliance_check(term_id=pairing.term_id, today=TODAY)

    assert unread_ids(mentor) == {reminder.pk}


def test_a_week_met_from_the_start_resolves_nothing_it_did_not_remind(scene):
    pairing, _admin = scene
    # Running the check again changes nothing: still two open reminders.
    compliance_check(term_id=pairing.term_id, today=TODAY)
    assert reminders(pairing).filter(resolved_at__isnull=True).count() == 2
