"""A district, school, term or aid project named by its id or by its code, in every request.

Answers show codes (`"project": "BOARDING-2026"`), so a client may send them
back: every request body and every list filter that takes one of these
records accepts either form, here, once:

- a JSON number, or a text of digits only (a query string has no numbers),
  is an id, and is passed on as before, so the view's own scope checks and
  messages hold for it;
- any other text is a code, looked up among the records the user can reach
  (the `scope`, a callable of the user giving a queryset). A code nobody in
  scope has answers 400 naming the field, with every other field's errors;
  a code shared by several reachable records (two districts may each have a
  `2026-autumn`) answers 400 asking for the id. A foreign code answers
  exactly like one that does not exist.

A code made only of digits therefore reads as an id: name such a record by
its id. The field gives the view the record's id (or, with `to=None`, the
record itself, or with `to="code"`, its code), so views and services are
unchanged by it.
"""

from contextvars import ContextVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import Filter
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.bounds import BIGINT_MAX

DESCRIPTION = "An id (a number) or a code (a text, e.g. `2026-autumn`)."
SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
        {"type": "string", "minLength": 1},
    ],
    "description": DESCRIPTION,
}

MESSAGES = {
    "invalid": _("Give an id (a whole number) or a code (a text)."),
    "unknown_code": _("No {model} that you can reach has the code “{code}”."),
    "ambiguous_code": _("Several {models} have the code “{code}”; give the id instead."),
    "unknown_id": _("No {model} that you can reach has the id {id}."),
    "min_value": _("Ensure this value is greater than or equal to {min_value}."),
    "max_value": _("Ensure this value is less than or equal to {max_value}."),
}


# The request being answered, for a field whose serializer was built without a
# context (most views build theirs from `request.data` alone). DRF sets the
# token's user on the underlying request once it authenticates, so
# `request.user` read at validation time is the API's user.
_request: ContextVar = ContextVar("bangfu_request", default=None)


class CurrentRequestMiddleware:
    """Keeps the request at hand for the code lookups of this module, and only for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def parse(value) -> int | str:
    """An id (int) or a code (str), or ValueError. Bounds are the caller's to check."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        if text:
            return text
    raise ValueError


def _scoped(scope, user):
    queryset = scope(user) if callable(scope) else scope
    # A selector may prefetch for its own list; a lookup by code needs none of it.
    return queryset.prefetch_related(None)


def resolve_code(queryset, code: str, *, code_field: str = "code") -> list:
    """The ids of the records of `queryset` with this code (at most two: one is the answer)."""
    return list(
        queryset.filter(**{code_field: code}).order_by().values_list("pk", flat=True).distinct()[:2]
    )


class CodeOrIdField(serializers.Field):
    """A related record by id or code (see the module docstring); gives its id by default."""

    default_error_messages = MESSAGES

    def __init__(self, *, scope, model=None, code_field="code", to="pk", **kwargs):
        self.scope, self.code_field, self.to = scope, code_field, to
        self.model = model
        super().__init__(**kwargs)

    def _model(self, queryset):
        return self.model or queryset.model

    def _queryset(self):
        request = self.context.get("request") or _request.get()
        return _scoped(self.scope, getattr(request, "user", None))

    def to_internal_value(self, data):
        try:
            value = parse(data)
        except ValueError:
            self.fail("invalid")
        if isinstance(value, int):
            if value < 1:
                self.fail("min_value", min_value=1)
            if value > BIGINT_MAX:
                self.fail("max_value", max_value=BIGINT_MAX)
            if self.to == "pk":
                return value
            queryset = self._queryset()
            found = queryset.filter(pk=value).first()
            if found is None:
                meta = self._model(queryset)._meta
                self.fail("unknown_id", model=meta.verbose_name, id=value)
            return found if self.to is None else getattr(found, self.to)
        queryset = self._queryset()
        ids = resolve_code(queryset, value, code_field=self.code_field)
        meta = self._model(queryset)._meta
        if not ids:
            self.fail("unknown_code", model=meta.verbose_name, code=value)
        if len(ids) > 1:
            self.fail("ambiguous_code", models=meta.verbose_name_plural, code=value)
        if self.to == "pk":
            return ids[0]
        found = queryset.get(pk=ids[0])
        return found if self.to is None else getattr(found, self.to)

    def to_representation(self, value):
        # A body read back (a school's district) shows the code, as every answer does.
        if self.to != "pk" and hasattr(value, self.code_field):
            return getattr(value, self.code_field)
        return getattr(value, "pk", value)


class CodeOrIdFieldSchema(OpenApiSerializerFieldExtension):
    target_class = CodeOrIdField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string"} if self.target.to != "pk" else {"type": "integer"}
        return dict(SCHEMA)


class CodeOrIdFormField(forms.Field):
    """A query string's id or code; the filter resolves the code."""

    def __init__(self, *, scope=None, user=None, code_field="code", **kwargs):
        self.scope, self.user, self.code_field = scope, user, code_field
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse(value)
        except ValueError:
            raise forms.ValidationError(MESSAGES["invalid"], code="invalid") from None
        if isinstance(parsed, int):
            if parsed > BIGINT_MAX:
                raise forms.ValidationError(MESSAGES["max_value"].format(max_value=BIGINT_MAX))
            return [parsed]
        queryset = _scoped(self.scope, self.user)
        ids = resolve_code(queryset, parsed, code_field=self.code_field)
        if not ids:
            # A code in no reachable record would list nothing, silently: a typo
            # answered by an empty page. It answers 400 naming the parameter.
            message = MESSAGES["unknown_code"].format(
                model=queryset.model._meta.verbose_name, code=parsed
            )
            # django-filter %-formats each message (with no parameters): a "%" in
            # the code would break it.
            raise forms.ValidationError(message.replace("%", "%%"), code="unknown_code")
        # Every reachable record with the code: a platform administrator's
        # `?term=2026-autumn` lists that term of every district.
        return list(queryset.filter(**{self.code_field: parsed}).values_list("pk", flat=True))


@extend_schema_field(SCHEMA)
class CodeOrIdFilter(Filter):
    """A list filter on a district, school, term or project, by id or by code.

    `scope(user)` is where a code is looked up (what the user can reach);
    `field_name` the path to the record from the listed rows (`pairing__term`).
    """

    field_class = CodeOrIdFormField

    def __init__(self, *args, scope, code_field="code", **kwargs):
        self.scope = scope
        kwargs.setdefault("help_text", DESCRIPTION)
        super().__init__(*args, scope=scope, code_field=code_field, **kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            request = getattr(self.parent, "request", None) or _request.get()
            self.extra["user"] = getattr(request, "user", None)
        return super().field

    def filter(self, qs, value):
        if value is None:
            return qs
        lookup = f"{self.field_name}__in" if len(value) > 1 else self.field_name
        qs = qs.filter(**{lookup: value if len(value) > 1 else value[0]})
        return qs.distinct() if self.distinct else qs
