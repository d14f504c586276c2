"""A task delivered twice at once (a redelivery while the first delivery still runs):
the job ends once, and the records equal those of a single delivery.

The worker has two pool children, both paused while the request is made and
the same task is sent a second time, then resumed together.
"""

import pytest

from tests.faults.world import Record, delta
from tests.faults.writes import TABLES, Scene, job_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]

WORKER_CONCURRENCY = 2


def clean_then_twice(
    stack, record: Record, write, task: str, job_for=job_of, proposal=None
) -> tuple:
    """A clean delivery, then the same write with its task delivered twice at once."""
    before = stack.counts(*TABLES)
    clean = write()
    assert clean.status in (201, 202), clean.body
    stack.wait_jobs()
    added = delta(before, stack.counts(*TABLES))
    record.clean(added)
    if proposal is not None:
        record.clean_proposal = proposal()

    before = stack.counts(*TABLES)
    record.before(before)
    stack.worker.pause()
    answer = write()
    record.saw(answer)
    assert answer.status in (201, 202), answer.body
    job_id = job_for(answer)
    stack.send_task(task, job_id)
    stack.worker.resume()
    seconds = stack.wait_jobs(timeout=180)
    after = stack.counts(*TABLES)
    record.after(after)
    job = stack.job(job_id)
    record.fact("job", f"{job['status']}, {job['attempts']} attempts")
    record.fact("seconds until every job ended", f"{seconds:.1f}")
    return clean, answer, job, delta(before, after), added


def test_report_delivered_twice(quick_stack):
    stack = quick_stack
    scene = Scene(stack)
    record = Record("report-delivered-twice", "the term report's task delivered twice at once")
    try:
        clean, answer, job, changed, added = clean_then_twice(
            stack, record, scene.report, "workers.term_report"
        )
        same = scene.report_figures(answer.body["id"]) == scene.report_figures(clean.body["id"])
        record.fact("figures equal to a clean run's", same)
    finally:
        record.write()
    assert job["status"] == "succeeded", job
    assert same
    assert changed == added


def contribution_job(stack):
    def job_for(answer) -> int:
        return stack.one(
            "SELECT id FROM workers_job WHERE kind = 'contribution_posting' "
            "AND (parameters->>'contribution')::bigint = %s",
            (answer.body["id"],),
        )

    return job_for


def test_contribution_receipt_delivered_twice(quick_stack):
    stack = quick_stack
    scene = Scene(stack)
    record = Record(
        "contribution-receipt-delivered-twice",
        "the task that posts a contribution and gives its receipt delivered twice at once",
    )
    try:
        _clean, answer, job, changed, added = clean_then_twice(
            stack,
            record,
            scene.contribution,
            "workers.post_contribution",
            job_for=contribution_job(stack),
        )
        posted = stack.sql(
            "SELECT c.receipt_number, e.amount_fen FROM donations_contribution c "
            "JOIN donations_ledgerentry e ON e.id = c.ledger_entry_id WHERE c.id = %s",
            (answer.body["id"],),
        )
        record.fact("receipt and ledger entry", posted)
    finally:
        record.write()
    assert job["status"] == "succeeded", job
    assert len(posted) == 1 and posted[0][1] == 10000
    assert (
        changed
        == added
        == {
            **{t: 0 for t in TABLES},
            "workers_job": 1,
            "donations_contribution": 1,
            "donations_ledgerentry": 1,
        }
    )


@pytest.mark.soak
def test_match_run_delivered_twice(stack):
    scene = Scene(stack)
    record = Record("match-run-delivered-twice", "the match run's task delivered twice at once")
    # The first run of the seed proposes; the clean one to compare with is a re-run.
    first = scene.match_run()
    assert first.status == 202
    stack.wait_jobs()
    proposal = None
    try:
        _clean, _answer, job, changed, added = clean_then_twice(
            stack, record, scene.match_run, "workers.match_run", proposal=scene.proposal
        )
        proposal = record.clean_proposal
        record.fact("proposal equal to a clean run's", scene.proposal() == proposal)
    finally:
        record.write()
    assert job["status"] == "succeeded", job
    assert scene.proposal() == proposal
    assert changed == added
