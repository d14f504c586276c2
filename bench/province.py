"""A province's term fanned out over Celery workers: wall time with 1, 2 and 4 worker processes.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/province.py [--tiny] [--full]

Generates a province (`bench/province_data.py`) of 10k and 100k students by
default (`--full` adds 1M, 100 counties of 10k as issue 18 describes it;
`--tiny`, CI's, 400 students), then for each number of worker processes starts
a Celery worker (`celery -A config worker --concurrency N`, prefork) on a queue
of its own and times the province's job (`workers.province`), from its start
to its end: one task per county, each the county's matching then its district
report. Before each timed run the previous proposal is dropped (not timed), so
that each run writes the same proposal anew.

Printed and recorded: the wall time with each number of workers, and the CPU
seconds each county's part took in its worker's process (the database's own CPU
is not in it: PostgreSQL runs beside the workers on the same cores). A fresh
database `<name>_province_bench` is made for the run and dropped at the end.
"""

import argparse
import atexit
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.results import record  # noqa: E402

QUEUE = "bench-province"  # bench/province_settings.py's
# (students, counties): the province's size and how many counties share it.
SIZES = [(10_000, 10), (100_000, 10)]
FULL = [*SIZES, (1_000_000, 100)]
TINY = [(400, 4)]
WORKERS = (1, 2, 4)
_state: dict = {}


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from config.celery import app

    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = database["NAME"] + "_province_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=0))
    _state["database"] = database["NAME"]
    # The tasks go through Redis to the bench's own workers, on a queue no other reads.
    app.conf.task_always_eager = False
    app.conf.task_default_queue = QUEUE
    return app


def _database_url(name: str) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{name}"


def _worker(concurrency: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.province_settings",
        "DATABASE_URL": _database_url(_state["database"]),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--queues",
        QUEUE,
        "--hostname",
        _hostname(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "warning",
    ]
    out = open(log, "a", encoding="utf-8")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _hostname(concurrency: int) -> str:
    return f"bench-province-{concurrency}@{socket.gethostname()}"


def _ready(app, concurrency: int, seconds: float = 120) -> None:
    """Wait until the worker answers a ping: its start-up is not the job's time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.control.ping(destination=[_hostname(concurrency)], timeout=1.0):
            return
    raise SystemExit(f"The worker of {concurrency} processes did not start in {seconds:.0f} s.")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _drop_proposals(districts, admin) -> None:
    from mentoring.matching.writer import proposals_drop
    from mentoring.models import Pairing, PairingStatus

    proposals_drop(
        Pairing.objects.filter(
            student__school__district__in=districts, status=PairingStatus.PROPOSED
        ),
        by=admin,
    )


def _wait(job, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.05)
    raise SystemExit(f"The province's job {job.pk} did not end in {seconds:.0f} s.")


def _purge(app) -> None:
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)


def size(app, students: int, counties: int, workers: tuple[int, ...], log: Path) -> None:
    from django.db import transaction

    from bench.province_data import TERM_CODE, WEIGHTS, populate_province
    from workers.models import JobStatus
    from workers.province import province_term_start

    label = f"P{students}"
    started = time.perf_counter()
    province, districts, admin = populate_province(
        label, counties=counties, students_per_county=students // counties
    )
    setup = time.perf_counter() - started
    print(f"{students:,} students in {counties} counties (setup {setup:.1f} s, not timed):")
    walls = {}
    for n in workers:
        _drop_proposals(districts, admin)
        worker = _worker(n, log)
        try:
            _ready(app, n)
            started = time.perf_counter()
            with transaction.atomic():
                job = province_term_start(
                    by=admin,
                    province_id=province.pk,
                    term_code=TERM_CODE,
                    kinds=["academic"],
                    weights=WEIGHTS,
                    rules={"same_gender_from_age": None},
                )
            # From the start's commit (the province's task is sent then) to its end.
            job = _wait(job, seconds=max(600, students / 50))
            wall = time.perf_counter() - started
        finally:
            _stop(worker)
        if job.status != JobStatus.SUCCEEDED:
            raise SystemExit(f"The province's job failed: {job.error}")
        walls[n] = wall
        cpu = [county["cpu_seconds"] for county in job.result["counties"].values()]
        took = [county["seconds"] for county in job.result["counties"].values()]
        print(
            f"  {n} worker process{'es' if n > 1 else ''}: wall {wall:7.2f} s"
            f" ({walls[workers[0]] / wall:.2f}x one worker's speed); per county "
            f"CPU {statistics.mean(cpu):.2f} s (max {max(cpu):.2f}), "
            f"wall {statistics.mean(took):.2f} s; {job.result['proposed']:,} pairs proposed",
            flush=True,
        )
        measure = f"{students:,} students, {counties} counties, {n} worker processes"
        record(
            "province",
            f"fan-out wall time ({measure})",
            wall,
            floor="1 worker process" if n != workers[0] else "",
            floor_value=walls[workers[0]] if n != workers[0] else None,
        )
        record(
            "province",
            f"CPU seconds per county in its worker ({measure})",
            statistics.mean(cpu),
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="400 students, 1 and 2 workers (CI)")
    parser.add_argument("--full", action="store_true", help="also 1M students (100 counties)")
    parser.add_argument(
        "--students", type=int, nargs="*", help="only these sizes (10000, 100000, 1000000)"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL=redis://...: the workers take their tasks from Redis.")
    app = _django()
    _purge(app)
    sizes = TINY if args.tiny else FULL if args.full else SIZES
    if args.students:
        sizes = [s for s in FULL if s[0] in args.students]
    workers = (1, 2) if args.tiny else WORKERS
    log = Path(tempfile.gettempdir()) / f"bench-province-{os.getpid()}.log"
    print(
        f"Machine: {os.cpu_count()} cores; worker logs in {log}. Wall time falls with workers "
        "only while cores are free: PostgreSQL shares them.",
        flush=True,
    )
    for students, counties in sizes:
        size(app, students, counties, workers, log)
    _purge(app)


if __name__ == "__main__":
    main()
