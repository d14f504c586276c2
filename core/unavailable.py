"""A service that is down answers 503 with `Retry-After`, never 500.

PostgreSQL restarting, Redis stopped or frozen, a broker that refuses a
publish: the request itself was fine, so the client is told to try again
(`Retry-After`, `SERVICE_UNAVAILABLE_RETRY_AFTER` seconds) in a JSON body
that names the service, on every path:

- the API's views through the DRF exception handler (`core.exception_handler`);
- every other view (the mentor's page, the admin, `/healthz`) through
  `ServiceUnavailableMiddleware.process_exception`;
- what fails outside any view (a middleware loading the session or the
  user, a response being saved) through the 500 handler
  (`config.api.server_error`), which looks at the exception being handled.

A dead database connection is not reused: Django marks it after the error
and closes it when the request finishes (`close_old_connections`), and
`CONN_HEALTH_CHECKS` checks a kept connection before the next request uses it.
"""

from __future__ import annotations

import logging

import psycopg
import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# The errors that say a service is down, frozen or restarting, by the name
# the answer gives it. A database error that is the request's own fault
# (IntegrityError, DataError) is not here: it is a bug to be seen as one.
_DOWN = (
    (
        "database",
        (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError),
    ),
    ("redis", (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)),
    ("broker", (BrokerError,)),
)


def unavailable_service(exc: BaseException | None) -> str | None:
    """The service ("database", "redis" or "broker") whose failure raised `exc`, or None.

    The exception's causes count too: an error raised while handling a lost
    connection is the lost connection's fault.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for service, kinds in _DOWN:
            if isinstance(exc, kinds):
                return service
        exc = exc.__cause__ or exc.__context__
    return None


def retry_after() -> int:
    return settings.SERVICE_UNAVAILABLE_RETRY_AFTER


def unavailable_body(service: str) -> dict:
    return {
        "detail": _(
            "A service Bangfu needs (%(service)s) is not answering. "
            "Try again in %(seconds)d seconds."
        )
        % {"service": service, "seconds": retry_after()},
        "code": "service_unavailable",
        "service": service,
    }


def log_unavailable(service: str, exc: BaseException, request) -> None:
    # The class and message of a connection error, not the request's data.
    logger.warning(
        "503 for %s %s: %s unavailable (%s: %s)",
        request.method,
        request.path_info,
        service,
        type(exc).__name__,
        str(exc).strip()[:200],
    )


def unavailable_response(service: str) -> JsonResponse:
    response = JsonResponse(unavailable_body(service), status=503)
    response["Retry-After"] = str(retry_after())
    return response


class ServiceUnavailableMiddleware:
    """A view that fails because a service is down answers JSON 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = unavailable_service(exception)
        if service is None:
            return None
        log_unavailable(service, exception, request)
        return unavailable_response(service)
