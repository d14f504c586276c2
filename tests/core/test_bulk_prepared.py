"""Bulk inserts skip per-value work only where it would not change the value.

`core.bulk._execute_many` skips Django's per-value preparation for texts and
whole numbers of Django's plain fields. For each such field and any column of
values, the column passed through must be exactly what preparing gives,
value and type; a value of another type (True in an integer column, a lazy
translation in a text column) is prepared as before.
"""

from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.utils import ConnectionHandler
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from core import bulk
from mentoring.models import Pairing, Student

FIELDS = [
    models.CharField(max_length=20),
    models.CharField(max_length=20, null=True),
    models.TextField(blank=True),
    models.IntegerField(),
    models.BigIntegerField(null=True),
    models.SmallIntegerField(),
    models.PositiveIntegerField(),
    models.PositiveSmallIntegerField(),
    models.AutoField(primary_key=True),
    models.BigAutoField(primary_key=True),
    Pairing._meta.get_field("student"),
    Student._meta.get_field("school"),
]
VALUES = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


# A SQLite connection whatever the tests' database (it is never opened: preparing
# these fields asks only its operations), since only SQLite's inserts take the shortcut.
SQLITE = ConnectionHandler(
    {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
)["default"]


POSTGRESQL = ConnectionHandler(
    {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "never_opened"}}
)["default"]


def prepared(field, column):
    return [field.get_db_prep_save(value, SQLITE) for value in column]


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), column=st.lists(VALUES, min_size=1, max_size=8))
def test_a_column_passed_through_is_what_preparing_gives(field, column):
    if not bulk._prepared_as_they_are(field, column, SQLITE):
        return
    expected = prepared(field, column)
    assert [(type(v), v) for v in column] == [(type(v), v) for v in expected]


@pytest.mark.parametrize(
    ("field", "column"),
    [
        (models.IntegerField(), [1, True]),
        (models.IntegerField(), [1, 2.0]),
        (models.CharField(max_length=9), ["a", gettext_lazy("Unknown term.")]),
        (models.CharField(max_length=9), ["a", 1]),
        (models.DateField(), ["2026-09-01", "2026-09-02"]),
        (models.JSONField(), ["a", "b"]),
    ],
)
def test_values_of_another_type_or_field_are_prepared(field, column):
    assert not bulk._prepared_as_they_are(field, column, SQLITE)


def test_texts_and_whole_numbers_of_plain_fields_pass_through():
    assert bulk._prepared_as_they_are(models.CharField(max_length=9), ["a", "", None], SQLITE)
    assert bulk._prepared_as_they_are(Pairing._meta.get_field("student"), [1, 2, None], SQLITE)
    # Only SQLite's: PostgreSQL's preparation wraps integers (psycopg's Int4, Int8).
    assert not bulk._prepared_as_they_are(models.IntegerField(), [1, 2], POSTGRESQL)
    assert not bulk._prepared_as_they_are(models.CharField(max_length=9), ["a", "b"], POSTGRESQL)


class Status(models.TextChoices):
    """A str subclass, as the models' choices are: formatted by _copy_text."""

    PROPOSED = "proposed"


TEXTS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", include_characters="\t\n\r\\"), max_size=8),
)
COPY_VALUES = st.one_of(
    TEXTS, st.integers(), st.booleans(), st.sampled_from([Status.PROPOSED, Decimal("1.50")])
)
# Columns of one kind (texts, whole numbers), as a model's are, and of mixed values.
COLUMNS = st.one_of(
    st.lists(TEXTS, min_size=1, max_size=8),
    st.lists(st.integers(), min_size=1, max_size=8),
    st.lists(COPY_VALUES, min_size=1, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(column=COLUMNS, repeat=st.booleans())
def test_a_copy_column_is_each_value_as_copy_text_formats_it(column, repeat):
    if repeat:
        column = [column[0]] * len(column)
    for is_json in (False, True):
        assert bulk._copy_column(column, is_json=is_json, encoder=DjangoJSONEncoder) == [
            bulk._copy_text(value, is_json=is_json, encoder=DjangoJSONEncoder) for value in column
        ]
