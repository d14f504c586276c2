"""The database's own guard of awards against the fund account, and how a refusal is answered.

Migration 0013 makes PostgreSQL and SQLite refuse any write that leaves a
project's unpaid awards committing more than its fund account holds, naming
the constraint `AWARD_WITHIN_ACCOUNT`. The services check the same first,
under the account's lock, and say why; a refusal by the database therefore
means a write outside them or a service that forgot its check. The services
that move awards or money out answer it as a Conflict (409) with a plain
message, through `answers_award_guard`, instead of a server error.
"""

import functools

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict

AWARD_WITHIN_ACCOUNT = "donations_award_within_account"

REFUSED_MESSAGE = _(
    "The project's fund account would hold less than its unpaid awards commit; nothing was changed."
)


def refused_by_award_guard(error: BaseException) -> bool:
    """Whether `error` is the database refusing a write by the guard of migration 0013."""
    if not isinstance(error, IntegrityError):
        return False
    # PostgreSQL names the constraint in the error's diagnostics; SQLite only in its message.
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None) == AWARD_WITHIN_ACCOUNT:
        return True
    return AWARD_WITHIN_ACCOUNT in str(error)


def answers_award_guard(*, field: str):
    """Turn the guard's refusal, raised inside the decorated service, into a Conflict on `field`.

    Put it above `@transaction.atomic`, so the service's writes are rolled
    back before the Conflict leaves it.
    """

    def decorate(service):
        @functools.wraps(service)
        def guarded(*args, **kwargs):
            try:
                return service(*args, **kwargs)
            except IntegrityError as error:
                if refused_by_award_guard(error):
                    raise Conflict(REFUSED_MESSAGE, field=field) from error
                raise

        return guarded

    return decorate
