"""A private, production-shaped Bangfu stack whose services the fault tests may break.

PostgreSQL (a throw-away cluster made with initdb), Redis, gunicorn serving
`config.settings.production` and a Celery worker, each on its own free port and
each started, stopped, frozen or killed by the test. The shared PostgreSQL on
5432 and Redis on 6379 are never touched: every process here is a child of the
test run, ended by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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

import psycopg

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
LOGS = ROOT / "var" / "faults" / "logs"


def free_port(start: int) -> int:
    """The first port from `start` on which nothing listens and nothing can be bound."""
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


def answers(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout):
            return True
    except OSError:
        return False


def wait_until(check, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout} s")
        time.sleep(step)


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PrivateRedis:
    """redis-server on its own port, with no persistence: stop, start, freeze, thaw."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port(6391)
        self.proc: subprocess.Popen | None = None
        self.log = LOGS / f"redis-{self.port}.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--logfile", str(self.log),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.ping, 10, f"redis on {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.settimeout(0.5)
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> bytes:
        """One command in the inline protocol (enough for FLUSHALL, LLEN, DBSIZE)."""
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall((" ".join(args) + "\r\n").encode())
            return s.recv(65536)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster (initdb in a temporary directory) on its own port."""

    def __init__(self, port: int | None = None, directory: Path | None = None):
        self.port = port or free_port(5441)
        self.dir = directory or Path(tempfile.mkdtemp(prefix="bangfu-faults-pg-"))
        self.data = self.dir / "data"
        # In its own directory, which belongs to the postgres user.
        self.log = self.dir / "postgres.log"

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=check,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        if self.running():
            return
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._ctl("-o", options, "-l", str(self.log), "-w", "-t", "30", "start")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and answers(self.port)

    def start_if_stopped(self) -> None:
        if not self.running():
            self.start()

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "-t", "30", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def connect(self, db: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(db), autocommit=True, connect_timeout=5)

    def sql(self, db: str, query: str, params=()) -> list[tuple]:
        with self.connect(db) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def copy_database(self, source: str, target: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def production_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """What `config.settings.production` needs to start, pointed at the private services."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="faults-" + "k3y-0f-th3-pr1vat3-stack-" * 3,
        BANGFU_ID_HASH_KEY="faults-id-hash-key-of-the-private-stack",
        BANGFU_ACCOUNT_KEYS="ZmF1bHRzLWFjY291bnQta2V5LXByaXZhdGUtc3RhY2s=",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback, as the container health check calls it.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # The jobs' reaper (workers.services.jobs_reap, in beat) on a scale of
        # seconds instead of minutes, so that a scenario sees it act: a pending
        # job is sent again after 20 s, a running job whose heartbeat stopped
        # for 10 s has lost its worker. Unknown to a deployment without them.
        JOB_HEARTBEAT_EVERY="2",
        JOB_HEARTBEAT_TIMEOUT="10",
        JOB_RESEND_AFTER="20",
        JOB_REAP_EVERY="5",
    )
    env.update(extra)
    return env


def _python(env: dict[str, str], args: list[str], timeout: float) -> str:
    out = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if out.returncode:
        raise RuntimeError(f"{' '.join(args)[:200]} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    return _python(env, ["manage.py", *args], timeout)


def run_python(env: dict[str, str], code: str, timeout: float = 600):
    """Run `code` in a Django process of the stack; it prints one JSON value, returned here."""
    script = "import django, json\ndjango.setup()\n" + code
    return json.loads(_python(env, ["-c", script], timeout).strip().splitlines()[-1])


class Gunicorn:
    """gunicorn with the project's config file, serving the production settings."""

    def __init__(self, env: dict[str, str], workers: int = 2, name: str = "web"):
        self.env = env
        self.port = free_port(8391)
        self.workers = workers
        self.log = LOGS / f"{name}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                # config.wsgi, loaded before the fork (tests/faults/wsgi.py says why).
                "tests.faults.wsgi:application",
                "--preload",
                "-c", "config/gunicorn.py",
                "-b", f"127.0.0.1:{self.port}",
                "-w", str(self.workers),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: answers(self.port), 180, "gunicorn")

    def stop(self) -> None:
        end(self.proc)
        self.proc = None


def end(proc: subprocess.Popen | None, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class CeleryWorker:
    """`celery -A config worker` (prefork, one child) that the test can kill."""

    def __init__(self, env: dict[str, str], name: str = "faults"):
        self.env = env
        self.name = name
        self.log = LOGS / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, concurrency: int = 1) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "celery"), "-A", "config", "worker",
                "-l", "info", "-c", str(concurrency), "-P", "prefork",
                "-n", f"{self.name}-{time.monotonic_ns()}@%h",
                "--without-gossip", "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        # Ready when its pool child exists and the log says so.
        wait_until(
            lambda: (
                self.proc.poll() is None
                and children(self.proc.pid)
                and b"ready." in self.log.read_bytes()[offset:]
            ),
            180,
            "celery worker",
        )

    def child(self) -> int:
        return wait_until(lambda: children(self.proc.pid), 30, "worker child")[0]

    def pause(self) -> None:
        """SIGSTOP the pool's children: a task sent now waits for them, until `resume`."""
        self.child()
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGCONT)

    def kill_children(self) -> None:
        """SIGKILL the pool's children (the main process stays, and starts new ones)."""
        self.child()
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole worker: the main process and its pool child at once."""
        if self.proc and self.proc.poll() is None:
            pids = children(self.proc.pid)
            self.proc.kill()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            pids = children(self.proc.pid)
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
            self.kill()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.proc = None


class CeleryBeat:
    """`celery -A config beat`, which sends the project's periodic tasks (the reaper's too)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.dir = Path(tempfile.mkdtemp(prefix="bangfu-faults-beat-"))
        self.log = LOGS / "beat.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "celery"), "-A", "config", "beat", "-l", "info",
                "-s", str(self.dir / "schedule"), "--pidfile", str(self.dir / "beat.pid"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self) -> None:
        end(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Answer:
    status: int
    body: object
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0


def http(
    method: str, url: str, *, token: str | None = None, body=None, headers=None, timeout: float = 40
) -> Answer:
    """One request; a refused or reset connection is status 0, a timeout status -1."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    request.add_header("Accept-Language", "en")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status, head = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, head = error.read(), error.code, dict(error.headers)
    except TimeoutError:
        return Answer(-1, None, {}, time.monotonic() - started)
    except (urllib.error.URLError, ConnectionError, OSError):
        return Answer(0, None, {}, time.monotonic() - started)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")[:500]
    return Answer(status, parsed, head, time.monotonic() - started)
