"""Writing a checked roster: students and their term records created or updated, in bulk.

Every row has been checked before this runs (`mentoring.services.roster`);
a dry run counts what would change and writes nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict
from mentoring import idnumbers
from mentoring.models import (
    HardshipIndicator,
    IndicatorSource,
    Student,
    StudentRecord,
    SubjectScore,
    Term,
    User,
)
from mentoring.services.roster_columns import RECORD_FIELDS, STUDENT_FIELDS, RosterRow

HISTORY_CHANGE_REASON = "roster import"
BULK_BATCH_SIZE = 500


@dataclass(frozen=True)
class RosterImportResult:
    """Counts by student row. In a dry run they say what the import would do."""

    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    indicators_added: int


def id_number_hash(number: str) -> str:
    return idnumbers.keyed_hash(number, key=settings.ID_HASH_KEY)


def _fields(present: set[str], mapping: dict[str, list[str]]) -> list[str]:
    return [name for key, names in mapping.items() if key in present for name in names]


def _student_values(row: RosterRow, present: set[str]) -> dict:
    values = {key: row.values[key] for key in STUDENT_FIELDS if key in row.values}
    if "id_number" in present:
        values["id_hash"] = id_number_hash(row.id_number)
        values["id_masked"] = idnumbers.mask(row.id_number)
    return values


def _record_values(row: RosterRow) -> dict:
    values = {key: row.values[key] for key in RECORD_FIELDS if key in row.values}
    if "income" in values:
        values["income_per_capita_fen"] = values.pop("income")
    return values


def _assign(instance, values: dict) -> bool:
    """Set the values on the instance; whether any of them changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def roster_rows_write(
    *,
    rows: list[RosterRow],
    existing: dict,
    present: set[str],
    term: Term,
    by: User | None,
    dry_run: bool,
) -> RosterImportResult:
    school_ids = sorted({row.school.pk for row in rows})
    records = {
        record.student_id: record
        for record in StudentRecord.objects.filter(term=term, student__school_id__in=school_ids)
    }
    recorded_kinds = set(
        HardshipIndicator.objects.filter(
            student__school_id__in=school_ids, source=IndicatorSource.ROSTER
        ).values_list("student_id", "kind")
    )
    scores = {
        (score.record_id, score.subject): score
        for score in SubjectScore.objects.filter(
            record__term=term, record__student__school_id__in=school_ids
        )
    }
    today = timezone.localdate()

    new_students, changed_students = [], []
    # Scores of new records wait for their primary keys, like the indicators.
    new_scores: list[tuple[StudentRecord, str, dict]] = []
    changed_scores: list[SubjectScore] = []
    new_records, changed_records = [], []
    # Indicators of new students wait for their primary keys.
    pending_indicators: list[tuple[Student, str]] = []
    created = updated = unchanged = 0
    for row in rows:
        student_values = _student_values(row, present)
        record_values = _record_values(row)
        student = existing.get((row.school.pk, row.student_number))
        if student is None:
            student = Student(school=row.school, student_number=row.student_number)
            _assign(student, student_values)
            new_students.append(student)
            record = StudentRecord(student=student, term=term, **record_values)
            new_records.append(record)
            new_scores.extend((record, subject, exams) for subject, exams in row.scores.items())
            pending_indicators.extend((student, kind) for kind in row.hardship)
            created += 1
            continue
        changed = _assign(student, student_values)
        if changed:
            changed_students.append(student)
        record = records.get(student.pk)
        if record is None:
            record = StudentRecord(student=student, term=term, **record_values)
            new_records.append(record)
            new_scores.extend((record, subject, exams) for subject, exams in row.scores.items())
            changed = True
        else:
            if _assign(record, record_values):
                changed_records.append(record)
                changed = True
            for subject, exams in row.scores.items():
                score = scores.get((record.pk, subject))
                if score is None:
                    new_scores.append((record, subject, exams))
                    changed = True
                elif _assign(score, exams):
                    changed_scores.append(score)
                    changed = True
        for kind in row.hardship:
            if (student.pk, kind) not in recorded_kinds:
                recorded_kinds.add((student.pk, kind))
                pending_indicators.append((student, kind))
                changed = True
        if changed:
            updated += 1
        else:
            unchanged += 1

    result = RosterImportResult(
        dry_run=dry_run,
        rows=len(rows),
        created=created,
        updated=updated,
        unchanged=unchanged,
        indicators_added=len(pending_indicators),
    )
    if dry_run:
        return result

    history = {"default_user": by, "default_change_reason": HISTORY_CHANGE_REASON}
    try:
        # A savepoint, so that a concurrent import of the same students
        # (a unique constraint hit) is answered 409 instead of breaking the transaction.
        with transaction.atomic():
            _bulk_create(new_students, Student, history)
            _bulk_update(changed_students, Student, _fields(present, STUDENT_FIELDS), history)
            for record in new_records:
                record.student_id = record.student.pk
            _bulk_create(new_records, StudentRecord, history)
            if changed_records:
                now = timezone.now()
                for record in changed_records:
                    record.updated_at = now
                _bulk_update(
                    changed_records,
                    StudentRecord,
                    [*_fields(present, RECORD_FIELDS), "updated_at"],
                    history,
                )
            indicators = [
                HardshipIndicator(
                    student_id=student.pk,
                    kind=kind,
                    source=IndicatorSource.ROSTER,
                    recorded_on=today,
                )
                for student, kind in pending_indicators
            ]
            _bulk_create(indicators, HardshipIndicator, history)
            _bulk_create(
                [
                    SubjectScore(record_id=record.pk, subject=subject, **exams)
                    for record, subject, exams in new_scores
                ],
                SubjectScore,
                history,
            )
            _bulk_update(changed_scores, SubjectScore, ["start_score", "end_score"], history)
    except IntegrityError:
        raise Conflict(
            _("Another import changed these students at the same time; import the file again.")
        ) from None
    return result


def _bulk_create(objects: list, model, history: dict) -> None:
    if objects:
        bulk_create_with_history(objects, model, batch_size=BULK_BATCH_SIZE, **history)


def _bulk_update(objects: list, model, fields: list[str], history: dict) -> None:
    """One parametrised UPDATE sent with executemany per batch, then the history in bulk.

    Django's bulk_update (and simple-history's bulk_update_with_history on top
    of it) builds a CASE expression with one branch per object and field: for
    10,000 changed students that took about 40 s here, against 4 s this way.
    executemany sends the same statement with every row's values in one call
    to the driver (a C loop in sqlite3, a pipeline in psycopg 3). The history
    rows are written exactly as bulk_update_with_history writes them.
    """
    if not objects:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    # Only names from the model's own metadata go into the statement; every
    # value is a parameter.
    statement = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608  # nosec B608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    parameters = [
        [
            column.get_db_prep_save(getattr(instance, column.attname), connection)
            for column in columns
        ]
        + [instance.pk]
        for instance in objects
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(parameters), BULK_BATCH_SIZE):
            cursor.executemany(statement, parameters[start : start + BULK_BATCH_SIZE])
    model.history.bulk_history_create(objects, batch_size=BULK_BATCH_SIZE, update=True, **history)
