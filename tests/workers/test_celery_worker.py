"""A real Celery worker on Redis runs a job end to end through the broker.

Eager mode skips serialisation, the broker and acknowledgement; these tests
do not.
"""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from workers.factories import member
from workers.jobs import account_census_start
from workers.models import Job, JobStatus

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_app(settings):
    """The project's Celery app sending through Redis instead of running eagerly."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def test_worker_runs_account_census_through_redis_and_reports_into_job(broker_app, school_a):
    member("administrator", school_a, username="head")
    member("teacher", school_a)
    admin = member("administrator", school_a)

    assert broker_app.conf.broker_url.startswith("redis://")
    assert broker_app.conf.task_serializer == "json"
    assert broker_app.conf.accept_content == ["json"]

    with start_worker(
        broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        job = account_census_start(by=admin, school=school_a)
        # The task reaches the worker only through Redis; wait for its outcome.
        for _ in range(300):
            job.refresh_from_db()
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                break
            time.sleep(0.1)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.attempts == 1
    # Run by the worker's process, not in the test's thread.
    assert job.worker not in ("", "in-process")
    assert job.worker in worker.hostname
    assert job.result == {
        "schools": [
            {
                "school": school_a.code,
                "roles": {
                    "administrator": 2,
                    "teacher": 1,
                    "volunteer": 0,
                    "donor": 0,
                    "supervisor": 0,
                },
            }
        ],
        "accounts": 3,
    }
    # The result went through JSON on its way back.
    assert json.loads(json.dumps(job.result)) == job.result
    assert Job.objects.count() == 1
