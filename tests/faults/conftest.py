"""Fixtures of the fault tests: a private stack, built once, and a fresh database per scenario.

The session builds a private PostgreSQL cluster, migrates a `seed` database
and loads the demo county into it (the same `manage.py demo` a user runs,
tasks in-process). Each scenario gets its own copy of that database
(`CREATE DATABASE … TEMPLATE seed`), an empty private Redis, gunicorn and a
Celery worker, so that what one scenario breaks never reaches the next.

BANGFU_FAULTS_KEEP=<directory> keeps the cluster (and its seed) there between
runs, for working on the scenarios; CI builds it afresh.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import _missing
from tests.faults.stack import (
    PG_BIN,
    CeleryBeat,
    CeleryWorker,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    manage,
    production_env,
    run_python,
)
from tests.faults.world import Stack

KEEP = os.environ.get("BANGFU_FAULTS_KEEP")
# The demo approves a run for every school but QINGSHAN-PS (whose run it leaves
# proposed, `workers.demo_term.MATCHING_WAITS_AT`), so a new run would propose nothing.
# The pairings of one school are ended (through the service, as its
# administrator would), so that a run for that school has a proposal to write.
MATCH_SCHOOL = "DONGFENG-PS"
FREE_A_SCHOOL = f"""
from mentoring.models import Pairing, PairingStatus, User
from mentoring.services.pairings import pairing_end
admin = User.objects.get(username="district_admin")
ended = 0
active = Pairing.objects.filter(status=PairingStatus.ACTIVE)
for pairing in active.filter(student__school__code="{MATCH_SCHOOL}"):
    pairing_end(by=admin, pairing=pairing, reason="Matched again by the fault tests")
    ended += 1
print(json.dumps(ended))
"""


@pytest.fixture(scope="session")
def private_postgres():
    if not (PG_BIN / "initdb").exists():
        _missing(f"the fault tests start their own PostgreSQL with {PG_BIN}/initdb")
    if KEEP:
        directory = Path(KEEP)
        pg = PrivatePostgres(port=5449, directory=directory)
        if (directory / "data").exists():
            pg.start()
        else:
            directory.mkdir(parents=True)
            pg.create()
    else:
        pg = PrivatePostgres()
        pg.create()
    try:
        if not pg.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = 'seed'"):
            pg.sql("postgres", "CREATE DATABASE seed_building")
            env = production_env(database_url=pg.url("seed_building"), redis_url="")
            # No broker: the demo's jobs run in-process, as in `make demo`.
            del env["REDIS_URL"]
            # Generous: on a loaded shared machine the demo has taken over 10 minutes.
            manage(env, "migrate", "--no-input", timeout=1800)
            manage(env, "demo", timeout=1800)
            run_python(env, FREE_A_SCHOOL)
            pg.sql("postgres", "ALTER DATABASE seed_building RENAME TO seed")
        elif KEEP:
            # A kept seed follows the migrations added since it was built.
            env = production_env(database_url=pg.url("seed"), redis_url="")
            del env["REDIS_URL"]
            manage(env, "migrate", "--no-input", timeout=1800)
        yield pg
    finally:
        if KEEP:
            pg.stop()
        else:
            pg.destroy()


@pytest.fixture(scope="session")
def private_redis():
    if not shutil.which("redis-server"):
        _missing("the fault tests start their own redis-server")
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@contextlib.contextmanager
def open_stack(pg: PrivatePostgres, redis: PrivateRedis, name: str, concurrency: int):
    """A fresh copy of the seed named `name`, behind gunicorn and a worker."""
    if redis.proc is None:
        redis.start()
    redis.thaw()
    redis.command("FLUSHALL")
    pg.copy_database("seed", name)
    env = production_env(database_url=pg.url(name), redis_url=redis.url(0))
    stack = Stack(
        pg=pg, redis=redis, db=name, env=env, web=Gunicorn(env), worker=CeleryWorker(env, name)
    )
    try:
        stack.web.start()
        stack.worker.start(concurrency=concurrency)
        yield stack
    finally:
        redis.thaw()
        stack.worker.stop()
        stack.web.stop()
        if not redis.ping():
            redis.stop()
            redis.start()
        pg.start_if_stopped()
        pg.sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack(request, private_postgres, private_redis):
    """A stack of its own for a scenario that breaks a service (they are `soak`)."""
    name = "s_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")[:50]
    # A module may ask for more pool children (a task delivered twice at once).
    concurrency = getattr(request.module, "WORKER_CONCURRENCY", 1)
    with open_stack(private_postgres, private_redis, name, concurrency) as stack:
        yield stack


@pytest.fixture(scope="session")
def shared_stack(private_postgres):
    """One stack for the quick scenarios (CI), which break only the worker they share.

    Each of them compares what its fault left with a clean run made just
    before on the same database, so that they can follow one another. Its own
    Redis, so that a scenario that stops the other one does not reach it; two
    pool children, for a task delivered twice at once.
    """
    redis = PrivateRedis()
    try:
        with open_stack(private_postgres, redis, "s_shared", 2) as stack:
            yield stack
    finally:
        redis.stop()


@pytest.fixture
def quick_stack(shared_stack):
    yield shared_stack
    # A scenario kills pool children; the next one starts with a whole pool.
    shared_stack.worker.child()
    assert not shared_stack.unfinished_jobs()


@pytest.fixture
def stack_with_beat(stack):
    """The stack with Celery beat, which sends the periodic tasks (the jobs' reaper among them)."""
    beat = CeleryBeat(stack.env)
    beat.start()
    try:
        yield stack
    finally:
        beat.stop()
