"""A Celery worker killed in the middle of a job: the job ends, and what it wrote
equals what a clean run writes.

The worker is held mid-job by a lock the test takes on a table the job writes
(and the request does not), so "mid-run" is a fixed point, not a race: the job
is claimed and running, its transaction is open, and the worker waits. Then
the pool child, or the whole worker, is SIGKILLed and the lock let go.
"""

import os
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


def clean_runs(stack, write, times: int) -> dict:
    """Clean runs of `write`; the last one shows what running the same write again adds."""
    for _ in range(times):
        before = stack.counts(*TABLES)
        answer = write()
        assert answer.status == 202, answer.body
        stack.wait_jobs()
        assert stack.job(job_of(answer))["status"] == "succeeded"
    return delta(before, stack.counts(*TABLES)), answer


def killed_mid_job(stack, record: Record, write, lock: str, kill) -> tuple[int, dict]:
    """Start `write`, hold its job at `lock` (formatted with the answer's body), kill, recover.

    The pool child is paused while the request is made, so that the lock is
    taken before the job can reach it whatever its speed.
    """
    before = stack.counts(*TABLES)
    record.before(before)
    stack.worker.pause()
    answer = write()
    record.saw(answer)
    assert answer.status == 202, answer.body
    job_id = job_of(answer)
    with stack.holding(lock.format(**answer.body)):
        stack.worker.resume()
        held_mid_job(stack, job_id)
        kill()
        killed_at = time.monotonic()
    if stack.worker.proc is None:
        # The whole worker was killed; a new one starts, as its supervisor would start it.
        stack.worker.start()
    try:
        stack.wait_jobs(timeout=WHOLE_WORKER_WAIT)
    finally:
        after = stack.counts(*TABLES)
        record.after(after)
        job = stack.job(job_id)
        record.fact("job after recovery", f"{job['status']}, {job['attempts']} attempts")
        record.fact(
            "seconds from the kill until every job ended",
            f"{time.monotonic() - killed_at:.1f}" if not stack.unfinished_jobs() else "never",
        )
    assert job["status"] == "succeeded", job
    return delta(before, after), answer.body


# With acks_late the broker keeps a task whose whole worker died until the
# visibility timeout; the jobs' reaper (beat) must end the job well before that.
WHOLE_WORKER_WAIT = int(os.environ.get("BANGFU_FAULTS_SETTLE", "600"))


def match_run_killed(stack, record: Record, kill) -> None:
    scene = Scene(stack)
    added, _answer = clean_runs(stack, scene.match_run, 2)
    clean_proposal = scene.proposal()
    record.clean(added)
    try:
        # A proposal is written in one transaction, after the solve; holding
        # the proposals' table stops the worker inside it.
        changed, _body = killed_mid_job(
            stack, record, scene.match_run, "LOCK TABLE workers_proposedpair IN SHARE MODE", kill
        )
    finally:
        record.fact(
            "proposal equal to a clean run's",
            f"{scene.proposal() == clean_proposal} ({len(clean_proposal)} pairs)",
        )
        record.write()
    assert scene.proposal() == clean_proposal
    assert changed == added
    assert not stack.unfinished_jobs()


def report_killed(stack, record: Record, kill) -> None:
    scene = Scene(stack)
    added, clean = clean_runs(stack, scene.report, 1)
    clean_figures = scene.report_figures(clean.body["id"])
    record.clean(added)
    same = None
    try:
        # The figures are written in one UPDATE of the report's row at the end.
        changed, body = killed_mid_job(
            stack,
            record,
            scene.report,
            "SELECT 1 FROM workers_report WHERE id = {id} FOR UPDATE",
            kill,
        )
        same = scene.report_figures(body["id"]) == clean_figures
    finally:
        record.fact("figures equal to a clean run's", same)
        record.write()
    assert same
    assert changed == added
    assert stack.one("SELECT status FROM workers_report WHERE id = %s", (body["id"],)) == "issued"
    assert not stack.unfinished_jobs()


def test_worker_child_killed_mid_match_run(stack):
    record = Record(
        "worker-child-killed-mid-match-run",
        "SIGKILL of the worker's pool child while the match run writes its proposal",
    )
    match_run_killed(stack, record, stack.worker.kill_child)


def test_worker_child_killed_mid_report(stack):
    record = Record(
        "worker-child-killed-mid-report",
        "SIGKILL of the worker's pool child while the term report writes its figures",
    )
    report_killed(stack, record, stack.worker.kill_child)


@pytest.mark.soak
def test_whole_worker_killed_mid_match_run(stack_with_beat):
    stack = stack_with_beat
    record = Record(
        "whole-worker-killed-mid-match-run",
        "SIGKILL of the whole worker (main process and child) while the match run writes "
        "its proposal; a new worker starts",
    )
    match_run_killed(stack, record, stack.worker.kill)


@pytest.mark.soak
def test_whole_worker_killed_mid_report(stack_with_beat):
    stack = stack_with_beat
    record = Record(
        "whole-worker-killed-mid-report",
        "SIGKILL of the whole worker (main process and child) while the term report writes "
        "its figures; a new worker starts",
    )
    report_killed(stack, record, stack.worker.kill)
