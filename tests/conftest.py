"""Shared fixtures, and the rule for tests that need a real service.

A test marked `postgres`, `redis` or `celery_worker` runs only where the
service answers. Elsewhere it is skipped with the reason shown, except with
CI=true, where a missing service fails the test: CI must prove the real parts.
"""

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from workers.factories import DistrictFactory, SchoolFactory, member

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
# What recording a GET that serves students' records adds to its queries at most, however
# many students (mentoring.services.access_log): on SQLite the entry, its students, and in a
# test (which runs inside a transaction) the savepoint around them and its release; on
# PostgreSQL one statement writes both.
ACCESS_LOG_QUERIES = 4


# `make test` runs the suite in two processes (pytest-xdist, `--dist loadgroup`).
# The longest tests go first, so that neither process is left with one of them at
# the end; tests in one group run one after another in one process.
LONGEST_FIRST = (
    "tests/donations/test_money_invariants.py",
    "tests/faults/",
    "tests/project/test_permission_matrix_api.py",
    "tests/project/test_bench_all.py",
    "tests/project/test_api_fuzz.py",
    "tests/project/test_permission_matrix_pages.py",
)
# Tests that share a fixture wider than a test stay together in one process: the
# fault tests one private PostgreSQL seeded with the demo (a session fixture, built
# once per process) and fixed port ranges; the API matrix and the fuzz a scene built
# once for the module, in a transaction held open across its tests.
GROUPS = {
    "tests/faults/": "faults",
    "tests/project/test_permission_matrix_api.py": "permission_matrix_api",
    "tests/project/test_api_fuzz.py": "api_fuzz",
}


def _flush_awards_before_payments():
    """After a transactional test, SQLite's flush deletes every table in an order Django takes
    from a set (so it changes with the process's hash seed). The database refuses to delete a
    payment while its award still stands unfunded (donations 0013's triggers), so the awards
    go first; PostgreSQL's TRUNCATE fires no row triggers."""
    # Through the backend's module: importing its operations module first is circular.
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class
    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **options):
        return flush(self, style, sorted(tables, key=lambda t: t != "donations_award"), **options)

    DatabaseOperations.sql_flush = sql_flush


_flush_awards_before_payments()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    log_file = config.getoption("log_file", None)
    if worker and log_file:
        # Each process writes its own log (var/test-run.gw0.log, ...); CI scans them all.
        path = Path(log_file)
        config.option.log_file = str(path.with_name(f"{path.stem}.{worker}{path.suffix}"))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    # Around the other plugins' hooks: the groups before xdist reads them, the
    # order after pytest-django has sorted by kind of database use.
    for item in items:
        for prefix, group in GROUPS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))
    result = yield

    def rank(item):
        for position, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return position
        return len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each rank is kept
    return result


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "localhost", parsed.port or 6379), 2
        ) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL is needed: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") or item.get_closest_marker("celery_worker"):
        if not settings.REDIS_URL:
            _missing("Redis is needed: set REDIS_URL=redis://...")
        elif not _redis_answers(settings.REDIS_URL):
            _missing(f"Redis does not answer at {settings.REDIS_URL}")
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        _missing(f"Chromium is needed at {CHROMIUM} (Debian package chromium)")
    if item.get_closest_marker("pdf"):
        from workers.reporting.exports import pdf_available

        if not pdf_available():
            _missing("WeasyPrint needs Pango for PDFs (Debian package libpango-1.0-0)")


@pytest.fixture(autouse=True)
def _clear_cache():
    # Each test starts with an empty cache (failed logins are counted in the
    # database, which each test rolls back).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_app_kept():
    """Tasks run in-process through the project's app unless a test says otherwise, and a
    test's change does not outlive it.

    The project's tasks are `shared_task`s: they run through Celery's *current* app,
    which any `Celery(...)` made in a test becomes unless told otherwise; and the app
    reads its settings from Django's on first use and keeps them. Either change,
    left behind, has every later test in the process publish to Redis with no
    worker to run the task. Reading the setting here loads it before the test.
    """
    from celery import current_app

    from config.celery import app

    eager = app.conf.task_always_eager
    yield
    app.conf.task_always_eager = eager
    if current_app._get_current_object() is not app:
        app.set_current()


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def check_and_mail(**kwargs):
    """The weekly check as a worker runs it: `compliance_check(**kwargs)`, then, after its
    commit, the job that e-mails its reminders (in-process here); answers the check's outcome."""
    from django.test import TestCase

    from mentoring.services.compliance import compliance_check

    with TestCase.captureOnCommitCallbacks(execute=True):
        return compliance_check(**kwargs)


def reminder_mail_jobs():
    """The jobs that e-mailed the weekly checks' reminders, oldest first."""
    from workers.models import Job, JobKind

    return Job.objects.filter(kind=JobKind.REMINDER_MAIL).order_by("pk")


@pytest.fixture
def district(db):
    return DistrictFactory()


@pytest.fixture
def school_a(district):
    return SchoolFactory(district=district)


@pytest.fixture
def school_b(district):
    return SchoolFactory(district=district)


@pytest.fixture
def admin_a(school_a):
    return member("administrator", school_a)


@pytest.fixture
def admin_b(school_b):
    return member("administrator", school_b)


@pytest.fixture
def district_admin(school_a, school_b):
    return member("administrator", school_a, school_b)


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """Debian's Chromium, driven by Playwright, for a test that opens the live server's pages."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made here before and after it are plain synchronous test code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            # The test's queries ran on connections of their own while Playwright's
            # loop ran; closed, PostgreSQL can drop the test database at the end.
            connections.close_all()
