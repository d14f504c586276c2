"""PostgreSQL restarted during a job, and under a bounded load of requests.

The private cluster is restarted with `pg_ctl restart -m fast`, which ends
every session (the app's and the worker's) as a real restart does.
"""

import concurrent.futures
import datetime
import threading
import time
import uuid

import pytest

from tests.faults.stack import wait_until
from tests.faults.world import Record, fault_mid_job, settle
from tests.faults.writes import TABLES, Scene

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]


def restart(stack, record: Record):
    def fault():
        started = time.monotonic()
        stack.pg.restart()
        record.fact("seconds PostgreSQL was down", f"{time.monotonic() - started:.1f}")

    return fault


@pytest.mark.soak
def test_postgres_restarted_during_match_run(stack_with_beat):
    stack = stack_with_beat
    scene = Scene(stack)
    record = Record(
        "postgres-restarted-during-match-run",
        "PostgreSQL restarted (fast) while the match run writes its proposal",
    )
    for _ in range(2):
        first = scene.match_run()
        assert first.status == 202
        stack.wait_jobs()
    proposal = scene.proposal()
    try:
        job, _changed, body = fault_mid_job(
            stack,
            record,
            scene.match_run,
            "LOCK TABLE workers_proposedpair IN SHARE MODE",
            restart(stack, record),
            TABLES,
        )
        status = stack.one("SELECT status FROM workers_matchrun WHERE id = %s", (body["id"],))
        record.fact("match run after the restart", status)
        record.fact("proposal equal to a clean run's", scene.proposal() == proposal)
    finally:
        record.write()
    assert not stack.unfinished_jobs()
    assert job["status"] == "succeeded", job
    assert status == "proposed"
    assert scene.proposal() == proposal


@pytest.mark.soak
def test_postgres_restarted_during_report(stack_with_beat):
    stack = stack_with_beat
    scene = Scene(stack)
    record = Record(
        "postgres-restarted-during-report",
        "PostgreSQL restarted (fast) while the term report writes its figures",
    )
    clean = scene.report()
    assert clean.status == 202
    stack.wait_jobs()
    figures = scene.report_figures(clean.body["id"])
    try:
        job, _changed, body = fault_mid_job(
            stack,
            record,
            scene.report,
            "SELECT 1 FROM workers_report WHERE id = {id} FOR UPDATE",
            restart(stack, record),
            TABLES,
        )
        status = stack.one("SELECT status FROM workers_report WHERE id = %s", (body["id"],))
        record.fact("report after the restart", status)
        same = status == "issued" and scene.report_figures(body["id"]) == figures
        record.fact("figures equal to a clean run's", same)
    finally:
        record.write()
    assert not stack.unfinished_jobs()
    assert job["status"] == "succeeded", job
    assert same


LOAD = 200
CLIENTS = 8


@pytest.mark.soak
def test_postgres_restarted_under_load(stack_with_beat):
    stack = stack_with_beat
    """200 requests from 8 clients (reads of three kinds, and sessions logged with keys);
    PostgreSQL restarts in the middle. A write not answered 2xx is retried with its key."""
    scene = Scene(stack)
    record = Record(
        "postgres-restarted-under-load",
        f"PostgreSQL restarted (fast) in the middle of {LOAD} requests from {CLIENTS} clients",
    )
    for user in ("district_admin", "teacher_a", "admin"):
        stack.token(user)
    before = stack.counts(*TABLES)
    record.before(before)
    today = datetime.date.today()
    reads = [
        ("GET", "/api/v1/students/?page_size=20", "admin"),
        ("GET", "/api/v1/pairings/?page_size=20", "teacher_a"),
        ("GET", "/api/v1/jobs/?page_size=20", "district_admin"),
    ]
    keys = [str(uuid.uuid4()) for _ in range(LOAD // 4)]
    plan = [("write", i) for i in range(len(keys))] + [("read", i) for i in range(LOAD - len(keys))]
    plan.sort(key=lambda item: (item[1] * 7919) % LOAD)
    seen, lock = [], threading.Lock()
    first_failure, last_failure = [None], [None]

    def one(item):
        kind, i = item
        if kind == "write":
            answer = scene.session(keys[i], minutes=30 + i % 60, day=today)
        else:
            method, path, user = reads[i % len(reads)]
            answer = stack.call(method, path, user)
        now = time.monotonic()
        with lock:
            seen.append((kind, i, answer))
            if not 200 <= answer.status < 300:
                first_failure[0] = first_failure[0] or now
                last_failure[0] = now
        return answer

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(one, item) for item in plan]
        wait_until(lambda: len(seen) >= LOAD // 3, 300, "a third of the requests")
        restart_at = time.monotonic()
        stack.pg.restart()
        down = time.monotonic() - restart_at
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    record.saw(*(answer for _k, _i, answer in seen))
    # A client retries a write that got no 2xx, with its key, as Retry-After says.
    unanswered = {i for kind, i, a in seen if kind == "write" and not 200 <= a.status < 300}
    # A key whose claim could not be released while the database was down
    # answers 409 "in progress" until the claim lapses (IDEMPOTENCY_CLAIM_SECONDS,
    # 60 s): the client keeps retrying as Retry-After says, for up to 90 s.
    for i in sorted(unanswered):
        deadline = time.monotonic() + 90
        while True:
            answer = scene.session(keys[i], minutes=30 + i % 60, day=today)
            record.saw(answer)
            if 200 <= answer.status < 300 or time.monotonic() > deadline:
                break
            wait = answer.headers.get("Retry-After", "1")
            time.sleep(min(5, int(wait) if str(wait).isdigit() else 1))
    settled = settle(stack, time.monotonic())
    after = stack.counts(*TABLES)
    record.after(after)
    record.clean({t: len(keys) if t == "mentoring_tutoringsession" else 0 for t in TABLES})
    record.fact("requests, seconds in all", f"{LOAD}, {elapsed:.1f}")
    record.fact("seconds PostgreSQL was down (pg_ctl restart)", f"{down:.1f}")
    record.fact(
        "seconds from the restart until the last non-2xx answer",
        f"{last_failure[0] - restart_at:.1f}" if last_failure[0] else "no non-2xx answer",
    )
    record.fact("writes retried", len(unanswered))
    record.fact("seconds after the retries until every job ended", settled)
    bad = [(k, i, a.status, str(a.body)[:100]) for k, i, a in seen if a.status >= 500]
    record.fact("5xx answers (first 3)", bad[:3] or "-")
    record.write()
    assert 500 not in record.codes, record.codes
    for _k, _i, answer in seen:
        if answer.status == 503:
            assert isinstance(answer.body, dict) and "Retry-After" in answer.headers, answer
    # One session per key: nothing lost, nothing doubled.
    assert after["mentoring_tutoringsession"] - before["mentoring_tutoringsession"] == len(keys)
    assert not stack.unfinished_jobs()
