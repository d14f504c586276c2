"""Failed logins and lockouts: one count and one rule for every way to log in.

The API's token (`/api/v1/auth/token/`), the mentor's page (`/teacher/login/`),
the Django admin (`/admin/login/`) and the browsable API (`/api-auth/login/`)
all call `django.contrib.auth.authenticate()` with the request. django-axes
hooks it: its backend, first in AUTHENTICATION_BACKENDS, refuses an attempt
while a lockout holds, before any password is checked, and its signal handler
(`LoginFailures` here) records every failure in the database
(`axes.AccessAttempt`), which every gunicorn worker and machine shares and
which keeps working while Redis restarts.

Two limits, because the teachers of one school usually share one public
address (the school's NAT):

- an account is locked after AXES_FAILURE_LIMIT failures
  (`LOGIN_FAILURES_PER_ACCOUNT`, 5), counted by the username as typed with
  case and surrounding spaces ignored, so unknown names count too and the
  answer never tells whether an account exists;
- an address after LOGIN_FAILURES_PER_ADDRESS failures (50) whatever the
  usernames, many more, so that one teacher's typos never lock out a school.

Failures are counted per (username, address, browser) record, and a record
counts until AXES_COOLOFF_TIME (`LOGIN_LOCKOUT_MINUTES`) has passed since its
last failure. A lockout therefore ends that long after the failures that
caused it, or earlier when an administrator clears it (`clear_account`, or the
access attempts in the Django admin). A successful login forgets the
account's failures from that address: its owner knows the password.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import SimpleTemplateResponse, TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import status
from rest_framework.exceptions import APIException

# axes stores usernames in a column of this width.
_USERNAME_LENGTH = 255


def login_name(request, credentials: dict | None) -> str | None:
    """The name failures are counted under (AXES_USERNAME_CALLABLE): as typed, trimmed, casefolded.

    "LI.HUA" and " li.hua" are one account's attempts: ModelBackend would
    refuse both, and counting them apart would multiply the guesses allowed.
    """
    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None:
        return None
    return normalise(str(raw))


def normalise(username: str) -> str:
    return username.strip().casefold()[:_USERNAME_LENGTH]


@dataclass(frozen=True)
class Lockout:
    """Why a login is refused, and for how long."""

    of_address: bool
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        if self.of_address:
            text = ngettext(
                "Too many failed logins from your network address. "
                "Try again in %(minutes)d minute.",
                "Too many failed logins from your network address. "
                "Try again in %(minutes)d minutes.",
                minutes,
            )
        else:
            text = ngettext(
                "Too many failed logins for this account. Try again in %(minutes)d minute, "
                "or ask an administrator to unlock the account.",
                "Too many failed logins for this account. Try again in %(minutes)d minutes, "
                "or ask an administrator to unlock the account.",
                minutes,
            )
        return text % {"minutes": minutes}


class LoginFailures(AxesDatabaseHandler):
    """axes's database handler with a limit per account and a higher one per address (AXES_HANDLER).

    axes compares one number, `get_failures`, with AXES_FAILURE_LIMIT (the
    account's limit) both to refuse an attempt and to lock after a failure;
    an address past its own limit therefore answers that limit.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account, address = _standing(request, credentials)
        failures = sum(n for _, n in account)
        if sum(n for _, n in address) >= settings.LOGIN_FAILURES_PER_ADDRESS:
            return max(failures, settings.AXES_FAILURE_LIMIT)
        return failures

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(
            username=normalise(user.get_username()), ip_address=request.axes_ip_address
        ).delete()


def _standing(request, credentials: dict | None):
    """The unexpired failures (time, count) of the attempt's account and of its address.

    One query: the records of that username or that address.
    """
    username = get_client_username(request, credentials)
    address = request.axes_ip_address
    rows = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=address),
        attempt_time__gte=get_cool_off_threshold(request),
    ).values_list("username", "ip_address", "attempt_time", "failures_since_start")
    by_account, by_address = [], []
    for row_username, row_address, at, failures in rows:
        if row_username == username:
            by_account.append((at, failures))
        if row_address == address:
            by_address.append((at, failures))
    return by_account, by_address


def _unlocks_at(failures: list, limit: int, cool_off: timedelta):
    """When enough of these failures will have expired to leave fewer than `limit`, or None."""
    remaining = sum(n for _, n in failures)
    unlocks_at = None
    for at, n in sorted(failures):
        if remaining < limit:
            break
        remaining -= n
        unlocks_at = at + cool_off
    return unlocks_at


def lockout_of(request, credentials: dict | None) -> Lockout:
    """The lockout that refused this attempt: of its account or its address, and until when.

    Called when axes has flagged the request as locked out; should the records
    have been cleared meanwhile, the whole cool-off is announced.
    """
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    account, address = _standing(request, credentials)
    account_until = _unlocks_at(account, settings.AXES_FAILURE_LIMIT, cool_off)
    address_until = _unlocks_at(address, settings.LOGIN_FAILURES_PER_ADDRESS, cool_off)
    now = timezone.now()
    if address_until is not None and (account_until is None or address_until > account_until):
        return Lockout(of_address=True, retry_after=_seconds(address_until - now))
    until = account_until or now + cool_off
    return Lockout(of_address=False, retry_after=_seconds(until - now))


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


class LoginLockedOut(APIException):
    """A locked-out API login: 429 with the lockout's message; DRF sets Retry-After from `wait`."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed logins. Try again later.")
    default_code = "locked_out"

    def __init__(self, lockout: Lockout):
        super().__init__(detail=lockout.message)
        self.wait = lockout.retry_after


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The answer to a login refused for a lockout, through a page (AXES_LOCKOUT_CALLABLE).

    A login form (the mentor's page, the admin, the browsable API) is shown
    again with the lockout as its error; anything else answers JSON. Both
    with 429 and Retry-After.
    """
    lockout = lockout_of(request, credentials)
    form = None
    if isinstance(original_response, SimpleTemplateResponse):
        context = original_response.context_data or {}
        form = context.get("form")
    if isinstance(form, forms.BaseForm) and form.is_bound:
        form.errors.clear()
        form.add_error(None, lockout.message)
        response = TemplateResponse(
            request, original_response.template_name, context, status=429
        ).render()
    else:
        response = JsonResponse({"detail": lockout.message}, status=429)
    response["Retry-After"] = str(lockout.retry_after)
    return response


def clear_account(username: str) -> int:
    """End an account's lockout by forgetting its failures; answers how many still counted."""
    attempts = AccessAttempt.objects.filter(username=normalise(username))
    threshold = timezone.now() - get_cool_off()
    counted = attempts.filter(attempt_time__gte=threshold).aggregate(n=Sum("failures_since_start"))
    attempts.delete()
    return counted["n"] or 0
