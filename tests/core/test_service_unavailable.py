"""A service that is down answers JSON 503 with Retry-After on every path, never 500.

PostgreSQL errors are raised from the cursor (and, on PostgreSQL, by killing
the request's own server process); Redis is pointed at a closed port, or is a
private redis-server frozen with SIGSTOP (never the shared one).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from io import BytesIO
from unittest import mock

import psycopg
import pytest
import redis.exceptions
from django.contrib.sessions.backends.db import SessionStore
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import path
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.test import APIClient

from core.unavailable import unavailable_service
from mentoring.models import User
from tests.conftest import client_for
from workers.factories import DEFAULT_PASSWORD, member

CLOSED_REDIS = "redis://127.0.0.1:1/0"
TOKEN_URL = "/api/v1/auth/token/"


def database_down():
    return mock.patch.object(
        CursorWrapper, "execute", side_effect=OperationalError("server closed the connection")
    )


def assert_503(response, service: str):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["service"] == service
    assert service in body["detail"]


@pytest.fixture(autouse=True)
def retry_after(settings):
    settings.SERVICE_UNAVAILABLE_RETRY_AFTER = 5


@pytest.fixture
def teacher(school_a):
    return member("teacher", school_a, username="li.hua")


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", DEFAULT_PASSWORD)


# Which errors count


@pytest.mark.parametrize(
    ("exc", "service"),
    [
        (OperationalError("connection refused"), "database"),
        (InterfaceError("connection already closed"), "database"),
        (psycopg.OperationalError("terminating connection"), "database"),
        (redis.exceptions.ConnectionError("Connection refused"), "redis"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "redis"),
        (BrokerError("Error 111 connecting"), "broker"),
        (ValueError("a bug"), None),
        (None, None),
    ],
)
def test_errors_of_a_service_that_is_down_are_recognised(exc, service):
    assert unavailable_service(exc) == service


def test_an_error_raised_while_handling_a_lost_connection_counts_as_the_lost_connection():
    try:
        try:
            raise OperationalError("server closed the connection")
        except OperationalError:
            raise RuntimeError("cleanup failed") from None
    except RuntimeError as exc:
        # `from None` hides the cause from tracebacks, but it is still the context.
        assert unavailable_service(exc) == "database"


def test_integrity_errors_are_bugs_not_outages():
    from django.db import IntegrityError

    assert unavailable_service(IntegrityError("duplicate key")) is None


# The API


@pytest.mark.django_db
def test_an_api_read_answers_503_when_the_database_is_down(teacher):
    client = client_for(teacher)
    with database_down():
        response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert_503(response, "database")
    assert "Try again in 5 seconds" in response.json()["detail"]


@pytest.mark.django_db
def test_the_503_message_is_translated(teacher):
    with database_down():
        response = client_for(teacher).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert_503(response, "database")
    assert "5 秒后重试" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "service"),
    [
        (redis.exceptions.ConnectionError("Connection refused"), "redis"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "redis"),
        (BrokerError("Error 111 connecting to 127.0.0.1:6379"), "broker"),
        (OperationalError("the database system is shutting down"), "database"),
    ],
)
def test_an_api_write_answers_503_when_a_service_fails_under_it(error, service):
    from tests.core.test_idempotency import new_session
    from tests.mentoring.pairings.pairing_world import build_world

    world = build_world()
    with mock.patch("mentoring.services.sessions.session_log", side_effect=error):
        response = client_for(world.owner).post("/api/v1/sessions/", new_session(world))
    assert_503(response, service)


@pytest.mark.django_db
def test_an_api_login_answers_503_when_the_database_is_down(teacher):
    with database_down():
        response = APIClient().post(
            TOKEN_URL, {"username": "li.hua", "password": DEFAULT_PASSWORD}, format="json"
        )
    assert_503(response, "database")


# Pages, the admin and what fails outside any view


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "url"), [("teacher", "/teacher/"), ("root", "/admin/mentoring/user/")]
)
def test_pages_and_the_admin_answer_json_503_not_an_html_500(request, user, url):
    client = Client()
    client.force_login(request.getfixturevalue(user))
    with database_down():
        response = client.get(url)
    assert_503(response, "database")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status"), [(OperationalError("gone"), 503), (ValueError("a bug"), 500)]
)
def test_an_error_outside_the_view_is_answered_by_the_500_handler(teacher, error, status):
    # The session is saved by SessionMiddleware after the view has answered:
    # a database that is down is still a 503 there, and a real bug a 500: on this
    # page path the pages' error page (tests/core/test_error_pages.py), not JSON.
    client = Client(raise_request_exception=False)
    with mock.patch.object(SessionStore, "save", side_effect=error):
        response = client.post(
            "/teacher/login/", {"username": "li.hua", "password": DEFAULT_PASSWORD}
        )
    if status == 503:
        assert_503(response, "database")
    else:
        assert response.status_code == 500
        assert response["Content-Type"].startswith("text/html")
        assert '<main class="error-page" data-status="500">' in response.content.decode()
        assert "Retry-After" not in response


# The health check


@pytest.mark.django_db
def test_healthz_answers_503_with_retry_after_when_the_database_is_down(client):
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_healthz_answers_within_a_second_when_the_database_hangs(client):
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(10)
        raise OperationalError("timed out")

    try:
        with mock.patch.object(CursorWrapper, "execute", side_effect=hang):
            started = time.monotonic()
            first = client.get("/healthz")
            second = client.get("/healthz")
            elapsed = time.monotonic() - started
    finally:
        release.set()
    assert elapsed < 2.0
    assert first.status_code == second.status_code == 503
    assert first.json() == {
        "database": "unavailable",
        "broker": "in-process",
        "status": "unavailable",
    }
    # The second check waited on the first one's thread instead of starting another.
    hung = [t for t in threading.enumerate() if t.name == "healthz-database"]
    assert len(hung) <= 1


@pytest.fixture
def frozen_redis():
    """A private redis-server on a free port, frozen with SIGSTOP; woken and stopped after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is needed to start a private Redis")
    server = subprocess.Popen(  # noqa: S603 (our own command, a port chosen here)
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                redis.Redis(port=port, socket_timeout=0.5).ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        os.kill(server.pid, signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(10)


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_answers_within_a_second_when_redis_is_frozen(client, settings, frozen_redis):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = frozen_redis
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        app.conf.broker_url = previous
    assert elapsed < 1.0
    # Reads go on while Redis is frozen, so the web app stays ready.
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unavailable", "status": "ok"}


# Logging in while Redis is gone: failures and lockouts live in the database


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
        }
    }


def test_no_drf_throttle_and_no_axes_cache_handler_depend_on_the_cache(settings):
    assert not settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_CLASSES")
    assert settings.AXES_HANDLER == "core.logins.LoginFailures"
    from axes.handlers.database import AxesDatabaseHandler

    from core.logins import LoginFailures

    assert issubclass(LoginFailures, AxesDatabaseHandler)


@pytest.mark.django_db
def test_login_works_and_counts_failures_with_the_cache_unreachable(teacher, settings, dead_cache):
    from django.core.cache import cache

    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")

    ok = APIClient().post(
        TOKEN_URL, {"username": "li.hua", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert ok.status_code == 200
    for _ in range(5):
        APIClient().post(TOKEN_URL, {"username": "li.hua", "password": "wrong"}, format="json")
    locked = APIClient().post(
        TOKEN_URL, {"username": "li.hua", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_page_login_works_with_the_cache_unreachable(teacher, dead_cache):
    client = Client()
    response = client.post("/teacher/login/", {"username": "li.hua", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# A dead connection is not reused (through the WSGI handler, as gunicorn calls it)


def _wsgi_get(path: str) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": BytesIO(),
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status.split()[0])

    body = b"".join(WSGIHandler()(environ, start_response))
    return started["status"], body


def _kill_backend(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_database_connection_is_replaced_by_the_next_request(settings):
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        assert _wsgi_get("/api/v1/public/notices/")[0] == 200
        first_pid = connection.connection.info.backend_pid

        # With health checks (the setting): the dead connection is noticed
        # before the request uses it, and the request answers normally.
        _kill_backend(first_pid)
        assert _wsgi_get("/api/v1/public/notices/")[0] == 200
        second_pid = connection.connection.info.backend_pid
        assert second_pid != first_pid

        # Without them, the request that meets the dead connection answers
        # 503, and the next one has a new connection.
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
        connection.health_check_enabled = False
        _kill_backend(second_pid)
        status, body = _wsgi_get("/api/v1/public/notices/")
        assert status == 503
        assert b"service_unavailable" in body
        assert _wsgi_get("/api/v1/public/notices/")[0] == 200
        assert connection.connection.info.backend_pid not in (first_pid, second_pid)
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
        connection.close()


# A private PostgreSQL stopped and started again under the app's connection

PG_BIN = "/usr/lib/postgresql/15/bin"


def _as_postgres(*command: str, check: bool = True) -> None:
    subprocess.run(  # noqa: S603 (our own command)
        [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *command],
        check=check,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test's own on a free port: (port, start, stop)."""
    if not os.path.exists(f"{PG_BIN}/initdb") or os.geteuid() != 0:
        pytest.skip("a private cluster needs PostgreSQL 15's initdb and root (to run as postgres)")
    # Not under pytest's tmp_path: the postgres user must be able to reach it.
    home = tempfile.mkdtemp(prefix="bangfu-pg-")
    shutil.chown(home, "postgres")
    data = f"{home}/data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = f"{PG_BIN}/pg_ctl"
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start():
        _as_postgres(ctl, "-D", data, "-o", options, "-w", "start")

    def stop():
        _as_postgres(ctl, "-D", data, "-m", "fast", "-w", "stop")

    try:
        _as_postgres(f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
        start()
        yield port, start, stop
    finally:
        _as_postgres(ctl, "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)


def select_backend(request):
    """A page outside the API that reads the database: the server process it reached."""
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return JsonResponse({"pid": cursor.fetchone()[0]})


urlpatterns = [path("backend/", select_backend)]


@pytest.mark.postgres
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_answers_503_then_the_next_request_reconnects(private_postgres):
    port, start, stop = private_postgres
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1", PORT=str(port), NAME="postgres", CONN_MAX_AGE=60
    )
    try:
        status, body = _wsgi_get("/backend/")
        assert status == 200
        before = json.loads(body)["pid"]

        stop()
        down = [_wsgi_get("/backend/") for _ in range(3)]
        assert [status for status, _ in down] == [503, 503, 503]
        assert all(json.loads(body)["service"] == "database" for _, body in down)

        start()
        status, body = _wsgi_get("/backend/")
        assert status == 200
        assert json.loads(body)["pid"] != before
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
