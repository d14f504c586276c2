"""The filtering of every list endpoint: django-filter, refusing what it would ignore.

django-filter drops a query parameter it has no filter for, so a client that
asks for `awards/?student=7` (a filter that did not exist) gets every award
and takes them for the student's. Here a list answers 400 naming each query
parameter that nothing reads, together with the bad values of the known
ones, in one answer.

Known on a list: the filterset's parameters (a range filter's suffixed
names, such as `date_after`), the paginator's, the search and ordering
parameters of any other backend the view uses, and DRF's `format`. Those are
the parameters the OpenAPI schema names, so a client reading the schema
never meets the 400.

Only lists are checked: a GET of the view's `list`, of a plain list view,
or of an action the view names in `list_actions` (such as a run's `pairs`).
Other actions (an export's `format` and `lang`, a
summary's `term`) read their own query parameters through a serializer.

The filters that every app's filtersets share (NumberFilter) are here too.
"""

import django_filters
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import serializers
from rest_framework.settings import api_settings

from core.bounds import BIGINT_MAX, BIGINT_MIN


def filter_parameter_names(filterset) -> set[str]:
    """The query parameter names a filterset reads."""
    names = set()
    for name, field in filterset.form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)
        if suffixes:
            names.update(field.widget.suffixed(name, suffix) for suffix in suffixes)
        else:
            names.add(name)
    return names


def is_list(request, view) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    action = getattr(view, "action", None)
    return action in (None, "list") or action in getattr(view, "list_actions", ())


class StrictFilterBackend(DjangoFilterBackend):
    def known_parameters(self, filterset, view) -> set[str]:
        known = {api_settings.URL_FORMAT_OVERRIDE}
        if filterset is not None:
            known |= filter_parameter_names(filterset)
        paginator = getattr(view, "paginator", None)
        for attribute in ("page_query_param", "page_size_query_param", "limit_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                known.add(name)
        for backend in getattr(view, "filter_backends", ()):
            for attribute in ("search_param", "ordering_param"):
                name = getattr(backend, attribute, None)
                if name:
                    known.add(name)
        return known

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        errors = {}
        if is_list(request, view):
            known = self.known_parameters(filterset, view)
            message = _("Unknown query parameter; this list reads: %(known)s.") % {
                "known": ", ".join(sorted(known))
            }
            errors = {name: [message] for name in request.query_params if name not in known}
        if filterset is not None and not filterset.is_valid():
            errors.update(translate_validation(filterset.errors).detail)
        if errors:
            raise serializers.ValidationError(errors)
        return queryset if filterset is None else filterset.qs


class NumberFilter(django_filters.NumberFilter):
    """A number filter that answers 400 for a value no column can hold, never 500.

    django-filter's own would pass 99999999999999999999 on to the database,
    which fails (OverflowError on SQLite, out of range on PostgreSQL).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", BIGINT_MIN)
        super().__init__(*args, **kwargs)
