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
written in two statements whatever the number of students, and the
database refuses to change or delete either afterwards.

If the entry cannot be written, the error propagates and the request fails:
a record is not served unlogged.
"""

import json
from collections.abc import Iterable

from django.db import connection, transaction

from core.http import client_ip
from mentoring.models import AccessLogEntry, AccessLogStudent, User

PATH_LENGTH = AccessLogEntry._meta.get_field("path").max_length


def _insert_students(entry_id: int, student_ids: list[int]) -> None:
    """One INSERT for every student of an entry, however many (a page holds up to 1,000)."""
    table = connection.ops.quote_name(AccessLogStudent._meta.db_table)
    if connection.vendor == "postgresql":
        rows = "SELECT %s, unnest(%s::bigint[])"
        params = [entry_id, student_ids]
    else:
        rows = "SELECT %s, CAST(value AS INTEGER) FROM json_each(%s)"
        params = [entry_id, json.dumps(student_ids)]
    # Only the quoted table name is formatted in; every value is a parameter.
    sql = f"INSERT INTO {table} (entry_id, student_id) {rows}"  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
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
    """
    ids = sorted({int(pk) for pk in student_ids if pk is not None})
    if not ids or not (by and by.is_authenticated):
        return None
    entry = AccessLogEntry.objects.create(
        user=by,
        action=action,
        object_kind=kind,
        object_id=object_id,
        path=path.split("?", 1)[0][:PATH_LENGTH],
        address=address,
    )
    _insert_students(entry.pk, ids)
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
