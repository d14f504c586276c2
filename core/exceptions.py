"""Request limits as API errors: what a client sent too much of, and the limit it broke.

Django refuses an oversized or overfull request with a `SuspiciousOperation`
subclass, which it answers with its own HTML 400 page. The API answers JSON
instead, through `request_limit_error` (called by the DRF exception handler
and by the 400 handler for API paths), with a message that names the limit.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def body_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The request body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    )


def request_limit_error(exc: BaseException) -> exceptions.APIException | None:
    """The API error for one of Django's request limits, or None for anything else."""
    if isinstance(exc, RequestDataTooBig):
        return body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(
            _("The request has more than the limit of %(limit)s fields.")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        )
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError(
            _("The request has more than the limit of %(limit)s files.")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        )
    return None
