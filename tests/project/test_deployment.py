"""docker-compose.yml and the Dockerfile, checked by reading and by running their commands.

There is no Docker engine here, so each command the containers run is run
by these tests instead, with the production settings the containers use.
"""

import ipaddress
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def production_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=SERVICES["web"]["environment"]["DJANGO_SETTINGS_MODULE"],
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        BANGFU_ID_HASH_KEY=secrets.token_urlsafe(32),
        BANGFU_ACCOUNT_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="bangfu.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def run(command: list[str], env: dict[str, str], timeout: int = 180):
    return subprocess.run(  # noqa: S603 (our own commands)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_compose_has_every_service_with_health_checks():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name in ["postgres", "redis", "web", "worker", "beat"]:
        assert SERVICES[name]["healthcheck"]["test"], name
    for name in APP_SERVICES:
        assert SERVICES[name]["build"] == "."
        assert SERVICES[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert SERVICES[name]["environment"]["REDIS_URL"].startswith("redis://")
    for name in ["web", "worker", "beat"]:
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def published_host_addresses(service: dict) -> list[str]:
    """The host address each published port binds to; "" when none is named (every interface)."""
    addresses = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            addresses.append(str(port.get("host_ip", "")))
            continue
        parts = str(port).rsplit(":", 2)
        addresses.append(parts[0].strip("[]") if len(parts) == 3 else "")
    return addresses


def test_compose_publishes_the_app_port_on_the_loopback_interface_only():
    # The host's reverse proxy (TLS) reaches gunicorn at 127.0.0.1:8000;
    # nothing else may, or a client could write its own X-Forwarded-For
    # where the app trusts one proxy (NUM_PROXIES=1).
    assert SERVICES["web"]["ports"], "web publishes its port for the reverse proxy"
    for name, service in SERVICES.items():
        for host in published_host_addresses(service):
            assert host, f"{name} publishes a port on every interface"
            assert ipaddress.ip_address(host).is_loopback, f"{name} publishes on {host}"
    assert SERVICES["web"]["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        (["8000:8000"], [""]),
        (["8000"], [""]),
        (["0.0.0.0:8000:8000"], ["0.0.0.0"]),  # noqa: S104 (what the test must catch)
        (["127.0.0.1:8000:8000"], ["127.0.0.1"]),
        (["[::1]:8000:8000"], ["::1"]),
        ([{"target": 8000, "published": 8000}], [""]),
        ([{"target": 8000, "host_ip": "127.0.0.1"}], ["127.0.0.1"]),
    ],
)
def test_published_host_addresses_reads_every_port_syntax(ports, expected):
    assert published_host_addresses({"ports": ports}) == expected


def test_compose_settings_module_exists():
    module = SERVICES["web"]["environment"]["DJANGO_SETTINGS_MODULE"]
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file()


def test_compose_celery_commands_name_the_project_app():
    for name in ["worker", "beat"]:
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "config"], command
    assert (ROOT / "config" / "celery.py").is_file()


def test_dockerfile_runs_the_web_command_and_installs_the_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert yaml.safe_load(cmd) == SERVICES["web"]["command"]
    assert "uv sync --locked --no-dev" in dockerfile
    assert "python manage.py collectstatic --no-input" in dockerfile
    assert "ENV" in dockerfile and "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile


def test_check_deploy_with_production_settings_prints_no_warnings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr.replace("INFO", "")


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (None, "BANGFU_ACCOUNT_KEYS must be set"),
        ("not-a-fernet-key", "BANGFU_ACCOUNT_KEYS must be Fernet keys"),
        (settings.EMBEDDED_ACCOUNT_KEY, "must not start with the embedded default key"),
    ],
)
def test_production_settings_refuse_to_start_without_an_account_key(tmp_path, keys, message):
    env = production_env(tmp_path)
    if keys is None:
        del env["BANGFU_ACCOUNT_KEYS"]
    else:
        env["BANGFU_ACCOUNT_KEYS"] = keys
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert message in result.stderr


def test_migrate_command_of_compose_runs_with_production_settings(tmp_path):
    command = SERVICES["migrate"]["command"]
    assert command == ["python", "manage.py", "migrate", "--no-input"]
    result = run([sys.executable, *command[1:]], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "production.sqlite3").stat().st_size > 0


def test_dockerfile_collectstatic_runs_with_production_settings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    # The manifest storage wrote hashed names that whitenoise serves.
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert list((tmp_path / "static").glob("drf_spectacular_sidecar/swagger-ui-dist/*.js"))


def test_web_command_of_compose_loads_the_wsgi_application(tmp_path):
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn" and command[1] == "config.wsgi:application"
    result = run([str(BIN / "gunicorn"), "--check-config", *command[1:]], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_web_command_of_compose_logs_requests_without_their_query_strings(tmp_path):
    """A search for a child's name or a guardian's phone never reaches gunicorn's access log."""
    name, phone = "欧阳秀英", "13812345678"
    port = _free_port()
    command = [str(BIN / "gunicorn"), *SERVICES["web"]["command"][1:]]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1"]
    log = tmp_path / "web.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            command, cwd=ROOT, env=production_env(tmp_path), stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        query = urllib.parse.urlencode({"search": name, "guardian_phone": phone})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/students/?{query}",
            headers={
                "Host": "bangfu.example.org",
                "X-Forwarded-Proto": "https",
                "Referer": f"https://bangfu.example.org/admin/mentoring/student/?q={phone}",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            # The worker's first request imports the URLs (SciPy and OR-Tools with
            # them): on a loaded machine that has taken over 10 s.
            urllib.request.urlopen(request, timeout=90)  # noqa: S310 (our own server)
        assert refused.value.code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    written = log.read_text(encoding="utf-8")
    assert "/api/v1/students/" in written, written
    assert name not in written and urllib.parse.quote(name) not in written
    assert phone not in written
    assert "search" not in written
    assert '"GET /api/v1/students/ HTTP/1.1" 401' in written


def _run_until(command, env, pattern: str, seconds: int = 60) -> str:
    """Start a long-running command, wait for `pattern` in its output, stop it."""
    process = subprocess.Popen(  # noqa: S603 (our own commands)
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if re.search(pattern, line):
                return "".join(output)
        pytest.fail(f"{shlex.join(command)} never printed {pattern!r}:\n{''.join(output)}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.redis
def test_worker_command_of_compose_starts_and_is_ready(tmp_path):
    command = SERVICES["worker"]["command"]
    env = production_env(tmp_path, REDIS_URL=settings.REDIS_URL)
    output = _run_until([str(BIN / command[0]), *command[1:]], env, r"celery@\S+ ready\.")
    assert "workers.account_census" in output
    assert "transport:   redis://" in output


@pytest.mark.redis
def test_beat_command_of_compose_starts(tmp_path):
    command = [*SERVICES["beat"]["command"]]
    command[command.index("--schedule") + 1] = str(tmp_path / "celerybeat-schedule")
    env = production_env(tmp_path, REDIS_URL=settings.REDIS_URL)
    output = _run_until([str(BIN / command[0]), *command[1:]], env, r"beat: Starting")
    assert "redis://" in output
