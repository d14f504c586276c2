"""A Celery worker killed in the middle of a job: the job ends, and what it wrote
equals what a clean run writes.

The worker is held mid-job by a lock the test takes on a table the job writes
(and the request does not), so "mid-run" is a fixed point, not a race: the job
is claimed and running, its transaction is open, and the worker waits. Then
the pool child, or the whole worker, is SIGKILLed and the lock let go.
"""

import pytest

from tests.faults.world import Record, delta, fault_mid_job
from tests.faults.writes import TABLES, Scene, job_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]


def clean_runs(stack, write, times: int) -> dict:
    """Clean runs of `write`; the last one shows what running the same write again adds."""
    for _ in range(times):
        before = stack.counts(*TABLES)
        answer = write()
        assert answer.status == 202, answer.body
        stack.wait_jobs()
        assert stack.job(job_of(answer))["status"] == "succeeded"
    return delta(before, stack.counts(*TABLES)), answer


def match_run_killed(stack, record: Record, kill) -> None:
    scene = Scene(stack)
    added, _answer = clean_runs(stack, scene.match_run, 2)
    clean_proposal = scene.proposal()
    record.clean(added)
    try:
        # A proposal is written in one transaction, after the solve; holding
        # the proposals' table stops the worker inside it.
        job, changed, _body = fault_mid_job(
            stack,
            record,
            scene.match_run,
            "LOCK TABLE workers_proposedpair IN SHARE MODE",
            kill,
            TABLES,
        )
    finally:
        record.fact(
            "proposal equal to a clean run's",
            f"{scene.proposal() == clean_proposal} ({len(clean_proposal)} pairs)",
        )
        record.write()
    assert job["status"] == "succeeded", job
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
        job, changed, body = fault_mid_job(
            stack,
            record,
            scene.report,
            "SELECT 1 FROM workers_report WHERE id = {id} FOR UPDATE",
            kill,
            TABLES,
        )
        same = scene.report_figures(body["id"]) == clean_figures
    finally:
        record.fact("figures equal to a clean run's", same)
        record.write()
    assert job["status"] == "succeeded", job
    assert same
    assert changed == added
    assert stack.one("SELECT status FROM workers_report WHERE id = %s", (body["id"],)) == "issued"
    assert not stack.unfinished_jobs()


def test_worker_child_killed_mid_match_run(quick_stack):
    stack = quick_stack
    record = Record(
        "worker-child-killed-mid-match-run",
        "SIGKILL of the worker's pool children while the match run writes its proposal",
    )
    match_run_killed(stack, record, stack.worker.kill_children)


def test_worker_child_killed_mid_report(quick_stack):
    stack = quick_stack
    record = Record(
        "worker-child-killed-mid-report",
        "SIGKILL of the worker's pool children while the term report writes its figures",
    )
    report_killed(stack, record, stack.worker.kill_children)


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
