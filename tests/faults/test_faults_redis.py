"""Redis stopped, or frozen, while the county's users write: no 500, nothing lost or
doubled, every job ends once Redis is back, and the records equal a clean run's.

The writes are the five that start a job: a contribution (posted to the
ledger), a session in a week already checked (refreshes its compliance row),
a match run, a term report and a compliance check. A client that gets no 2xx
retries with the same Idempotency-Key once Redis is back, as Retry-After says.
"""

import concurrent.futures
import time
import uuid

import pytest

from tests.faults.world import Record, settle
from tests.faults.writes import TABLES, Scene

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]

WRITES = ("contribution", "session", "match_run", "report", "compliance_check")


def ok(status: int) -> bool:
    return 200 <= status < 300


def write_all(scene: Scene, record: Record, keys: dict, timeout: float = 40) -> dict:
    """The five writes at once (as five users would), each with its key."""
    with concurrent.futures.ThreadPoolExecutor(len(WRITES)) as pool:
        futures = {name: pool.submit(getattr(scene, name), keys[name]) for name in WRITES}
        answers = {name: future.result() for name, future in futures.items()}
    record.saw(*answers.values())
    return answers


def retry_until_accepted(scene: Scene, record: Record, answers: dict, keys: dict) -> dict:
    """What a client does after a 503 or no answer: the same request, the same key."""
    for name, answer in answers.items():
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if ok(answer.status):
                break
            wait = answer.headers.get("Retry-After", "1")
            time.sleep(min(5, int(wait) if str(wait).isdigit() else 1))
            answer = getattr(scene, name)(keys[name])
            record.saw(answer)
        answers[name] = answer
    return answers


def check_outcome(
    stack, scene: Scene, record: Record, before: dict, answers: dict, restored_at: float
) -> None:
    recovered = settle(stack, restored_at)
    after = stack.counts(*TABLES)
    record.after(after)
    record.fact("seconds from Redis back until every job ended", recovered)
    record.fact("answers after retries", {n: a.status for n, a in answers.items()})
    unposted = scene.unposted_contributions()
    record.fact("contributions without ledger entry or receipt", len(unposted))
    same = scene.rerun_changes_nothing() if not stack.unfinished_jobs() else {}
    for name, value in same.items():
        record.fact(name, value)
    record.write()

    assert 500 not in record.codes, record.codes
    assert all(ok(a.status) for a in answers.values()), answers
    assert not stack.unfinished_jobs()
    # Nothing lost, nothing doubled: one contribution and one session for
    # their keys, each contribution posted once.
    assert after["donations_contribution"] - before["donations_contribution"] == 1
    assert after["donations_ledgerentry"] - before["donations_ledgerentry"] == 1
    assert after["mentoring_tutoringsession"] - before["mentoring_tutoringsession"] == 1
    assert not unposted
    failed = stack.sql("SELECT id, kind, error FROM workers_job WHERE status = 'failed'")
    assert not failed, failed
    assert all(same.values()), same


def begin(stack, record: Record) -> tuple[Scene, dict, dict]:
    """Log the writers in (before the fault), count the rows, choose the keys."""
    for user in ("district_admin", "teacher_a"):
        stack.token(user)
    before = stack.counts(*TABLES)
    record.before(before)
    return Scene(stack), before, {name: str(uuid.uuid4()) for name in WRITES}


@pytest.mark.soak
def test_redis_stopped_during_writes(stack_with_beat):
    stack = stack_with_beat
    record = Record(
        "redis-stopped-during-writes",
        "the private Redis stopped (SIGTERM) for 10 s while five users write; "
        "a login is tried meanwhile",
    )
    scene, before, keys = begin(stack, record)

    stack.redis.stop()
    stopped_at = time.monotonic()
    answers = write_all(scene, record, keys)
    login = stack.call(
        "POST", "/api/v1/auth/token/", body={"username": "admin", "password": "wrong"}
    )
    health = stack.call("GET", "/healthz")
    record.saw(login, health)
    record.fact("answers while Redis was down", {n: a.status for n, a in answers.items()})
    record.fact("login while Redis was down", login.status)
    record.fact("/healthz while Redis was down", f"{health.status} in {health.seconds:.2f} s")
    time.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))
    stack.redis.start()
    restored_at = time.monotonic()

    answers = retry_until_accepted(scene, record, answers, keys)
    check_outcome(stack, scene, record, before, answers, restored_at)
    for answer in (login, health):
        assert answer.status != 500


@pytest.mark.soak
def test_redis_frozen_during_writes(stack_with_beat):
    stack = stack_with_beat
    record = Record(
        "redis-frozen-during-writes",
        "the private Redis frozen (SIGSTOP) for 10 s while five users write; "
        "/healthz is asked meanwhile",
    )
    scene, before, keys = begin(stack, record)

    stack.redis.freeze()
    frozen_at = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        writes = pool.submit(write_all, scene, record, keys)
        time.sleep(1)
        health = stack.call("GET", "/healthz", timeout=10)
        record.saw(health)
        time.sleep(max(0.0, 10 - (time.monotonic() - frozen_at)))
        stack.redis.thaw()
        restored_at = time.monotonic()
        answers = writes.result()
    record.fact(
        "answers to the writes made while frozen",
        {n: f"{a.status} in {a.seconds:.1f} s" for n, a in answers.items()},
    )
    record.fact("/healthz while Redis was frozen", f"{health.status} in {health.seconds:.2f} s")

    answers = retry_until_accepted(scene, record, answers, keys)
    check_outcome(stack, scene, record, before, answers, restored_at)
    assert health.status in (200, 503) and health.seconds < 1.5, health
