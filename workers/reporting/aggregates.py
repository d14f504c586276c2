"""Small pieces of the report's aggregate queries: a sum that is 0 when nothing matches, rows
as plain dicts, a duration in whole days whatever the database answers."""

import datetime

from django.db.models import Sum, Value
from django.db.models.functions import Coalesce


def sum_or_zero(expression, **extra):
    return Coalesce(Sum(expression, **extra), Value(0))


def plain_rows(queryset) -> list[dict]:
    return list(queryset.order_by())


def whole_days(delta) -> int:
    if delta is None:
        return 0
    if isinstance(delta, datetime.timedelta):
        return delta.days
    # Some backends answer a duration in microseconds.
    return int(delta) // 86_400_000_000
