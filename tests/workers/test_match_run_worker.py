"""A real Celery worker on Redis runs the term's matching end to end, twice.

Eager mode skips serialisation, the broker and acknowledgement; this test
does not: the run is started through `match_run_start`, its task is sent to
Redis after the start commits, and a worker thread picks it up.
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from mentoring.models import (
    MatchRun,
    MatchRunStatus,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
)
from mentoring.services.match_runs import match_run_start
from tests.mentoring.match_runs.match_scene import ACADEMIC_OPTIMUM, build_scene, clock, proposal  # noqa: F401
from workers.models import Job, JobStatus
from workers.tasks import match_run_task

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    # The worker runs in a thread of this process, so it sees the frozen clock too.
    pytest.mark.usefixtures("clock"),
]


@pytest.fixture
def broker_app(settings):
    """The project's Celery app sending through Redis instead of running eagerly."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def wait_for(run: MatchRun) -> MatchRun:
    """Wait until the run's job has finished, through the database only."""
    job = run.job
    for _ in range(300):
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    run.refresh_from_db()
    return run


def test_worker_runs_a_match_run_through_redis_twice_with_the_same_pairs(broker_app):
    scene = build_scene()
    assert broker_app.conf.broker_url.startswith("redis://")

    with start_worker(
        broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        first = match_run_start(by=scene.admin, term_id=scene.term.pk, kinds=["academic"])
        first = wait_for(first)
        first_pairs = proposal(first)
        second = match_run_start(by=scene.admin, term_id=scene.term.pk, kinds=["academic"])
        second = wait_for(second)

    for run in (first, second):
        assert run.job.status == JobStatus.SUCCEEDED, run.job.error
        assert run.job.progress == 100
        assert run.job.attempts == 1
        # Run by the worker, not in the test's thread.
        assert run.job.worker not in ("", "in-process")
        assert run.job.worker in worker.hostname
        # The summary went through JSON on its way into the job.
        assert run.job.result == run.summary
    assert first.status == second.status == MatchRunStatus.PROPOSED
    assert scene.labels(first_pairs) == ACADEMIC_OPTIMUM
    assert proposal(second) == first_pairs
    assert second.summary["kinds"] == first.summary["kinds"]
    # The second run replaced the first one's proposal: no pairing twice.
    assert proposal(first) == {}
    pairings = Pairing.objects.filter(term=scene.term)
    assert pairings.count() == len(first_pairs) == 5
    assert set(pairings.values_list("status", "kind").distinct()) == {
        (PairingStatus.PROPOSED, PairingKind.ACADEMIC)
    }
    assert ProposedPair.objects.count() == 5
    assert Job.objects.count() == 2


def test_worker_runs_both_kinds_and_a_repeated_task_changes_nothing(broker_app):
    scene = build_scene()

    with start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run = match_run_start(by=scene.admin, term_id=scene.term.pk, kinds=["care", "academic"])
        run = wait_for(run)
        pairs = proposal(run)
        # The same task delivered again (as a redelivery would): the finished
        # job is not run again, and a later task still runs, proving the
        # repeated one was consumed.
        match_run_task.delay(run.job_id)
        later = wait_for(match_run_start(by=scene.admin, term_id=scene.term.pk, kinds=["academic"]))

    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    run.job.refresh_from_db()
    assert run.job.attempts == 1
    assert {kind for _s, kind in pairs} == {"academic", "care"}
    assert {s for s, kind in pairs if kind == "care"} == {
        scene.s("c_special"),
        scene.s("c_general"),
    }
    assert later.job.status == JobStatus.SUCCEEDED, later.job.error
    # The academic run replaced the academic part of the first proposal only.
    assert proposal(later) == {key: m for key, m in pairs.items() if key[1] == "academic"}
    assert proposal(run) == {key: m for key, m in pairs.items() if key[1] == "care"}
    assert Pairing.objects.filter(term=scene.term).count() == len(pairs)
