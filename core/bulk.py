"""Writing many rows at once, with their audit history, fast.

Django's bulk_create spends most of its time preparing each value in Python;
for the hundred thousand rows of a county's matching run that is most of
the job. On PostgreSQL rows go in with COPY instead, as text the module
formats itself (a value repeated down a column is formatted once); their
primary keys are taken from the table's sequence beforehand, so that the
rows that refer to them (history, proposals) can follow without reading
anything back. Elsewhere (the embedded SQLite default) one parametrised
INSERT goes with executemany, each value prepared by its field. History
rows are written either with the new rows (`insert(..., history=True)`) or
by the database from the rows as they are now (`record_history`, INSERT ...
SELECT), one statement whatever the count, so the audit trail stays complete.
"""

import datetime
import json
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery
from django.utils import timezone

COPY_CHUNK = 5000  # rows per write to the COPY stream


def array_literal(values) -> str:
    """Whole numbers, dates, texts or None as one PostgreSQL array literal (cast it in the SQL:
    `%(ids)s::bigint[]`).

    Django's psycopg cursor quotes parameters on the client, a list element by
    element in Python: a tenth of a second per list of a county's 20,000
    pairings. One string is quoted at once.
    """
    values = list(values)
    # Ids and counts, the common case (a county's run sends 360,000 of them), joined at
    # once; a bool is an int too, but not a whole number PostgreSQL reads as one.
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"

    def element(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, int | datetime.date) and not isinstance(value, bool):
            return str(value)
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(map(element, values)) + "}"


def insert(
    model: type[Model],
    names: list[str],
    rows: list[tuple],
    *,
    batch_size=2000,
    history: bool = False,
    user=None,
    reason: str | None = None,
) -> list[int]:
    """Insert new rows given as tuples of the fields `names` (attribute names).

    Fields not named take their defaults (auto_now fields: now, the same for
    every row). Returns the new rows' primary keys, in the order of `rows`.
    With `history`, each new row also gets its simple-history row ("+",
    by `user`, with the change reason `reason`) holding exactly the values
    written. A row the database refuses (a duplicate key, a failed check)
    raises Django's `IntegrityError` on either database, COPY included.
    """
    if not rows:
        return []
    now = timezone.now()
    defaults = _defaults(model, names, now)
    pk = model._meta.pk.attname
    names = [pk, *names, *(name for name, _value in defaults)]
    extra = tuple(value for _name, value in defaults)
    if connection.vendor == "postgresql":
        ids = _reserve_ids(model, len(rows))
        columns = [ids, *map(list, zip(*rows, strict=True))]
        columns += [[value] * len(rows) for value in extra]
        _copy(model, names, columns)
    else:
        columns = [[], *map(list, zip(*rows, strict=True))]
        columns += [[value] * len(rows) for value in extra]
        ids = columns[0] = _execute_many(model, names, columns, keyed=True)
    if history:
        n = len(ids)
        history_names = [
            *names,
            "history_date",
            "history_type",
            "history_user_id",
            "history_change_reason",
        ]
        columns += [[now] * n, ["+"] * n, [getattr(user, "pk", None)] * n, [reason] * n]
        history_model = model.history.model
        if connection.vendor == "postgresql":
            _copy(history_model, history_names, columns)
        else:
            _execute_many(history_model, history_names, columns)
    return ids


def _execute_many(
    model: type[Model], names: list[str], columns: list[list], *, keyed: bool = False
) -> list[int]:
    """INSERT rows, given column by column, with one parametrised statement and executemany
    (elsewhere than PostgreSQL). With `keyed`, the first name is the primary key, its column
    is ignored, and the new keys are returned in row order.

    Each value is prepared by its field as bulk_create prepares it, but without building a
    model instance or compiling SQL per batch, which was most of bulk_create's time; a
    column holding the same object throughout is prepared once (the same object, not an equal
    one: 1, 1.0 and True are equal, and so are {"x": 1} and {"x": True}, yet a JSON column
    stores each as written). With `keyed`, the first row goes in alone and takes its key from
    the database: on SQLite that write holds the database's write lock until the transaction
    ends, so the keys after it are free; the statements run in one transaction for that.
    """
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    if keyed:
        pk_field, fields, columns = fields[0], fields[1:], columns[1:]
    prepared = []
    for field, column in zip(fields, columns, strict=True):
        first = column[0]
        if all(value is first for value in column):
            prepared.append([field.get_db_prep_save(first, connection)] * len(column))
        elif _prepared_as_they_are(field, column, connection):
            prepared.append(column)
        else:
            prepared.append([field.get_db_prep_save(value, connection) for value in column])
    rows = list(zip(*prepared, strict=True))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if not keyed:
            cursor.executemany(_insert_statement(model, fields), rows)
            return []
        cursor.execute(_insert_statement(model, fields), rows[0])
        first = cursor.lastrowid
        ids = list(range(first, first + len(rows)))
        cursor.executemany(
            _insert_statement(model, [pk_field, *fields]),
            [(key, *row) for key, row in zip(ids[1:], rows[1:], strict=True)],
        )
    return ids


# Fields whose preparation hands back a value of this type unchanged on SQLite
# (Django's CharField and TextField return a str as it is; an integer field
# returns int(value), and SQLite's operations pass an integer through).
_UNCHANGED = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def _prepared_as_they_are(field, column: list, database) -> bool:
    """Whether `field` would prepare every value of `column` into itself for `database`, a
    SQLite connection (texts and whole numbers of Django's own plain fields, None), so that
    the column goes in as it is."""
    if type(field) is models.ForeignKey:
        field = field.target_field
    kind = _UNCHANGED.get(type(field))
    if kind is None or database.vendor != "sqlite":
        return False
    return all(type(value) is kind or value is None for value in column)


def _insert_statement(model: type[Model], fields: list) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    # Only names from the model's own metadata go into the statement; every value is a
    # parameter.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )


def _defaults(model: type[Model], names, now) -> list[tuple[str, object]]:
    """(attribute name, value) of each field not in `names`: auto_now fields `now`."""
    defaults = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in names:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults.append((field.attname, now))
        else:
            defaults.append((field.attname, field.get_default()))
    return defaults


def insert_select(model: type[Model], given: dict, constants: dict, *, now) -> tuple[str, dict]:
    """`INSERT INTO <table> (<every column>) SELECT <values>` for an INSERT ... SELECT.

    `given` maps attribute names to SQL expressions over the caller's FROM
    (appended by the caller); `constants` maps attribute names to values, the
    same for every row; every other field takes its default, as in `insert`.
    Returns the SQL and its named parameters (PostgreSQL).
    """
    quote = connection.ops.quote_name
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    values = dict(constants)
    values.update(_defaults(model, [*given, *constants], now))
    columns, exprs, params = [], [], {}
    for name, expr in given.items():
        columns.append(quote(by_name[name].column))
        exprs.append(expr)
    for name, value in values.items():
        field = by_name[name]
        key = f"{model._meta.db_table}__{name}"
        columns.append(quote(field.column))
        exprs.append(f"%({key})s::{field.db_type(connection)}")
        params[key] = field.get_db_prep_save(value, connection)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)}"
    )
    return sql, params


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
        )
        (sequence,) = cursor.fetchone()
        # The name resolved once: nextval(pg_get_serial_sequence(...)) would resolve it per row.
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value, *, is_json: bool, encoder) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if is_json:
        value = json.dumps(value, cls=encoder)
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, int | Decimal):
        return str(value)
    elif isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            raise ValueError("naive datetime")
        return value.isoformat()
    elif isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _copy_column(values: list, *, is_json: bool, encoder) -> list[str]:
    """A column's values in COPY's text format: `_copy_text` of each, in fewer calls."""
    first = values[0]
    if all(v is first for v in values):
        return [_copy_text(first, is_json=is_json, encoder=encoder)] * len(values)
    if not is_json and all(type(v) is int for v in values):
        return list(map(str, values))
    if not is_json and all(type(v) is str or v is None for v in values):
        # Texts (a roster's names and addresses), without a call each.
        return ["\\N" if v is None else v.translate(_ESCAPES) for v in values]
    # The same object down a column (the same reasons, date or text) is formatted once.
    seen: dict[int, str] = {}
    text = []
    for value in values:
        found = seen.get(id(value))
        if found is None:
            found = seen[id(value)] = _copy_text(value, is_json=is_json, encoder=encoder)
        text.append(found)
    return text


def _copy(model: type[Model], names: list[str], columns: list[list]) -> None:
    """COPY rows, given column by column, into the model's table."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    texts = []
    for name, values in zip(names, columns, strict=True):
        field = by_name[name]
        is_json = field.get_internal_type() == "JSONField"
        encoder = getattr(field, "encoder", None)
        texts.append(_copy_column(values, is_json=is_json, encoder=encoder))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(quote(by_name[n].column) for n in names)}) FROM STDIN"
    lines = ["\t".join(values) for values in zip(*texts, strict=True)]
    # COPY goes through the driver's own cursor, past Django's wrapper, which
    # is what turns the driver's errors into Django's: wrapped here, a
    # duplicate key is django.db.IntegrityError, as from bulk_create.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for start in range(0, len(lines), COPY_CHUNK):
            copy.write("".join(f"{line}\n" for line in lines[start : start + COPY_CHUNK]))


def _keys(queryset: QuerySet) -> QuerySet:
    """The rows' primary keys as a subquery, without the model's default ordering (which
    would join and sort every row for nothing)."""
    return queryset.order_by().values("pk")


def lock_rows(queryset: QuerySet) -> None:
    """Lock every row of `queryset` (FOR UPDATE) until the transaction ends, reading none."""
    try:
        select, params = _keys(queryset.select_for_update()).query.sql_with_params()
    except EmptyResultSet:
        return
    with connection.cursor() as cursor:
        # The subquery is Django's own SQL for `queryset`; its values are parameters.
        cursor.execute(f"SELECT count(*) FROM ({select}) AS locked", params)  # noqa: S608  # nosec B608


def record_history(queryset: QuerySet, *, history_type: str = "+", user=None) -> None:
    """Add a simple-history row for each row of `queryset`, as it is now, in one statement."""
    model = queryset.model
    history = model.history.model
    own = [f.column for f in model._meta.concrete_fields]
    quote = connection.ops.quote_name
    columns = [*own, "history_date", "history_type", "history_user_id", "history_change_reason"]
    try:
        select, params = _keys(queryset).query.sql_with_params()
    except EmptyResultSet:
        return  # e.g. pk__in=[]: nothing to record
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608  # nosec B608
        f"SELECT {', '.join(quote(c) for c in own)}, %s, %s, %s, NULL "
        f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({select})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), history_type, getattr(user, "pk", None), *params])


def update_with_history(queryset: QuerySet, values: dict, *, user=None) -> int:
    """Set `values` (field name: a constant or an expression such as `F` or `Greatest`) on
    every row of `queryset` and add each changed row's "~" history row, as it is after the
    change; returns the count.

    On PostgreSQL one statement does both: Django's own UPDATE of the queryset
    (its WHERE as the queryset has it, so the rows are found in one pass, not
    once for their keys and again to change them), RETURNING the rows into the
    history's INSERT. Elsewhere the rows' keys are read first, then updated
    and recorded by key.
    """
    model = queryset.model
    if connection.vendor != "postgresql":
        keys = list(queryset.values_list("pk", flat=True))
        model.objects.filter(pk__in=keys).update(**values)
        record_history(model.objects.filter(pk__in=keys), history_type="~", user=user)
        return len(keys)
    query = queryset.order_by().query.chain(UpdateQuery)
    query.add_update_values(values)
    try:
        update, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return 0
    quote = connection.ops.quote_name
    own = [quote(f.column) for f in model._meta.concrete_fields]
    history = quote(model.history.model._meta.db_table)
    extra = ["history_date", "history_type", "history_user_id", "history_change_reason"]
    # The UPDATE is Django's SQL for the queryset; every other name comes from the
    # models, and the values are parameters.
    sql = (
        f"WITH changed AS ({update} RETURNING {', '.join(own)}) "  # noqa: S608  # nosec B608
        f"INSERT INTO {history} ({', '.join([*own, *map(quote, extra)])}) "
        f"SELECT {', '.join(own)}, %s, '~', %s, NULL FROM changed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, timezone.now(), getattr(user, "pk", None)])
        return cursor.rowcount


def delete_with_history(
    queryset: QuerySet, *, user=None, dependents: list[tuple[type[Model], str]] = ()
) -> int:
    """Delete every row of `queryset` with its "-" history row (as it was) and the rows of
    `dependents` (model, column naming the deleted row) that point at it; returns the count.

    Django's delete() goes one object at a time (the history signal). On
    PostgreSQL one statement does it all, finding the rows once; its foreign
    keys are checked at commit, so the order inside the statement does not
    matter. Elsewhere the keys are read first and each table is written by key.
    """
    model = queryset.model
    if connection.vendor != "postgresql":
        keys = list(queryset.values_list("pk", flat=True))
        rows = model.objects.filter(pk__in=keys)
        record_history(rows, history_type="-", user=user)
        for dependent, column in dependents:
            dependent.objects.filter(**{f"{column}__in": keys}).delete()
        rows._raw_delete(rows.db)
        return len(keys)
    statement = delete_with_history_statement(queryset, user=user, dependents=dependents)
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.fetchone()[0]


def delete_with_history_statement(
    queryset: QuerySet, *, user=None, dependents: list[tuple[type[Model], str]] = ()
) -> tuple[str, list] | None:
    """`delete_with_history`'s one statement and its parameters (PostgreSQL), for a caller
    that sends it itself (in pipeline mode, without waiting); None when nothing matches.
    It answers one row, the count deleted.
    """
    model = queryset.model
    try:
        select, params = _keys(queryset).query.sql_with_params()
    except EmptyResultSet:
        return None
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    own = [quote(f.column) for f in model._meta.concrete_fields]
    history = quote(model.history.model._meta.db_table)
    extra = ["history_date", "history_type", "history_user_id", "history_change_reason"]
    parts = [
        f"gone AS (DELETE FROM {quote(model._meta.db_table)} WHERE {pk} IN ({select}) "  # noqa: S608  # nosec B608
        f"RETURNING {', '.join(own)})",
        f"recorded AS (INSERT INTO {history} ({', '.join([*own, *map(quote, extra)])}) "  # noqa: S608  # nosec B608
        f"SELECT {', '.join(own)}, %s, '-', %s, NULL FROM gone)",
    ]
    for number, (dependent, column) in enumerate(dependents):
        parts.append(
            f"dependent{number} AS (DELETE FROM {quote(dependent._meta.db_table)} "  # noqa: S608  # nosec B608
            f"WHERE {quote(column)} IN (SELECT {pk} FROM gone))"
        )
    # Every name in the statement comes from the models; the values are parameters.
    sql = f"WITH {', '.join(parts)} SELECT count(*) FROM gone"  # noqa: S608  # nosec B608
    return sql, [*params, timezone.now(), getattr(user, "pk", None)]
