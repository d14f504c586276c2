"""The weekly check's reminders are e-mailed by a job of their own, after the check commits.

The scene: the factories' 2026 autumn term, "today" Tuesday 20 Oct 2026, a
pairing that met the week of 7 Sep and nothing since, so the check reminds
the mentor of the missed week of 12 Oct (2026-W42) and, the streak being
long, the school's administrator: two reminders, two e-mails.
"""

import datetime
import logging
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app
from mentoring.models import Notification
from mentoring.services.compliance import compliance_check
from tests.conftest import reminder_mail_jobs
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)
from workers.models import JobKind, JobStatus
from workers.services import job_create, jobs_reap
from workers.tasks import reminder_mail_task, weekly_check_task

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 10, 20)


@pytest.fixture
def scene(school_a):
    admin = member("administrator", school_a)
    term = TermFactory(district=school_a.district)
    pairing = PairingFactory(
        student=StudentFactory(school=school_a),
        mentor=MentorFactory(user=member("teacher", school_a), schools=[school_a]),
        term=term,
        started_on=D(2026, 9, 7),
    )
    TutoringSessionFactory(pairing=pairing, date=D(2026, 9, 8), minutes=45)
    return term, sorted([admin.email, pairing.mentor.user.email])


@pytest.fixture
def broker_down():
    """Tasks go to a broker (not eagerly), and every publish fails as with Redis stopped."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    down = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch("kombu.messaging.Producer.publish", side_effect=down) as publish:
        yield publish
    app.conf.task_always_eager = previous


def test_a_check_whose_mail_task_cannot_be_sent_succeeds_and_the_mail_goes_out_later(
    scene, broker_down, caplog, django_capture_on_commit_callbacks, settings
):
    term, recipients = scene
    check = job_create(
        kind=JobKind.WEEKLY_CHECK, parameters={"day": TODAY.isoformat(), "term": term.pk}
    )

    with (
        caplog.at_level(logging.WARNING, logger="workers.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # The check's own task runs here; the mail task it sends meets the broker away.
        weekly_check_task.apply((check.pk,))

    check.refresh_from_db()
    assert check.status == JobStatus.SUCCEEDED, check.error
    assert check.result["terms"][0]["reminders_due"] == 2
    assert broker_down.call_count >= 1
    mailing = reminder_mail_jobs().get()
    assert mailing.status == JobStatus.PENDING
    assert f"Job {mailing.pk} stays pending" in caplog.text
    assert mail.outbox == []
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    # The broker is back (tasks run in-process here): the reaper sends the job again.
    broker_down.side_effect = None
    app.conf.task_always_eager = True
    later = timezone.now() + datetime.timedelta(seconds=settings.JOB_RESEND_AFTER + 1)
    assert jobs_reap(now=later) == {"sent": [mailing.pk], "failed": []}

    mailing.refresh_from_db()
    assert mailing.status == JobStatus.SUCCEEDED, mailing.error
    assert mailing.result == {"emailed": 2}
    assert sorted(m.to[0] for m in mail.outbox) == recipients
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_the_mail_task_run_twice_sends_each_reminder_once(scene):
    term, recipients = scene
    # Inside the test's transaction the check's commit never comes: its job waits.
    compliance_check(term_id=term.pk, today=TODAY)
    mailing = reminder_mail_jobs().get()
    assert mailing.status == JobStatus.PENDING and mail.outbox == []

    # The same message delivered twice: the second finds its job finished.
    reminder_mail_task.apply((mailing.pk,))
    reminder_mail_task.apply((mailing.pk,))
    # A second job (a check run again, the reaper): the reminders are claimed already.
    again = job_create(kind=JobKind.REMINDER_MAIL)
    reminder_mail_task.apply((again.pk,))

    assert [(job.status, job.result) for job in reminder_mail_jobs()] == [
        (JobStatus.SUCCEEDED, {"emailed": 2}),
        (JobStatus.SUCCEEDED, {"emailed": 0}),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == recipients
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_check_that_reminds_nobody_sends_no_mail_task(scene):
    term, _recipients = scene

    compliance_check(term_id=term.pk, today=TODAY, remind=False)

    assert not reminder_mail_jobs().exists()
