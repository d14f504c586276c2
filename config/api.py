"""The project's HTTP wiring: the health check, and Django's error handlers.

On API paths the errors are JSON; on every other path they are the pages' error
page (core/templates/core/error_page.html), except a 400 or a CSRF refusal, which keep
Django's plain page.

Nothing here knows about the domain. The pagination and the DRF exception
handler every viewset uses are core's (core.pagination, core.exception_handler),
named in REST_FRAMEWORK settings.
"""

import logging
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from rest_framework import status

from core.exceptions import request_limit_error
from core.unavailable import (
    log_unavailable,
    retry_after,
    unavailable_response,
    unavailable_service,
)

logger = logging.getLogger(__name__)


class _Probe:
    """One check of one service, run in its own thread so that a service that hangs
    cannot hold the health check's answer.

    At most one check of a service runs at a time in a process: while one is
    still waiting on a frozen service, the next health checks wait for that one
    (within their own deadline) instead of starting another thread.
    """

    def __init__(self, name: str, check):
        self.name = name
        self._check = check
        self._lock = threading.Lock()
        self._future: Future | None = None

    def start(self) -> Future:
        with self._lock:
            if self._future is None or self._future.done():
                self._future = Future()
                threading.Thread(
                    target=self._run, args=(self._future,), name=f"healthz-{self.name}", daemon=True
                ).start()
            return self._future

    def _run(self, future: Future) -> None:
        try:
            self._check()
        except Exception as exc:  # Each driver raises its own errors; all mean "down".
            logger.error("Health check: %s unavailable: %s", self.name, exc)
            future.set_result("unavailable")
        else:
            future.set_result("ok")


def _check_database() -> None:
    # This thread opens its own connection (connections are per thread), and
    # closes it: the check also proves that a new connection can be made.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def _check_broker() -> None:
    from config.celery import app

    url = app.conf.broker_url
    timeout = settings.HEALTH_CHECK_TIMEOUT_MS / 1000
    if urlparse(url).scheme in ("redis", "rediss"):
        # Short socket timeouts: a frozen Redis accepts the connection and never answers.
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


_DATABASE = _Probe("database", _check_database)
_BROKER = _Probe("broker", _check_broker)


def healthz(request):
    """Liveness and readiness: 200 when the database answers, 503 (with Retry-After) when not.

    It answers within HEALTH_CHECK_TIMEOUT_MS whatever hangs: each service is
    checked in a thread, and a check without an answer by then counts as
    "unavailable". The broker is reported but does not fail the check: the web
    app keeps serving reads, and writes keep their jobs pending, while Redis
    restarts.
    """
    deadline = time.monotonic() + settings.HEALTH_CHECK_TIMEOUT_MS / 1000
    probes = [_DATABASE]
    checks = {"broker": "in-process"}
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        probes.append(_BROKER)
    running = [(probe, probe.start()) for probe in probes]
    for probe, future in running:
        try:
            checks[probe.name] = future.result(max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            logger.error("Health check: %s gave no answer in time", probe.name)
            checks[probe.name] = "unavailable"

    healthy = checks["database"] == "ok"
    checks["status"] = "ok" if healthy else "unavailable"
    if healthy:
        return JsonResponse(checks, status=status.HTTP_200_OK)
    response = JsonResponse(checks, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(retry_after())
    return response


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, exception=None):
    """400 for what Django refuses before any view runs: JSON on API paths.

    A bad Host header (DisallowedHost) and a body over a limit arrive here;
    pages outside the API keep Django's plain page.
    """
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    limit = request_limit_error(exception) if exception is not None else None
    if limit is not None:
        return JsonResponse({"detail": str(limit.detail)}, status=limit.status_code)
    if isinstance(exception, DisallowedHost):
        return JsonResponse({"detail": _("This host name is not served here.")}, status=400)
    return JsonResponse({"detail": _("Bad request.")}, status=400)


def _error_page(request, status: int, title: str, message: str) -> HttpResponse:
    """The pages' own error page (core/error_page.html), for every path outside the API.

    Rendered from the request alone: a 500 may come from a failing database, so the
    page asks for no user and no record. Should even that fail, a plain line answers.
    """
    context = {"status": status, "title": title, "message": message}
    try:
        body = render_to_string("core/error_page.html", context, request=request)
    except Exception:  # The error page must answer whatever broke; the first error is logged.
        logger.exception("The error page could not be rendered")
        body = f"<!DOCTYPE html><title>{status}</title><h1>{title}</h1><p><a href='/'>/</a></p>"
    return HttpResponse(body, status=status)


def permission_denied(request, exception=None):
    if not _is_api(request):
        return _error_page(
            request, 403, _("Not allowed"), _("Your account may not open this page.")
        )
    return JsonResponse(
        {"detail": _("You do not have permission to perform this action.")}, status=403
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON on API paths, Django's page elsewhere."""
    if not _is_api(request):
        return csrf.csrf_failure(request, reason)
    return JsonResponse(
        {"detail": _("CSRF check failed: %(reason)s") % {"reason": reason}}, status=403
    )


def not_found(request, exception=None):
    """handler404: JSON on API paths; elsewhere the pages' error page."""
    if not _is_api(request):
        return _error_page(
            request,
            404,
            _("Page not found"),
            _("There is no page at this address, or it is not one you may see."),
        )
    return JsonResponse({"detail": _("Not found.")}, status=404)


def server_error(request):
    """handler500, also reached by an error raised outside any view (in a middleware).

    Django calls it while handling the exception, so a service that is down
    still answers 503 from here (core.unavailable).
    """
    exc = sys.exc_info()[1]
    service = unavailable_service(exc)
    if service is not None:
        log_unavailable(service, exc, request)
        return unavailable_response(service)
    if not _is_api(request):
        return _error_page(
            request,
            500,
            _("Something went wrong"),
            _("The server could not finish this request. It is recorded; please try again later."),
        )
    return JsonResponse({"detail": _("Internal server error.")}, status=500)
