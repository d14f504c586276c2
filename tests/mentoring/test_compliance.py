"""The weekly check: the calendar, the rows it writes, refreshes after sessions, reminders.

The scene's term is the factories' 2026 autumn term (1 Sep 2026 to 22 Jan
2027, holiday weeks starting 28 Sep and 5 Oct). "Today" is Tuesday 20 Oct
2026, so the weeks ended are those up to the one starting Monday 12 Oct.
"""

import datetime
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from core.errors import NotPermitted
from mentoring.models import (
    Notification,
    NotificationKind,
    Pairing,
    PairingStatus,
    SessionKind,
    TutoringSession,
    WeeklyCompliance,
    person_name,
)
from mentoring.school_weeks import (
    WeekFigures,
    pairing_weeks,
    parse_week,
    school_weeks,
    week_results,
)
from mentoring.services import compliance, notifications
from mentoring.services.compliance import compliance_check, compliance_refresh_week
from mentoring.services.sessions import session_delete, session_log, session_update
from mentoring.workdays import unknown_years
from workers.factories import (
    PairingFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)
from workers.models import Job, JobKind, JobStatus

D = datetime.date
TODAY = D(2026, 10, 20)
NOW = datetime.datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
W37, W38, W39, W42, W43 = (
    D(2026, 9, 7),
    D(2026, 9, 14),
    D(2026, 9, 21),
    D(2026, 10, 12),
    D(2026, 10, 19),
)


# --- The calendar, without a database. -----------------------------------------------------------


def test_school_weeks_cover_partial_first_week_and_skip_holiday_weeks():
    weeks = school_weeks(D(2026, 9, 1), D(2026, 10, 20), ["2026-09-28", "2026-10-07"])
    # The term starts on a Tuesday: its first week is the one of Monday 31 Aug.
    assert weeks[0] == D(2026, 8, 31)
    # A holiday week given by a Wednesday is still skipped as a whole.
    assert D(2026, 9, 28) not in weeks and D(2026, 10, 5) not in weeks
    assert weeks == [D(2026, 8, 31), W37, W38, W39, W42, W43]


def test_pairing_weeks_start_with_the_week_it_began_and_stop_at_the_week_it_ended():
    weeks = school_weeks(D(2026, 9, 1), D(2027, 1, 22), ["2026-09-28", "2026-10-05"])
    # Begun on a Wednesday mid-term: that week counts, the weeks before do not.
    assert pairing_weeks(weeks, D(2026, 9, 16), None, TODAY) == [W38, W39, W42]
    # Ended on the Wednesday of W38: W38 counts, W39 does not.
    assert pairing_weeks(weeks, W37, D(2026, 9, 16), TODAY) == [W37, W38]
    # Today's week (W43) has not ended, so it is not judged yet; on Monday it is.
    assert W43 not in pairing_weeks(weeks, W37, None, TODAY)
    assert pairing_weeks(weeks, W37, None, D(2026, 10, 26))[-1] == W43


def test_streak_counts_missed_weeks_in_a_row_across_a_holiday_and_resets_when_met():
    weeks = [W37, W38, W39, W42, W43]
    results = week_results(
        weeks,
        {W37: WeekFigures(sessions=1, minutes=45), W43: WeekFigures(sessions=2, minutes=90)},
    )
    assert [r.met for r in results] == [True, False, False, False, True]
    assert [r.missed_streak for r in results] == [0, 1, 2, 3, 0]
    assert results[-1].minutes == 90


def test_parse_week_reads_iso_weeks_and_dates():
    assert parse_week("2026-W38") == W38
    assert parse_week("2026-09-17") == W38
    with pytest.raises(ValueError):
        parse_week("next week")
    with pytest.raises(ValueError):
        parse_week("2026-W60")


# --- The check against the database. -------------------------------------------------------------


@dataclass
class Scene:
    pairing: Pairing
    admin: object
    term: object

    def rows(self, pairing=None):
        pairing = pairing or self.pairing
        return {
            row.week_start: (row.sessions, row.minutes, row.home_visits, row.met, row.missed_streak)
            for row in WeeklyCompliance.objects.filter(pairing=pairing)
        }


@pytest.fixture
def scene(db, school_a):
    admin = member("administrator", school_a, email="head@example.org")
    term = TermFactory(district=school_a.district)
    pairing = PairingFactory(
        student=StudentFactory(school=school_a, name="小明"), term=term, started_on=W37
    )
    session = TutoringSessionFactory
    session(pairing=pairing, date=D(2026, 9, 8), minutes=45)
    session(pairing=pairing, date=D(2026, 9, 10), minutes=90, kind=SessionKind.HOME_VISIT)
    # In a holiday week: not counted anywhere.
    session(pairing=pairing, date=D(2026, 9, 30), minutes=40)
    # Counselling counts like tutoring; material help does not.
    session(pairing=pairing, date=D(2026, 10, 20), minutes=30, kind=SessionKind.COUNSELLING)
    session(pairing=pairing, date=D(2026, 9, 22), minutes=20, kind=SessionKind.MATERIAL_HELP)
    return Scene(pairing=pairing, admin=admin, term=term)


def test_check_writes_one_row_per_ended_school_week_of_the_pairing(scene):
    outcome = compliance_check(term_id=scene.term.pk, today=TODAY)

    assert scene.rows() == {
        W37: (1, 45, 1, True, 0),
        W38: (0, 0, 0, False, 1),
        W39: (0, 0, 0, False, 2),
        # The holiday weeks between do not break the streak.
        W42: (0, 0, 0, False, 3),
    }
    row = WeeklyCompliance.objects.get(pairing=scene.pairing, week_start=W42)
    assert (row.iso_year, row.iso_week, row.target_sessions) == (2026, 42, 1)
    assert row.school_id == scene.pairing.student.school_id
    assert row.mentor_id == scene.pairing.mentor_id
    assert row.term_id == scene.term.pk
    assert outcome.as_dict() | {"emailed": None} == {
        "term": "2026-autumn",
        "through": "2026-W42",
        "pairings": 1,
        "weeks": 4,
        "met": 1,
        "missed": 3,
        "written": 4,
        "deleted": 0,
        "reminders_due": 2,
        "emailed": None,
        # The term runs into January 2027: the years the official calendar does not know.
        "calendar_unknown_years": unknown_years(scene.term.start_date, scene.term.end_date),
    }


def test_a_term_in_a_year_the_calendar_does_not_know_is_checked_by_its_weeks_and_says_so(
    db, caplog
):
    term = TermFactory(
        code="2099-autumn",
        school_year="2099-2100",
        start_date=datetime.date(2099, 9, 1),
        end_date=datetime.date(2099, 12, 31),
        holiday_weeks=["2099-09-28"],
    )

    with caplog.at_level("WARNING", logger="mentoring.services.compliance"):
        outcome = compliance_check(term_id=term.pk, today=datetime.date(2099, 10, 12))

    assert outcome.calendar_unknown_years == (2099,)
    assert outcome.as_dict()["calendar_unknown_years"] == [2099]
    # Weeks of 31 August to 5 October, less the holiday week: the last ended is 5 October.
    assert outcome.through == datetime.date(2099, 10, 5)
    assert any("2099" in record.getMessage() for record in caplog.records)


def test_check_run_twice_keeps_one_row_per_week_and_one_reminder_each(scene):
    first = compliance_check(term_id=scene.term.pk, today=TODAY)
    rows = scene.rows()
    second = compliance_check(term_id=scene.term.pk, today=TODAY)

    assert scene.rows() == rows
    assert WeeklyCompliance.objects.count() == 4
    assert second.written == 0
    assert Notification.objects.count() == 2
    mentor_note = Notification.objects.get(kind=NotificationKind.MISSED_WEEK)
    assert mentor_note.recipient == scene.pairing.mentor.user
    assert mentor_note.key == f"missed_week:{scene.pairing.pk}:2026-W42"
    assert mentor_note.data["week"] == "2026-W42"
    escalation = Notification.objects.get(kind=NotificationKind.MISSED_STREAK)
    assert escalation.recipient == scene.admin
    assert escalation.data["streak"] == 3
    assert "小明" in escalation.body
    # Each reminder was e-mailed once, by the first run only.
    assert (first.emailed, second.emailed) == (2, 0)
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["head@example.org", scene.pairing.mentor.user.email]
    )
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_reminder_text_is_in_chinese_and_english(scene):
    compliance_check(term_id=scene.term.pk, today=TODAY)
    note = Notification.objects.get(kind=NotificationKind.MISSED_WEEK)
    # English source; the Chinese comes from the zh_Hans catalogue when it has the string.
    assert "No tutoring logged in week 2026-W42" in note.subject
    assert "2026-10-12" in note.body and "2026-10-18" in note.body
    message = next(m for m in mail.outbox if m.to == [scene.pairing.mentor.user.email])
    assert message.subject == note.subject and message.body == note.body


def test_a_met_week_sends_no_reminder_and_one_missed_week_does_not_escalate(scene, school_a):
    other = PairingFactory(student=StudentFactory(school=school_a), term=scene.term, started_on=W42)
    TutoringSessionFactory(pairing=scene.pairing, date=D(2026, 10, 13))
    compliance_check(term_id=scene.term.pk, today=TODAY)

    assert scene.rows()[W42] == (1, 45, 0, True, 0)
    # Begun mid-term (W42): one row, missed, the mentor is reminded, nobody else.
    assert scene.rows(other) == {W42: (0, 0, 0, False, 1)}
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (other.mentor.user_id, NotificationKind.MISSED_WEEK)
    ]


def test_a_second_missed_week_in_a_row_notifies_every_administrator_of_the_school(
    scene, school_a, school_b
):
    district_admin = member("administrator", school_a, school_b)
    other_school_admin = member("administrator", school_b)
    member("teacher", school_a)
    compliance_check(term_id=scene.term.pk, today=TODAY)

    escalated = set(
        Notification.objects.filter(kind=NotificationKind.MISSED_STREAK).values_list(
            "recipient", flat=True
        )
    )
    assert escalated == {scene.admin.pk, district_admin.pk}
    assert other_school_admin.pk not in escalated


def test_an_ended_pairing_is_checked_up_to_the_week_it_ended_and_proposed_ones_not(scene, school_a):
    Pairing.objects.filter(pk=scene.pairing.pk).update(
        status=PairingStatus.ENDED, ended_on=D(2026, 9, 16)
    )
    proposed = PairingFactory(
        student=StudentFactory(school=school_a), term=scene.term, status=PairingStatus.PROPOSED
    )
    compliance_check(term_id=scene.term.pk, today=TODAY)

    assert scene.rows() == {W37: (1, 45, 1, True, 0), W38: (0, 0, 0, False, 1)}
    assert not WeeklyCompliance.objects.filter(pairing=proposed).exists()
    # Its last week (W38) is not the week checked (W42): no reminder for it now.
    assert Notification.objects.count() == 0


def test_a_care_pairing_has_no_weekly_target(scene, school_a):
    care = PairingFactory(student=StudentFactory(school=school_a), term=scene.term, kind="care")
    compliance_check(term_id=scene.term.pk, today=TODAY)
    assert not WeeklyCompliance.objects.filter(pairing=care).exists()


def test_a_holiday_week_added_after_the_check_loses_its_row(scene):
    compliance_check(term_id=scene.term.pk, today=TODAY)
    scene.term.holiday_weeks = [*scene.term.holiday_weeks, "2026-09-14"]
    scene.term.save()

    # The Monday check looks at the weeks since its last run only...
    assert compliance_check(term_id=scene.term.pk, today=TODAY, remind=False).deleted == 0
    # ...the whole term is recomputed on demand.
    outcome = compliance_check(
        term_id=scene.term.pk, today=TODAY, since=scene.term.start_date, remind=False
    )

    assert outcome.deleted == 1
    assert scene.rows() == {
        W37: (1, 45, 1, True, 0),
        W39: (0, 0, 0, False, 1),
        W42: (0, 0, 0, False, 2),
    }


def test_the_next_monday_check_writes_the_new_week_and_continues_the_stored_streak(scene, school_a):
    compliance_check(term_id=scene.term.pk, today=TODAY)
    # Paired after the first check, dated back to W39: new to the check.
    late = PairingFactory(student=StudentFactory(school=school_a), term=scene.term, started_on=W39)
    TutoringSessionFactory(pairing=late, date=D(2026, 9, 22))
    # A session of W37 slipped in without its refresh: the Monday check does not reread W37.
    TutoringSessionFactory(pairing=scene.pairing, date=D(2026, 9, 9))

    outcome = compliance_check(term_id=scene.term.pk, today=D(2026, 10, 26))

    assert outcome.through == W43
    # W43 of the first pairing, and the three weeks of the new one.
    assert outcome.written == 4
    assert scene.rows()[W43] == (1, 30, 0, True, 0)
    assert scene.rows()[W37] == (1, 45, 1, True, 0)
    assert scene.rows(late) == {
        W39: (1, 45, 0, True, 0),
        W42: (0, 0, 0, False, 1),
        W43: (0, 0, 0, False, 2),
    }
    # The whole term, on demand, sees it.
    compliance_check(
        term_id=scene.term.pk, today=D(2026, 10, 26), since=scene.term.start_date, remind=False
    )
    assert scene.rows()[W37] == (2, 90, 1, True, 0)


def test_a_missed_monday_is_caught_up_by_the_next_one(scene):
    compliance_check(term_id=scene.term.pk, today=D(2026, 9, 21))
    assert set(scene.rows()) == {W37, W38}
    compliance_check(term_id=scene.term.pk, today=D(2026, 10, 26))
    assert scene.rows() == {
        W37: (1, 45, 1, True, 0),
        W38: (0, 0, 0, False, 1),
        W39: (0, 0, 0, False, 2),
        W42: (0, 0, 0, False, 3),
        W43: (1, 30, 0, True, 0),
    }


def test_the_check_limited_to_schools_leaves_other_schools_alone(scene, school_b):
    other = PairingFactory(student=StudentFactory(school=school_b), term=scene.term, started_on=W42)
    compliance_check(term_id=scene.term.pk, today=TODAY, school_ids=[school_b.pk])
    assert not WeeklyCompliance.objects.filter(pairing=scene.pairing).exists()
    assert WeeklyCompliance.objects.filter(pairing=other).count() == 1


def test_the_check_reads_and_writes_in_a_fixed_number_of_queries(
    scene, school_a, django_assert_max_num_queries
):
    def run():
        WeeklyCompliance.objects.all().delete()
        Notification.objects.all().delete()
        # Two of them resolve and re-open reminders (tests/mentoring/test_reminders_resolved.py).
        with django_assert_max_num_queries(16) as captured:
            compliance_check(term_id=scene.term.pk, today=TODAY)
        return len(captured.captured_queries)

    few = run()
    for _ in range(10):
        pairing = PairingFactory(
            student=StudentFactory(school=school_a), term=scene.term, started_on=W37
        )
        TutoringSessionFactory(pairing=pairing, date=D(2026, 9, 15))
    # SQLite splits a large INSERT into batches of its variable limit; 11 pairings stay in one.
    assert run() == few


# --- Refreshing after a session of a past week changes. ------------------------------------------


@pytest.fixture
def clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW) as frozen:
        yield frozen


@pytest.fixture
def checked(scene, clock):
    compliance_check(term_id=scene.term.pk, today=TODAY)
    mail.outbox.clear()
    return scene


def refresh_jobs():
    return Job.objects.filter(kind=JobKind.WEEKLY_CHECK)


def test_a_session_logged_late_for_an_old_week_refreshes_it_after_commit(
    checked, django_capture_on_commit_callbacks
):
    mentor = checked.pairing.mentor.user
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        session_log(
            by=mentor,
            pairing_id=checked.pairing.pk,
            day=D(2026, 9, 16),
            minutes=50,
            kind=SessionKind.TUTORING,
            subject="math",
            content="迟到的记录",
        )
        # Nothing changes before the commit.
        assert checked.rows()[W38] == (0, 0, 0, False, 1)
    assert len(callbacks) == 1

    assert checked.rows() == {
        W37: (1, 45, 1, True, 0),
        W38: (1, 50, 0, True, 0),
        # The streak after it is shorter now.
        W39: (0, 0, 0, False, 1),
        W42: (0, 0, 0, False, 2),
    }
    job = refresh_jobs().get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.school_id == checked.pairing.student.school_id
    assert job.started_by == mentor
    assert job.result["written"] == 3
    # A refresh reminds nobody.
    assert Notification.objects.count() == 2 and mail.outbox == []


def test_a_session_in_the_current_week_or_an_unchecked_week_starts_no_refresh(
    checked, django_capture_on_commit_callbacks
):
    mentor = checked.pairing.mentor.user
    with django_capture_on_commit_callbacks(execute=True):
        # Today's week has not ended: it is judged next Monday.
        session_log(
            by=mentor,
            pairing_id=checked.pairing.pk,
            day=D(2026, 10, 19),
            minutes=30,
            kind=SessionKind.COUNSELLING,
            content="谈心",
        )
    assert refresh_jobs().count() == 0
    assert W43 not in checked.rows()


def test_a_session_moved_to_another_week_refreshes_both_weeks(
    checked, django_capture_on_commit_callbacks
):
    session = TutoringSession.objects.get(pairing=checked.pairing, date=D(2026, 9, 8))
    # An administrator may correct it whenever; the mentor within 7 days of logging.
    with django_capture_on_commit_callbacks(execute=True):
        session_update(by=checked.admin, session=session, date=D(2026, 9, 23))

    assert checked.rows() == {
        W37: (0, 0, 1, False, 1),
        W38: (0, 0, 0, False, 2),
        W39: (1, 45, 0, True, 0),
        W42: (0, 0, 0, False, 1),
    }
    job = refresh_jobs().get()
    assert job.parameters["weeks"] == ["2026-09-07", "2026-09-21"]


def test_a_session_deleted_turns_its_week_missed(checked, django_capture_on_commit_callbacks):
    session = TutoringSession.objects.get(pairing=checked.pairing, date=D(2026, 9, 8))
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(by=checked.admin, session=session)

    assert checked.rows()[W37] == (0, 0, 1, False, 1)
    assert checked.rows()[W42] == (0, 0, 0, False, 4)
    # The audit history keeps the deleted session.
    assert TutoringSession.history.filter(id=session.pk, history_type="-").exists()


def test_a_mentor_cannot_delete_a_session_after_the_edit_window(checked, clock):
    session = TutoringSession.objects.get(pairing=checked.pairing, date=D(2026, 9, 8))
    TutoringSession.objects.filter(pk=session.pk).update(
        created_at=NOW - datetime.timedelta(days=8)
    )
    with pytest.raises(NotPermitted):
        session_delete(by=checked.pairing.mentor.user, session=session)
    assert TutoringSession.objects.filter(pk=session.pk).exists()
    assert refresh_jobs().count() == 0


def test_refresh_of_a_week_not_ended_writes_nothing(checked):
    assert (
        compliance_refresh_week(pairing_id=checked.pairing.pk, week_start=W43, today=TODAY) is None
    )


# --- E-mail --------------------------------------------------------------------------------------


def test_a_failed_mail_is_retried_by_the_next_check_and_then_sent_once(scene, settings):
    with mock.patch.object(
        notifications, "get_connection", side_effect=ConnectionRefusedError("smtp down")
    ):
        first = compliance_check(term_id=scene.term.pk, today=TODAY)
    assert first.emailed == 0
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    second = compliance_check(term_id=scene.term.pk, today=TODAY)
    assert second.emailed == 2 and len(mail.outbox) == 2
    assert Notification.objects.count() == 2


def test_a_recipient_without_an_address_keeps_the_notification_without_mail(scene):
    scene.admin.email = ""
    scene.admin.save()
    compliance_check(term_id=scene.term.pk, today=TODAY)
    assert Notification.objects.filter(recipient=scene.admin).count() == 1
    assert [m.to for m in mail.outbox] == [[scene.pairing.mentor.user.email]]


# --- Celery beat ---------------------------------------------------------------------------------


def test_beat_runs_the_check_on_monday_morning_in_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-tutoring-check"]
    assert entry["task"] == "workers.weekly_check"
    assert entry["schedule"].day_of_week == {1}
    assert entry["schedule"].hour == {7}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_the_beat_task_checks_the_terms_whose_last_week_just_ended(scene, clock, school_a):
    from workers.tasks import weekly_check_task

    old = TermFactory(
        district=school_a.district,
        code="2026-spring",
        start_date=D(2026, 2, 23),
        end_date=D(2026, 7, 3),
        holiday_weeks=[],
    )
    PairingFactory(student=StudentFactory(school=school_a), term=old, started_on=D(2026, 3, 2))

    job_id = weekly_check_task.delay().get()

    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.started_by is None and job.parameters == {"day": "2026-10-20"}
    assert [term["term"] for term in job.result["terms"]] == ["2026-autumn"]
    assert job.result["terms"][0]["through"] == "2026-W42"
    assert scene.rows()[W42] == (0, 0, 0, False, 3)
    assert not WeeklyCompliance.objects.filter(term=old).exists()
    # Run again by a second beat: the same rows, no second reminder.
    weekly_check_task.delay().get()
    assert WeeklyCompliance.objects.count() == 4
    assert Notification.objects.count() == 2


def test_production_sends_mail_through_the_smtp_server_of_the_environment(tmp_path):
    import subprocess
    import sys

    from tests.project.test_deployment import ROOT, production_env

    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)"
    )
    env = production_env(
        tmp_path,
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="bangfu",
        EMAIL_USE_TLS="true",
    )
    result = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "587",
        "bangfu",
        "True",
    ]
    env["EMAIL_PORT"] = "smtp"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "EMAIL_PORT" in result.stderr


def test_a_mentor_is_named_in_the_order_of_their_name():
    assert person_name("老师", "张") == "张老师"
    assert person_name("Ann", "Lee") == "Ann Lee"
    assert compliance.person_name("", "") == ""
