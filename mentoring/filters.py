"""Filters shared by every list endpoint."""

import django_filters

from core.bounds import BIGINT_MAX, BIGINT_MIN


class NumberFilter(django_filters.NumberFilter):
    """A number filter that answers 400 for a value no column can hold, never 500.

    django-filter's own would pass 99999999999999999999 on to the database,
    which fails (OverflowError on SQLite, out of range on PostgreSQL).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", BIGINT_MIN)
        super().__init__(*args, **kwargs)
