"""API plumbing shared by every app: pagination, error shape and the health check.

Nothing here knows about the domain; the apps' viewsets reach it through
REST_FRAMEWORK settings.
"""

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import request_limit_error
from mentoring.errors import DomainError

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def exception_handler(exc, context):
    """Turn domain errors into JSON with one message list per field.

    A `DomainError` carries its HTTP status and the field it concerns; errors
    that concern no single field are reported under `detail`.
    """
    if isinstance(exc, DomainError):
        body = {exc.field: [str(exc.message)]} if exc.field else {"detail": str(exc.message)}
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    else:
        # An oversized or overfull body, which Django would answer with HTML.
        exc = request_limit_error(exc) or exc
    return drf_exception_handler(exc, context)


def healthz(request):
    """Liveness and readiness: 200 when the database answers, 503 when not.

    The broker is reported but does not fail the check: the web app keeps
    serving reads while Redis restarts.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as exc:
        logger.error("Health check: database unavailable: %s", exc)
        checks["database"] = "unavailable"

    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "in-process"
    else:
        checks["broker"] = _broker_status()

    healthy = checks["database"] == "ok"
    checks["status"] = "ok" if healthy else "unavailable"
    code = status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
    return JsonResponse(checks, status=code)


def _broker_status() -> str:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises many transport-specific errors.
        logger.warning("Health check: broker unavailable: %s", exc)
        return "unavailable"
    return "ok"


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


def permission_denied(request, exception=None):
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
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
    return JsonResponse({"detail": _("Not found.")}, status=404)


def server_error(request):
    return JsonResponse({"detail": _("Internal server error.")}, status=500)
