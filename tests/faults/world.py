"""The test's side of a private stack: requests as the demo's accounts, the database's
rows, jobs followed to their end, and the table each scenario records."""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg
from celery import Celery

from tests.faults.stack import (
    ROOT,
    Answer,
    CeleryWorker,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    http,
    wait_until,
)
from workers.demo_county import DEMO_PASSWORD

RESULTS = ROOT / "var" / "faults"
# How long a scenario waits for every job to end after the fault (the jobs'
# reaper re-sends a pending job after a few minutes).
SETTLE = int(os.environ.get("BANGFU_FAULTS_SETTLE", "600"))
FINISHED = ("succeeded", "failed")


@dataclass
class Stack:
    pg: PrivatePostgres
    redis: PrivateRedis
    db: str
    env: dict
    web: Gunicorn
    worker: CeleryWorker
    tokens: dict = field(default_factory=dict)

    # Requests

    def token(self, username: str) -> str:
        if username not in self.tokens:
            answer = http(
                "POST",
                f"{self.web.base}/api/v1/auth/token/",
                body={"username": username, "password": DEMO_PASSWORD},
            )
            assert answer.status == 200, (answer.status, answer.body)
            self.tokens[username] = answer.body["access"]
        return self.tokens[username]

    def call(
        self,
        method: str,
        path: str,
        user: str | None = None,
        body=None,
        key: str | None = None,
        timeout: float = 40,
    ) -> Answer:
        headers = {"Idempotency-Key": key} if key else None
        return http(
            method,
            f"{self.web.base}{path}",
            token=self.token(user) if user else None,
            body=body,
            headers=headers,
            timeout=timeout,
        )

    # The database, read directly (psycopg), never through the app under test

    def sql(self, query: str, params=()) -> list[tuple]:
        return self.pg.sql(self.db, query, params)

    def one(self, query: str, params=()):
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def counts(self, *tables: str) -> dict[str, int]:
        return {t: self.one(f"SELECT count(*) FROM {t}") for t in tables}  # noqa: S608

    def job(self, job_id: int) -> dict:
        row = self.sql(
            "SELECT status, attempts, progress, error, worker FROM workers_job WHERE id = %s",
            (job_id,),
        )[0]
        return dict(zip(("status", "attempts", "progress", "error", "worker"), row, strict=True))

    def unfinished_jobs(self) -> list[tuple]:
        return self.sql(
            "SELECT id, kind, status, attempts FROM workers_job "
            "WHERE status NOT IN ('succeeded', 'failed') ORDER BY id"
        )

    def wait_jobs(self, timeout: float = 120) -> float:
        """Seconds until every job of the database has ended (raises if not within `timeout`)."""
        started = time.monotonic()
        wait_until(
            lambda: _quietly(lambda: not self.unfinished_jobs()),
            timeout,
            f"every job to end (still {_quietly(self.unfinished_jobs)})",
            step=0.25,
        )
        return time.monotonic() - started

    def waiting_on_lock(self) -> int:
        """How many of this database's sessions wait for a lock (a worker held mid-job)."""
        return self.one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (self.db,),
        )

    @contextlib.contextmanager
    def holding(self, *statements: str):
        """Run `statements` (locks) in a transaction kept open until the block ends."""
        conn = self.pg.connect(self.db)
        conn.autocommit = False
        try:
            for statement in statements:
                conn.execute(statement)
            yield conn
        finally:
            # The connection may be gone with the database it held (a restart).
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            conn.close()

    # The broker, as another sender would use it

    def send_task(self, name: str, *args) -> None:
        # Not the current app: the project's tasks (shared_task) would run through
        # this one, not eagerly, in every later test of this process.
        app = Celery("faults-sender", broker=self.redis.url(0), set_as_current=False)
        app.conf.task_serializer = "json"
        try:
            app.send_task(name, args=list(args))
        finally:
            app.close()


def _quietly(check):
    try:
        return check()
    except Exception:
        return False


class Record:
    """What a scenario saw: status codes, rows before and after, seconds to recover."""

    def __init__(self, scenario: str, fault: str):
        self.scenario, self.fault = scenario, fault
        self.codes: Counter = Counter()
        self.rows: dict[str, list] = {}
        self.facts: list[tuple[str, object]] = []

    def saw(self, *answers: Answer) -> None:
        for answer in answers:
            self.codes[answer.status] += 1

    def before(self, counts: dict) -> None:
        for table, n in counts.items():
            self.rows.setdefault(table, [None, None, None])[0] = n

    def after(self, counts: dict) -> None:
        for table, n in counts.items():
            self.rows.setdefault(table, [None, None, None])[1] = n

    def clean(self, counts: dict) -> None:
        """What a clean run of the same operation adds (the expected after - before)."""
        for table, n in counts.items():
            self.rows.setdefault(table, [None, None, None])[2] = n

    def fact(self, name: str, value) -> None:
        self.facts.append((name, value))

    def markdown(self) -> str:
        codes = ", ".join(
            f"{'no answer' if c == 0 else 'timeout' if c == -1 else c} × {n}"
            for c, n in sorted(self.codes.items())
        )
        lines = [
            f"### {self.scenario}",
            "",
            f"Fault: {self.fault}",
            "",
            f"Status codes seen: {codes or '-'}",
            "",
            "| rows | before | after | a clean run adds |",
            "| --- | ---: | ---: | ---: |",
        ]
        for table, (before, after, clean) in self.rows.items():
            lines.append(f"| {table} | {before} | {after} | {'' if clean is None else clean} |")
        if self.facts:
            lines += ["", "| measure | value |", "| --- | --- |"]
            lines += [f"| {name} | {value} |" for name, value in self.facts]
        return "\n".join(lines) + "\n"

    def write(self) -> str:
        RESULTS.mkdir(parents=True, exist_ok=True)
        text = self.markdown()
        (RESULTS / f"{self.scenario}.md").write_text(text)
        print("\n" + text)
        return text


def delta(before: dict, after: dict) -> dict:
    return {table: after[table] - before[table] for table in before}


def settle(stack: Stack, since: float) -> str:
    """Wait for every job to end; the seconds since `since` it took, or why never."""
    try:
        stack.wait_jobs(timeout=SETTLE)
    except TimeoutError:
        return f"never (> {SETTLE} s): still {stack.unfinished_jobs()}"
    return f"{time.monotonic() - since:.1f}"


def fault_mid_job(stack: Stack, record: Record, write, lock: str, fault, tables) -> tuple:
    """Start `write`, hold its job at `lock` (formatted with the answer's body), call
    `fault`, let go, and wait for every job to end.

    The pool is paused while the request is made, so that the lock is taken
    before the job can reach it whatever its speed; the job is then running,
    inside its transaction, waiting. Returns the job, the rows it changed and
    the answer's body.
    """
    from tests.faults.writes import job_of

    before = stack.counts(*tables)
    record.before(before)
    stack.worker.pause()
    answer = write()
    record.saw(answer)
    assert answer.status == 202, answer.body
    job_id = job_of(answer)
    with stack.holding(lock.format(**answer.body)):
        stack.worker.resume()
        wait_until(lambda: stack.waiting_on_lock() >= 1, 120, "the worker to reach the lock")
        assert stack.job(job_id)["status"] == "running"
        fault()
        at = time.monotonic()
    if stack.worker.proc is None:
        # The whole worker was killed; a new one starts, as its supervisor would start it.
        stack.worker.start()
    recovered = settle(stack, at)
    after = stack.counts(*tables)
    record.after(after)
    job = stack.job(job_id)
    record.fact("job after the fault", f"{job['status']}, {job['attempts']} attempts")
    record.fact("error recorded", job["error"][:120] or "-")
    record.fact("seconds from the fault until every job ended", recovered)
    return job, delta(before, after), answer.body
