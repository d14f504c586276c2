"""Jobs that always end, through Redis and a real worker: a publish that failed is
sent again by the reaper, a lost worker's job is run again, a database error is
retried, and a running job writes its heartbeat."""

import datetime
import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app
from donations.models import Contribution
from tests.conftest import client_for
from tests.donations.test_api_contributions import URL as CONTRIBUTIONS
from tests.donations.test_api_contributions import body, setup  # noqa: F401
from workers import tasks
from workers.factories import JobFactory
from workers.jobs import account_census_start
from workers.models import Job, JobKind, JobStatus
from workers.services import job_claim, jobs_reap

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_app():
    """The project's Celery app sending through Redis instead of running eagerly."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def worker(broker_app):
    return start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30)


def wait_until_finished(job: Job, seconds: float = 30) -> float:
    """Seconds until the job has finished (or `seconds`, when it never does)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def census_through_a_worker(broker_app, monkeypatch, *, by, school, work) -> Job:
    """Start an account census whose work is `work` (given the real one), and wait for it."""
    census = tasks._census
    monkeypatch.setattr(tasks, "_census", lambda job, progress: work(census, job, progress))
    with worker(broker_app):
        job = account_census_start(by=by, school=school)
        wait_until_finished(job)
    return job


def ago(seconds: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def test_a_contribution_sent_while_redis_was_down_is_posted_once_the_reaper_runs(
    broker_app,
    setup,  # noqa: F811
    admin_a,
    settings,
):
    down = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch("kombu.messaging.Producer.publish", side_effect=down):
        response = client_for(admin_a).post(CONTRIBUTIONS, body(setup), format="json")

    assert response.status_code == 201, response.content
    job = Job.objects.get(kind=JobKind.CONTRIBUTION_POSTING)
    assert job.status == JobStatus.PENDING
    Job.objects.filter(pk=job.pk).update(created_at=ago(settings.JOB_RESEND_AFTER + 1))

    with worker(broker_app):
        assert jobs_reap()["sent"] == [job.pk]
        wait_until_finished(job)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.resends) == (1, 0)
    contribution = Contribution.objects.get()
    assert contribution.status == "posted" and contribution.ledger_entry_id is not None
    assert job.result["receipt_number"] == contribution.receipt_number


def test_a_job_whose_whole_worker_was_lost_is_run_again_by_a_new_worker(
    broker_app, school_a, settings
):
    job = JobFactory(kind=JobKind.ACCOUNT_CENSUS, school=school_a)
    # A worker claimed it and was killed with its heartbeat: its message waits
    # for the visibility timeout, which the reaper does not.
    job_claim(job_id=job.pk, worker="celery@gone", task_id="lost-task")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=ago(settings.JOB_HEARTBEAT_TIMEOUT + 1))

    with worker(broker_app) as new_worker:
        assert jobs_reap()["sent"] == [job.pk]
        wait_until_finished(job)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.resends) == (2, 1)
    assert job.worker in new_worker.hostname
    assert job.task_id != "lost-task"


def test_a_database_error_in_a_task_is_retried_and_the_job_succeeds(
    broker_app, school_a, admin_a, monkeypatch
):
    attempts = []

    def flaky(census, job, progress):
        attempts.append(job.attempts)
        if len(attempts) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return census(job, progress)

    job = census_through_a_worker(broker_app, monkeypatch, by=admin_a, school=school_a, work=flaky)

    assert job.status == JobStatus.SUCCEEDED, job.error
    # The retry carries the task's id, so it takes back the job left running.
    assert attempts == [1, 2]
    assert job.attempts == 2 and Job.objects.count() == 1


def test_a_running_job_writes_its_heartbeat_while_its_work_runs(
    broker_app, school_a, admin_a, monkeypatch, settings
):
    settings.JOB_HEARTBEAT_EVERY = 1
    seen = []

    def slow(census, job, progress):
        # No progress reported for 3 s: only the heartbeat thread writes.
        time.sleep(3)
        seen.append(Job.objects.values_list("started_at", "heartbeat_at").get(pk=job.pk))
        return census(job, progress)

    job = census_through_a_worker(broker_app, monkeypatch, by=admin_a, school=school_a, work=slow)

    assert job.status == JobStatus.SUCCEEDED, job.error
    [(started_at, heartbeat_at)] = seen
    assert heartbeat_at - started_at >= datetime.timedelta(seconds=2)
