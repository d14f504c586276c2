"""Writing many rows at once, with their audit history, fast.

Django's bulk_create spends most of its time preparing each value in Python;
for the hundred thousand rows of a county's matching run that is most of
the job. On PostgreSQL rows go in with COPY instead; elsewhere (the embedded
SQLite default, school-sized runs) bulk_create stays. History rows are
written by the database from the rows themselves (INSERT ... SELECT), one
statement whatever the count, so the audit trail stays complete.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone


def insert(model: type[Model], names: list[str], rows: list[tuple], *, batch_size=2000) -> None:
    """Insert new rows given as tuples of the fields `names` (attribute names).

    Fields not named take their defaults (auto_now fields: now). No objects
    are returned: read the rows back.
    """
    if not rows:
        return
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    defaults = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in names:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults.append((field, timezone.now()))
        else:
            defaults.append((field, field.get_default()))
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=batch_size
        )
        return
    fields += [field for field, _value in defaults]
    extra = tuple(value for _field, value in defaults)
    json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [*row, *extra]
            for i in json_at:
                values[i] = fields[i].get_db_prep_save(values[i], connection)
            copy.write_row(values)


def record_history(queryset: QuerySet, *, history_type: str = "+", user=None) -> None:
    """Add a simple-history row for each row of `queryset`, as it is now, in one statement."""
    model = queryset.model
    history = model.history.model
    own = [f.column for f in model._meta.concrete_fields]
    quote = connection.ops.quote_name
    columns = [*own, "history_date", "history_type", "history_user_id", "history_change_reason"]
    try:
        select, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return  # e.g. pk__in=[]: nothing to record
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"SELECT {', '.join(quote(c) for c in own)}, %s, %s, %s, NULL "
        f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({select})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), history_type, getattr(user, "pk", None), *params])
