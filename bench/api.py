"""Benchmark: the API under load, through gunicorn on PostgreSQL and Redis, against its floor.

Run with `DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/api.py`
(`--tiny` for a run of seconds, as the test suite does; `--help` for sizes).

A fresh database `<name>_api_bench` gets a school district (10 schools,
4,000 students with their term records, 200 teachers mentoring 400 students
with 8 past sessions each, 10 school administrators, 20 donors and an aid
project), built with the factories and core.bulk, not timed. gunicorn
then serves it with production's configuration (config/gunicorn.py's
workers and threads, the access log; config.settings.production through bench/settings.py,
which only adds the floors' URLs), and locust (headless, bench/api_users.py)
sends it, for a bounded time:

- teachers reading their mentees (`GET students/`) and logging sessions
  (`POST sessions/` with an Idempotency-Key), an administrator listing
  students (`GET students/?page=…`, 50 a page), a donor pledging
  (`POST pledges/`), and in the same run two floors: `GET bench/floor/`, a
  bare DRF view returning a constant with no authentication
  (bench/urls.py), and `GET me/`, an authenticated floor (the bearer token
  checked, the caller and its roles read); and two bounds, not targets:
  `GET bench/floor/auth/`, the least any authenticated request costs (the
  token checked, a constant returned), and `POST bench/floor/write/`, the
  least any authenticated write costs (the token checked, one row inserted
  and committed): no operation that must know its caller can come nearer
  the bare floor than they do;
- each round has seven phases: that mix at 50 users with about a second of
  think time; the same mix at saturation (`--saturation-users` with no
  think time: every worker always has a request waiting); then each floor
  and bound alone and session logging alone at saturation, for their
  throughput.

Printed per round: requests per second, p50, p95 and p99 (ms) per
operation, each p50 and p99 as a ratio to each floor's in the same phase,
the CPU used by gunicorn (all workers) and by locust, and the load average
(the machine is shared: compare ratios, not absolute figures). Targets
(issue 13): p50 of every operation within 1.5x the floor's, p99 within 2x,
and session logging at saturation at least half the floor's throughput;
the misses are listed against each floor.
They are reported, never asserted; a request that is not answered 2xx fails
the run.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
from bench import api_requests  # noqa: E402
from bench.api_seed import FULL, TINY, Size, seed  # noqa: E402
from bench.results import record  # noqa: E402

OPERATIONS = list(api_requests.OPERATIONS)
MIXED = ["Floor", "AuthFloor", "Me", "WriteFloor", "Teacher", "Administrator", "Donor"]
# The floors every other operation is measured against, as ratios in the same phase.
FLOORS = ("floor", "floor: me")
# Bounds, not targets: the least any authenticated request, and any authenticated
# write, can cost here (bench/urls.py). Measured against the bare floor they say
# how near to it any real operation could come on this stack and machine.
BOUNDS = ("floor: auth", "floor: write")
TARGET_P50, TARGET_P99, TARGET_THROUGHPUT = 1.5, 2.0, 0.5


class BenchFailed(RuntimeError):
    """A request was not answered 2xx, or gunicorn did not start: the benchmark is broken."""


def _environment(bench_database_url: str | None = None) -> dict:
    """What production's settings need, for this process and for gunicorn."""
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Minted for this run only; the access tokens below are signed with it.
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        "BANGFU_ID_HASH_KEY": "bench-api-id-hash-key-0123456789abcdef",
        "BANGFU_ACCOUNT_KEYS": "YmVuY2gtYXBpLWFjY291bnQta2V5LTAxMjM0NTY3ODk=",
        "JWT_ACCESS_MINUTES": "240",
        "LOG_LEVEL": "WARNING",
    }
    if bench_database_url:
        env["DATABASE_URL"] = bench_database_url
    return env


def _django():
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... : this benchmark is about PostgreSQL.")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL=redis://... : production caches and publishes through Redis.")
    env = _environment()
    os.environ["BENCH_SECRET_KEY"] = env["DJANGO_SECRET_KEY"]
    os.environ.update(env)
    import django

    django.setup()


def create_database():
    """A fresh `<name>_api_bench`, migrated, for this process; returns how to drop it."""
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = database["NAME"] + "_api_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)

    def drop():
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return drop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with production's configuration, on loopback, in its own process group."""

    def __init__(self, *, port: int, workers: int | None, env: dict, log: Path):
        self.url = f"http://127.0.0.1:{port}"
        command = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
        ]
        if workers:
            command += ["--workers", str(workers)]
        # A worker imports the URLs (and through them SciPy and OR-Tools) on its
        # first request; on a shared, loaded machine that alone can pass
        # gunicorn's default 30 s, which would kill the worker before it answers.
        command += ["--timeout", "120"]
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "config.wsgi:application"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout=240):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                request = urllib.request.Request(  # noqa: S310
                    self.url + "/bench/floor/", headers={"X-Forwarded-Proto": "https"}
                )
                with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.stop()
        raise BenchFailed("gunicorn did not answer:\n" + self.log.read_text()[-3000:])

    def cpu_seconds(self) -> float:
        import psutil

        try:
            master = psutil.Process(self.process.pid)
            processes = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Phase:
    name: str
    users: int
    wait: float
    classes: list[str]
    stats: dict = field(default_factory=dict)
    load: tuple = ()
    gunicorn_cpu: float = 0.0
    locust_cpu: float = 0.0
    seconds: float = 0.0


def run_phase(phase: Phase, *, gunicorn: Gunicorn, plan_path: Path, seconds: int, out: Path):
    """One headless locust run; fills in the phase's figures. Exits on any failed request."""
    prefix = out / phase.name.replace(" ", "-")
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "api_users.py"),
        "--headless",
        "--users",
        str(phase.users),
        "--spawn-rate",
        str(phase.users),
        "--run-time",
        f"{seconds}s",
        "--host",
        gunicorn.url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
        *phase.classes,
    ]
    env = {**os.environ, "BENCH_API_PLAN": str(plan_path), "BENCH_API_WAIT": str(phase.wait)}
    cpu_before = gunicorn.cpu_seconds()
    started = time.monotonic()
    locust = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    import psutil

    watched = psutil.Process(locust.pid)
    locust_cpu = 0.0
    while locust.poll() is None:
        try:
            times = watched.cpu_times()
            locust_cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    output = locust.stdout.read()
    phase.seconds = time.monotonic() - started
    phase.gunicorn_cpu = (gunicorn.cpu_seconds() - cpu_before) / seconds
    phase.locust_cpu = locust_cpu / seconds
    phase.load = os.getloadavg()
    with open(f"{prefix}_stats.csv") as stats_file:
        rows = {row["Name"]: row for row in csv.DictReader(stats_file)}
    failures = sum(int(row["Failure Count"]) for name, row in rows.items() if name != "Aggregated")
    if locust.returncode != 0 or failures:
        failed = Path(f"{prefix}_failures.csv")
        print(output[-4000:])
        print(failed.read_text() if failed.exists() else "")
        print(gunicorn.log.read_text()[-4000:])
        raise BenchFailed(
            f"{phase.name}: {failures} failed requests (locust exit {locust.returncode})"
        )
    for name, row in rows.items():
        if name == "Aggregated" or not int(row["Request Count"]):
            continue
        phase.stats[name] = {
            "count": int(row["Request Count"]),
            "rps": float(row["Requests/s"]),
            "p50": float(row["50%"]),
            "p95": float(row["95%"]),
            "p99": float(row["99%"]),
        }


def warm_up(gunicorn: Gunicorn, plan: dict, workers: int):
    """Every operation a few times per worker, concurrently; fails on any answer not 2xx.

    A gunicorn worker imports the URLs, and with them most of Bangfu, on its
    first request: that belongs to no phase. It also proves each request of
    the benchmark right before any is timed.
    """
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    def send(operation: str, n: int):
        role, build = api_requests.OPERATIONS[operation]
        account = plan[role][n % len(plan[role])] if role else None
        method, path, _name, body = build(account)
        headers = {**api_requests.PROXY_HEADERS, "Content-Type": "application/json"}
        if account:
            headers["Authorization"] = f"Bearer {account['token']}"
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310
            gunicorn.url + path, data, headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=180) as answer:  # noqa: S310
                return operation, answer.status, ""
        except urllib.error.HTTPError as error:
            return operation, error.code, error.read()[:300].decode(errors="replace")

    jobs = [(operation, n) for n in range(2 * workers) for operation in OPERATIONS]
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        answers = list(pool.map(lambda job: send(*job), jobs))
    wrong = [a for a in answers if a[1] not in (200, 201)]
    if wrong:
        raise BenchFailed(f"warm-up: {len(wrong)} of {len(answers)} answers wrong, e.g. {wrong[0]}")


def report(round_number: int, phases: list[Phase]) -> list[str]:
    """Print one round's table; returns the targets it missed, against each floor."""
    missed = []
    print(f"\nround {round_number}")
    print(
        f"  {'phase':<22} {'operation':<22} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'p50/floor':>9} {'p99/floor':>9} {'p50/me':>7} {'p99/me':>7}"
    )
    for phase in phases:
        for name in OPERATIONS:
            figures = phase.stats.get(name)
            if figures is None:
                continue
            ratios = []
            for floor_name in FLOORS:
                floor = phase.stats.get(floor_name)
                if not floor or name in FLOORS or len(phase.stats) == 1:
                    ratios += ["", ""]
                    continue
                r50, r99 = figures["p50"] / floor["p50"], figures["p99"] / floor["p99"]
                ratios += [f"{r50:.2f}x", f"{r99:.2f}x"]
                if name in BOUNDS:
                    if floor_name == "floor":
                        record(
                            "api",
                            f"round {round_number}, {phase.name}: {name} p50 (a bound)",
                            figures["p50"],
                            unit="ms",
                            floor="floor p50",
                            floor_value=floor["p50"],
                        )
                    continue
                for pct, target in (("p50", TARGET_P50), ("p99", TARGET_P99)):
                    record(
                        "api",
                        f"round {round_number}, {phase.name}: {name} {pct}",
                        figures[pct],
                        unit="ms",
                        floor=f"{floor_name} {pct}",
                        floor_value=floor[pct],
                        target_ratio=target,
                    )
                if r50 > TARGET_P50:
                    missed.append(
                        f"{phase.name}: {name} p50 {r50:.2f}x {floor_name} > {TARGET_P50}x"
                    )
                if r99 > TARGET_P99:
                    missed.append(
                        f"{phase.name}: {name} p99 {r99:.2f}x {floor_name} > {TARGET_P99}x"
                    )
            print(
                f"  {phase.name:<22} {name:<22} {figures['rps']:>7.1f} {figures['p50']:>7.0f} "
                f"{figures['p95']:>7.0f} {figures['p99']:>7.0f} {ratios[0]:>9} {ratios[1]:>9} "
                f"{ratios[2]:>7} {ratios[3]:>7}"
            )
        load = " ".join(f"{x:.1f}" for x in phase.load)
        print(
            f"  {'':<22} {phase.users} users, think {phase.wait:g} s; gunicorn CPU "
            f"{phase.gunicorn_cpu:.0%}, locust CPU {phase.locust_cpu:.0%} (of one core); "
            f"load average {load}"
        )
    alone = {}
    for phase in phases:
        if len(phase.classes) == 1:
            if not phase.stats:
                raise BenchFailed(f"{phase.name}: no request answered")
            alone[phase.classes[0]] = next(iter(phase.stats.values()))["rps"]
    for bound_class, bound_name, what in (
        ("AuthFloor", "floor: auth", "request"),
        ("WriteFloor", "floor: write", "write"),
    ):
        ratio = alone[bound_class] / alone["Floor"]
        record(
            "api",
            f"round {round_number}, {bound_name} alone at saturation (a bound, not a target)",
            alone[bound_class],
            unit="req/s",
            floor="floor alone",
            floor_value=alone["Floor"],
        )
        print(
            f"  {bound_name} at saturation: {ratio:.2f}x the throughput of the floor "
            f"(a bound measured here: the least authenticated {what})"
        )
    for floor_class, floor_name in (("Floor", "floor"), ("Me", "floor: me")):
        ratio = alone["SessionLogger"] / alone[floor_class]
        record(
            "api",
            f"round {round_number}, session logging alone at saturation",
            alone["SessionLogger"],
            unit="req/s",
            floor=f"{floor_name} alone",
            floor_value=alone[floor_class],
            target_ratio=TARGET_THROUGHPUT,
            higher_is_better=True,
        )
        print(f"  session logging at saturation: {ratio:.2f}x the throughput of {floor_name}")
        if ratio < TARGET_THROUGHPUT:
            missed.append(
                f"session logging throughput {ratio:.2f}x {floor_name} < {TARGET_THROUGHPUT}x"
            )
    return missed


def forget_queue():
    """Delete what the run left in Redis: the tasks of its own queue, its cache keys."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter("*bench-api*"):
        client.delete(key)


def database_url(settings_dict: dict) -> str:
    """The URL of the database this process uses, for gunicorn."""
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def bench(
    *,
    size: Size,
    users: int,
    saturation: int,
    seconds: int,
    rounds: int,
    workers: int | None = None,
    port: int | None = None,
) -> list[list[str]]:
    """Seed this process's (empty) database, serve it with gunicorn, load it; the targets missed.

    Django must be set up; gunicorn gets this process's database and secret
    key (the tokens are signed with it) and production's other settings.
    """
    from django.conf import settings
    from django.db import connection

    from config import gunicorn as gunicorn_config

    out = Path(tempfile.mkdtemp(prefix="bench-api-"))
    started = time.monotonic()
    plan = seed(size)
    print(f"seeded {plan.pop('size')} in {time.monotonic() - started:.1f} s")
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan))
    from bench.urls import create_write_floor_table

    create_write_floor_table()
    env = _environment(database_url(connection.settings_dict))
    env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY
    connection.close()
    gunicorn = Gunicorn(
        port=port or _free_port(), workers=workers, env=env, log=out / "gunicorn.log"
    )
    try:
        gunicorn.wait()
        started = time.monotonic()
        warm_up(gunicorn, plan, workers or gunicorn_config.workers)
        print(f"warmed up in {time.monotonic() - started:.1f} s")
        print(f"gunicorn on {gunicorn.url}, figures in {out}")
        missed_by_round = []
        for r in range(1, rounds + 1):
            phases = [
                Phase(f"{users} users", users, 1.0, MIXED),
                Phase(f"saturation {saturation} users", saturation, 0, MIXED),
                Phase("floor alone", saturation, 0, ["Floor"]),
                Phase("auth floor alone", saturation, 0, ["AuthFloor"]),
                Phase("me alone", saturation, 0, ["Me"]),
                Phase("write floor alone", saturation, 0, ["WriteFloor"]),
                Phase("logging alone", saturation, 0, ["SessionLogger"]),
            ]
            for phase in phases:
                length = seconds if phase.classes == MIXED else max(5, seconds // 2)
                run_phase(phase, gunicorn=gunicorn, plan_path=plan_path, seconds=length, out=out)
            missed_by_round.append(report(r, phases))
    finally:
        gunicorn.stop()
        forget_queue()
    print()
    for r, missed in enumerate(missed_by_round, 1):
        print(
            f"round {r}: " + ("every target met" if not missed else "missed: " + "; ".join(missed))
        )
    return missed_by_round


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a run of seconds (the test suite)")
    parser.add_argument("--users", type=int, help="concurrent users of the first phase (50)")
    parser.add_argument("--saturation-users", type=int, help="users with no think time (100)")
    parser.add_argument("--seconds", type=int, help="length of each mixed phase (30)")
    parser.add_argument("--rounds", type=int, help="rounds of the seven phases (2)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (config/gunicorn.py's)")
    parser.add_argument("--port", type=int, help="gunicorn's port (a free one)")
    args = parser.parse_args(argv)
    tiny = args.tiny
    _django()
    drop = create_database()
    try:
        bench(
            size=TINY if tiny else FULL,
            users=args.users or (10 if tiny else 50),
            saturation=args.saturation_users or (10 if tiny else 100),
            seconds=args.seconds or (5 if tiny else 30),
            rounds=args.rounds or (1 if tiny else 2),
            workers=args.workers,
            port=args.port,
        )
    finally:
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
