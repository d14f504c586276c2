"""The DRF exception handler of every endpoint (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import DomainError
from core.exceptions import request_limit_error
from core.unavailable import log_unavailable, retry_after, unavailable_body, unavailable_service


def exception_handler(exc, context):
    """Turn domain errors into JSON with one message list per field.

    A `DomainError` carries its HTTP status and the field it concerns; errors
    that concern no single field are reported under `detail`.
    """
    if isinstance(exc, DomainError):
        body = {exc.field: [str(exc.message)]} if exc.field else {"detail": str(exc.message)}
        body.update(exc.extra)
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return Response(body, status=exc.status_code, headers=headers)
    service = unavailable_service(exc)
    if service is not None:
        # A database or Redis that is down: the client may retry (core.unavailable).
        log_unavailable(service, exc, context["request"])
        set_rollback()
        return Response(
            unavailable_body(service),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(retry_after())},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    else:
        # An oversized or overfull body, which Django would answer with HTML.
        exc = request_limit_error(exc) or exc
    return drf_exception_handler(exc, context)
