"""Two weekly checks at once: one row per pairing-week and one reminder per missed week.

First with a real Celery worker on Redis running two checks in two threads
(eager mode skips the broker, serialisation and acknowledgement), then with two
threads calling the check at the same moment on PostgreSQL, whose unique
constraints and row locks are what keep the result single.
"""

import datetime
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app
from mentoring.models import Notification, NotificationKind, WeeklyCompliance
from mentoring.school_weeks import pairing_weeks, school_weeks
from mentoring.services.compliance import compliance_check
from tests.conftest import reminder_mail_jobs
from workers.factories import PairingFactory, StudentFactory, TermFactory, TutoringSessionFactory
from workers.factories import member as make_member
from workers.jobs import weekly_check_start
from workers.models import Job, JobStatus

D = datetime.date
W37 = D(2026, 9, 7)


def build(school_a, school_b, *, pairings: int = 6, through: datetime.date | None = None):
    """Pairings in two schools; each even one tutored every week, each odd one never.

    "Every week" runs to the week of `through` (today by default) or the term's
    end, so that the weeks a check of that day covers are all tutored,
    whatever day the test runs.
    """
    admin = make_member("administrator", school_a, school_b)
    term = TermFactory(district=school_a.district)
    last = min(through or timezone.localdate(), term.end_date)
    tutored_weeks = (last - W37).days // 7 + 1
    made = []
    for number in range(pairings):
        school = school_a if number % 3 else school_b
        pairing = PairingFactory(student=StudentFactory(school=school), term=term, started_on=W37)
        if number % 2 == 0:
            for week in range(tutored_weeks):
                TutoringSessionFactory(
                    pairing=pairing, date=W37 + datetime.timedelta(days=7 * week + 1)
                )
        made.append(pairing)
    return admin, term, made


def expected_rows(term, pairings, today):
    weeks = school_weeks(term.start_date, term.end_date, term.holiday_weeks)
    return sum(len(pairing_weeks(weeks, p.started_on, p.ended_on, today)) for p in pairings)


def assert_single_results(term, pairings, admins: int, today):
    rows = WeeklyCompliance.objects.filter(term=term)
    assert rows.count() == expected_rows(term, pairings, today)
    assert rows.values("pairing", "iso_year", "iso_week").distinct().count() == rows.count()
    missed = len(pairings) // 2
    # The never-tutored pairings: one reminder to the mentor, one to each administrator.
    assert Notification.objects.filter(kind=NotificationKind.MISSED_WEEK).count() == missed
    assert Notification.objects.filter(kind=NotificationKind.MISSED_STREAK).count() == (
        missed * admins
    )
    # Every stored reminder was e-mailed once, by the mail job of one of the two checks.
    jobs = reminder_mail_jobs()
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 2
    assert sum(job.result["emailed"] for job in jobs) == Notification.objects.count() > 0
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert len(mail.outbox) == Notification.objects.count()
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == len(mail.outbox)


@pytest.fixture
def broker_app(settings):
    """The project's Celery app sending through Redis instead of running eagerly."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def wait_for(job: Job) -> Job:
    for _ in range(300):
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    return job


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_on_a_real_worker_store_each_week_and_reminder_once(
    broker_app, school_a, school_b
):
    admin, term, pairings = build(school_a, school_b)
    assert broker_app.conf.broker_url.startswith("redis://")

    with start_worker(
        broker_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        first = weekly_check_start(by=admin, term_id=term.pk)
        second = weekly_check_start(by=admin, term_id=term.pk)
        first, second = wait_for(first), wait_for(second)
        # Each check, once committed, sent the task that e-mails its reminders.
        mailed = [wait_for(job) for job in reminder_mail_jobs()]

    assert len(mailed) == 2
    for job in (first, second, *mailed):
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.attempts == 1
        assert job.worker not in ("", "in-process") and job.worker in worker.hostname
    today = D.fromisoformat(first.parameters["day"])
    assert first.result["terms"][0]["pairings"] == len(pairings)
    assert_single_results(term, pairings, admins=1, today=today)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_checking_at_the_same_moment_on_postgresql(school_a, school_b):
    today = D(2026, 11, 30)
    _admin, term, pairings = build(school_a, school_b, pairings=40, through=today)
    make_member("administrator", school_a)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def check():
        try:
            start.wait()
            outcomes.append(compliance_check(term_id=term.pk, today=today))
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(outcomes) == 2
    # Each check's mail job ran as it committed (in-process here), both at once:
    # between them, each reminder was e-mailed once.
    jobs = reminder_mail_jobs()
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 2
    assert sum(job.result["emailed"] for job in jobs) == Notification.objects.count()
    # School B's streaks go to the district administrator only; school A's to both.
    missed_a = sum(1 for n, p in enumerate(pairings) if n % 2 and n % 3)
    missed_b = sum(1 for n, p in enumerate(pairings) if n % 2 and not n % 3)
    assert Notification.objects.filter(kind=NotificationKind.MISSED_STREAK).count() == (
        2 * missed_a + missed_b
    )
    rows = WeeklyCompliance.objects.filter(term=term)
    assert rows.count() == expected_rows(term, pairings, today)
    assert rows.values("pairing", "iso_year", "iso_week").distinct().count() == rows.count()
    assert Notification.objects.filter(kind=NotificationKind.MISSED_WEEK).count() == 20
    assert len(mail.outbox) == Notification.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_for_a_check_of_the_same_term_and_has_the_last_word(school_a, school_b):
    from mentoring.services.compliance import _take_turns, compliance_refresh_week

    today = D(2026, 10, 20)
    _admin, term, pairings = build(school_a, school_b, pairings=2, through=today)
    missed = pairings[1]
    compliance_check(term_id=term.pk, today=today, remind=False)
    week = WeeklyCompliance.objects.get(pairing=missed, week_start=D(2026, 10, 12))
    assert not week.met

    locked, release = threading.Event(), threading.Event()
    errors = []

    def check_in_progress():
        # A check that read the sessions before the late one was logged, and
        # writes its (now old) figures after the refresh has started.
        try:
            with transaction.atomic():
                _take_turns(term.pk)
                locked.set()
                release.wait(30)
                WeeklyCompliance.objects.filter(pk=week.pk).update(met=False, sessions=0)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def refresh():
        try:
            compliance_refresh_week(pairing_id=missed.pk, week_start=week.week_start, today=today)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    checker = threading.Thread(target=check_in_progress)
    checker.start()
    assert locked.wait(30)
    TutoringSessionFactory(pairing=missed, date=D(2026, 10, 14))
    refresher = threading.Thread(target=refresh)
    refresher.start()
    # The refresh waits for the check's lock (seen in pg_locks), not for a clock.
    waiting = False
    for _ in range(300):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            waiting = cursor.fetchone()[0] == 1
        if waiting:
            break
        time.sleep(0.05)
    release.set()
    checker.join(30)
    refresher.join(30)

    assert waiting and errors == []
    week.refresh_from_db()
    assert (week.sessions, week.met) == (1, True)
