"""The access log of students' records: who read or exported which students, when, from where.

Every path that serves named students' records calls `access_record` (or
`access_record_request` with the request at hand): the API's lists and
details (`mentoring.apis.access_log.RecordsStudentAccess`), the report's
details and exports, the mentor's page, and the Django admin
(`mentoring.admin_access.RecordsStudentAccessAdmin`). Reads are recorded,
not the answers to writes: who wrote what is in the audit history
(simple_history) already.

An entry holds ids only (user, students, the record's kind and id), the
path without its query string (a search such as `?search=<a name>` must not
land in the log) and the client address. An entry and its students are
written in one statement on PostgreSQL (two on SQLite) whatever the number
of students, and the database refuses to change or delete either afterwards.

If the entry cannot be written, the error propagates and the request fails:
a record is not served unlogged.
"""

import json
from collections.abc import Iterable

from django.db import connection, transaction

from core.http import client_ip
from mentoring.models import AccessLogEntry, AccessLogStudent, User

PATH_LENGTH = AccessLogEntry._meta.get_field("path").max_length
# Every column of an entry but its id, read off the model: a field added later
# is written on PostgreSQL as `save` writes it on SQLite.
ENTRY_FIELDS = [
    field.name for field in AccessLogEntry._meta.concrete_fields if not field.primary_key
]


def _record_postgresql(entry: AccessLogEntry, student_ids: list[int]) -> None:
    """The entry and its students in one statement: one round trip, atomic without a transaction.

    A list page is recorded on every request; written as the entry's INSERT and
    its students' INSERT inside a transaction it took four round trips to the
    database (begin, two inserts, commit), each one waited for by the request.
    """
    quote = connection.ops.quote_name
    # Each value prepared by its model field, as the ORM's own INSERT would.
    fields = [AccessLogEntry._meta.get_field(name) for name in ENTRY_FIELDS]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    params = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    # Only quoted names are formatted in; every value is a parameter.
    sql = (
        f"WITH entry AS (INSERT INTO {quote(AccessLogEntry._meta.db_table)} "  # noqa: S608  # nosec B608
        f"({columns}) VALUES ({values}) RETURNING id), "
        f"served AS (INSERT INTO {quote(AccessLogStudent._meta.db_table)} (entry_id, student_id) "
        "SELECT entry.id, unnest(%s::bigint[]) FROM entry) "
        "SELECT id FROM entry"
    )
    params.append(student_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        entry.pk = cursor.fetchone()[0]
    entry._state.adding, entry._state.db = False, connection.alias


def _record_sqlite(entry: AccessLogEntry, student_ids: list[int]) -> None:
    """The entry, then its students in one INSERT however many (a page holds up to 1,000)."""
    table = connection.ops.quote_name(AccessLogStudent._meta.db_table)
    # Only the quoted table name is formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (entry_id, student_id) "  # noqa: S608  # nosec B608
        "SELECT %s, CAST(value AS INTEGER) FROM json_each(%s)"
    )
    with transaction.atomic():
        entry.save(force_insert=True)
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk, json.dumps(student_ids)])


def access_record(
    *,
    by: User,
    action: str,
    kind: str,
    student_ids: Iterable[int],
    path: str,
    address: str | None,
    object_id: int | None = None,
) -> AccessLogEntry | None:
    """Record that `by` read (`action`) the records of `student_ids`; None when there were none.

    `kind` is the model name of what was served (`student`, `pairing`, …)
    and `object_id` the record of a detail; `path` is cut at the query string.
    The entry and its students are written together or not at all.
    """
    ids = sorted({int(pk) for pk in student_ids if pk is not None})
    if not ids or not (by and by.is_authenticated):
        return None
    entry = AccessLogEntry(
        user=by,
        action=action,
        object_kind=kind,
        object_id=object_id,
        path=path.split("?", 1)[0][:PATH_LENGTH],
        address=address,
    )
    if connection.vendor == "postgresql":
        _record_postgresql(entry, ids)
    else:
        _record_sqlite(entry, ids)
    return entry


def access_record_request(
    request,
    *,
    action: str,
    kind: str,
    student_ids: Iterable[int],
    object_id: int | None = None,
) -> AccessLogEntry | None:
    """`access_record` for the user, path and address of `request`."""
    return access_record(
        by=request.user,
        action=action,
        kind=kind,
        student_ids=student_ids,
        path=request.path,
        address=client_ip(request),
        object_id=object_id,
    )
