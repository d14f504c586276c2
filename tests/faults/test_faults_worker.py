"""A Celery worker killed in the middle of a job: the job ends, and what it wrote
equals what a clean run writes.

The worker is held mid-job by a lock the test takes on a table the job writes
(and the request does not), so "mid-run" is a fixed point, not a race: the job
is claimed and running, its transaction is open, and the worker waits. Then
the pool child, or the whole worker, is SIGKILLed and the lock let go.
"""

import time

import pytest

from tests.faults.stack import wait_until
from tests.faults.world import Record
from tests.faults.writes import TABLES, Scene, job_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]


def delta(before: dict, after: dict) -> dict:
    return {table: after[table] - before[table] for table in before}


def held_mid_job(stack, job_id: int) -> None:
    wait_until(lambda: stack.waiting_on_lock() >= 1, 120, "the worker to wait on the held lock")
    assert stack.job(job_id)["status"] == "running"


def clean_match_run(stack, scene: Scene) -> tuple[dict, set]:
    """Two clean runs: the second shows what running the same match again adds."""
    for _ in range(2):
        before = stack.counts(*TABLES)
        answer = scene.match_run()
        assert answer.status == 202, answer.body
        stack.wait_jobs()
        assert stack.job(job_of(answer))["status"] == "succeeded"
    return delta(before, stack.counts(*TABLES)), scene.proposal()


def match_run_killed(stack, scene: Scene, record: Record, kill) -> None:
    added, clean_proposal = clean_match_run(stack, scene)
    record.clean(added)
    before = stack.counts(*TABLES)
    record.before(before)
    # A proposal is written in one transaction, after the solve; holding the
    # proposals' table stops the worker inside it.
    with stack.holding("LOCK TABLE workers_proposedpair IN SHARE MODE"):
        answer = scene.match_run()
        record.saw(answer)
        assert answer.status == 202, answer.body
        job_id = job_of(answer)
        held_mid_job(stack, job_id)
        kill()
        killed_at = time.monotonic()
    stack.wait_jobs(timeout=180)
    after = stack.counts(*TABLES)
    record.after(after)
    job = stack.job(job_id)
    record.fact("job after recovery", f"{job['status']}, {job['attempts']} attempts")
    record.fact(
        "seconds from the kill until every job ended", f"{time.monotonic() - killed_at:.1f}"
    )
    record.fact(
        "proposal equal to a clean run's",
        f"{scene.proposal() == clean_proposal} ({len(clean_proposal)} pairs)",
    )
    record.write()
    assert job["status"] == "succeeded", job
    assert scene.proposal() == clean_proposal
    assert delta(before, after) == added
    assert not stack.unfinished_jobs()


def test_worker_child_killed_mid_match_run(stack):
    record = Record(
        "worker-child-killed-mid-match-run",
        "SIGKILL of the worker's pool child while the match run writes its proposal",
    )
    match_run_killed(stack, Scene(stack), record, stack.worker.kill_child)
