"""Base classes for every serializer that reads a request body (and for query strings).

Two rules hold for every request body of the API, once, here:

- **A field the request may not set is refused, not ignored.** A key that is
  not a writable field of the serializer (unknown, read-only, or writable
  only by another role's serializer) answers 400 naming it. Silently
  dropping it would let a client believe it changed something it did not.
  The refusal comes in the same answer as every other field error, so a
  client sees all its mistakes at once. Nested serializers built on these
  classes refuse their own unknown keys, e.g. `instalments[2].foo`.
- **Every integer is bounded by what the database holds.** An integer field
  without a `max_value` (or `min_value`) gets the bounds of a 64-bit column,
  so a larger id answers 400 naming the field instead of reaching the
  database, and the OpenAPI schema states `maximum` for every integer.
  A field with a tighter bound of its own (minutes, grades) keeps it.

`StrictSerializer` / `StrictModelSerializer` are for request bodies;
`QuerySerializer` only bounds integers, since a query string carries other
parameters too (`page`, `format`, filters). `ReadsFieldsDirectly` is for
answers: the same answer as DRF's, read faster for long lists.
"""

from collections.abc import Mapping

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import is_trivial_string_variation
from rest_framework import serializers
from rest_framework.fields import Field, SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.utils.formatting import lazy_format

from core.bounds import BIGINT_MAX, BIGINT_MIN
from core.jobs import JobKind, JobStatus
from core.money import fen, yuan_amount

# Django's form posts (the browsable API's HTML forms) carry the CSRF token as a
# field; it is transport, not data.
TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken"})


def bound_integers(field: serializers.Field) -> None:
    """Give an integer field (or a list or dict of them) the bounds of a bigint column."""
    if isinstance(field, serializers.IntegerField):
        if field.max_value is None:
            field.max_value = BIGINT_MAX
            message = lazy_format(field.error_messages["max_value"], max_value=BIGINT_MAX)
            field.validators.append(MaxValueValidator(BIGINT_MAX, message=message))
        if field.min_value is None:
            field.min_value = BIGINT_MIN
            message = lazy_format(field.error_messages["min_value"], min_value=BIGINT_MIN)
            field.validators.append(MinValueValidator(BIGINT_MIN, message=message))
    elif isinstance(field, serializers.ListField | serializers.DictField):
        bound_integers(field.child)


class BoundedIntegers:
    """Every integer field of the serializer is bounded (see the module docstring)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            bound_integers(field)
        return fields


class RefusesUnknownFields(BoundedIntegers):
    """A key that is not a writable field answers 400 naming it, with the other errors.

    `refused_messages` maps a field name to a message that says more than the
    default, e.g. why a term cannot move to another district.
    """

    refused_messages: dict = {}
    default_refused_message = _("This field cannot be changed here.")

    def refused_fields(self, data) -> dict[str, list]:
        if not isinstance(data, Mapping):
            return {}
        writable = {field.field_name for field in self._writable_fields}
        return {
            name: [self.refused_messages.get(name, self.default_refused_message)]
            for name in sorted(str(key) for key in data)
            if name not in writable and name not in TRANSPORT_FIELDS
        }

    def to_internal_value(self, data):
        refused = self.refused_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **refused}) from None
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


class StrictSerializer(RefusesUnknownFields, serializers.Serializer):
    """A request body: unknown or read-only keys refused, integers bounded."""


class StrictModelSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    """A request body read into a model's fields: read-only keys refused, integers bounded."""


class QuerySerializer(BoundedIntegers, serializers.Serializer):
    """Query-string parameters: integers bounded; other parameters are not its business."""


class NoBody(StrictSerializer):
    """The body of an action that takes none: any field in it is refused.

    `POST notifications/{id}/read/` with `{"read_at": ...}` would otherwise be
    answered 200 as if the time had been set.
    """


# A serializer of model instances that reads each plain field as one attribute.
# The answer is DRF's own, field by field. DRF reads every field of every row
# through its generic path (is the row a mapping? is the value a method to
# call?); read here, a page of 50 students serialises about 15 % faster
# (bench/README.md, `api.py`). The fields whose source is one attribute read by
# DRF's default `get_attribute` are listed once per serializer and read with
# `getattr`; a value that is callable or missing, and every other field
# (related, method, `source="*"`), go DRF's own way. No docstring: it would
# become the description of every schema component built on it.
class ReadsFieldsDirectly:
    def _fields_to_read(self) -> list[tuple]:
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            plan = self.__dict__["_read_plan"] = [
                (
                    field,
                    field.source_attrs[0]
                    if type(field).get_attribute is Field.get_attribute
                    and len(field.source_attrs) == 1
                    else None,
                )
                for field in self._readable_fields
            ]
        return plan

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        answer = {}
        for field, attribute in self._fields_to_read():
            value = _UNREAD if attribute is None else getattr(instance, attribute, _UNREAD)
            if value is _UNREAD or callable(value):
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
            # As DRF: None is not represented, nor a related object's missing key.
            present = value.pk if isinstance(value, PKOnlyObject) else value
            answer[field.field_name] = None if present is None else field.to_representation(value)
        return answer


_UNREAD = object()


def valid_fields(serializer: serializers.Serializer) -> dict:
    """After `is_valid()` failed: the values of the fields that passed on their own.

    DRF keeps no value when any field fails, so the domain's checks of the
    other fields (is this pairing the user's? is this date inside the term?)
    could not run, and the user would learn of those errors one round trip
    later. A view passes these values to the service's checks, each field
    under its own name; a field that failed, or was left out without a
    default, is absent.
    """
    data = getattr(serializer, "initial_data", None)
    if not isinstance(data, Mapping):
        return {}
    values = {}
    for field in serializer._writable_fields:
        if field.field_name in serializer.errors:
            continue
        try:
            values[field.field_name] = field.run_validation(field.get_value(data))
        except (serializers.ValidationError, SkipField):
            continue
    return values


class YuanField(serializers.DecimalField):
    """An amount of money: yuan with two places at the API, integer fen inside.

    It reads a model's fen and shows yuan; it takes yuan and gives the view
    fen, after the DecimalField's own checks (digits, places, limits in yuan).
    """

    def __init__(self, *, max_digits=14, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)

    def to_representation(self, value):
        return super().to_representation(yuan_amount(value))

    def run_validation(self, data=empty):
        value = super().run_validation(data)
        return None if value is None else fen(value)


class RelatedSlugField(serializers.CharField):
    """A related record's slug (a school's code, a user's username), read-only; null without one.

    `source` names the relation and the slug (`"school.code"`). The schema
    describes it as DRF's SlugRelatedField on a model serializer does, by the
    slug's model field (`slug_label`, `slug_help_text`), without the model.
    """

    def __init__(self, *, slug_label, slug_help_text="", **kwargs):
        self.slug_label, self.slug_help_text = slug_label, slug_help_text
        super().__init__(read_only=True, allow_null=True, **kwargs)


class RelatedSlugFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of a RelatedSlugField: a string, with the title and description its model
    field would give (a title only when it is not the field's name, as drf-spectacular does)."""

    target_class = RelatedSlugField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        label = capfirst(str(field.slug_label))
        schema = {"type": "string"}
        if not is_trivial_string_variation(label, field.source.rsplit(".", 1)[-1]):
            schema["title"] = label
        if field.slug_help_text:
            schema["description"] = str(field.slug_help_text)
        return schema


# The username as Django's user defines it, which the project's user keeps: its
# label and help text are Django's, translated in Django's own catalogue.
USERNAME = AbstractUser._meta.get_field("username")


# A background job as every answer shows it: the jobs endpoint, and the records
# that nest their job (a match run, a report), so that the API has one Job. Read-only,
# and built on no model: the domain apps that nest a job never import the app that
# runs jobs. Labels and help texts are those of the job's model fields (and of its
# school's code and its starter's username), as the schema showed them. No docstring:
# it would become the schema component's description.
class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=JobKind.choices, read_only=True, label=_("kind"))
    status = serializers.ChoiceField(choices=JobStatus.choices, read_only=True, label=_("status"))
    progress = serializers.IntegerField(read_only=True, label=_("progress"))
    parameters = serializers.JSONField(read_only=True, label=_("parameters"))
    result = serializers.JSONField(read_only=True, allow_null=True, label=_("result"))
    error = serializers.CharField(read_only=True, label=_("error"))
    attempts = serializers.IntegerField(read_only=True, label=_("attempts"))
    worker = serializers.CharField(read_only=True, label=_("worker"))
    # Null for a job of no one school, and for a job the system started (beat).
    school = RelatedSlugField(source="school.code", slug_label=_("code"))
    started_by = RelatedSlugField(
        source="started_by.username",
        slug_label=USERNAME.verbose_name,
        slug_help_text=USERNAME.help_text,
    )
    created_at = serializers.DateTimeField(read_only=True, label=_("created at"))
    started_at = serializers.DateTimeField(read_only=True, allow_null=True, label=_("started at"))
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True, label=_("finished at"))
