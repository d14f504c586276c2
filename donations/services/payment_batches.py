"""Payment batches: the awards due, listed for the bank or for signatures, and each payment
posted once from what came back.

- `payment_batch_create` lists the planned instalments of a school's awards
  of a project and term that are neither paid nor due in another batch. A
  transfer needs the guardian's account on record: the awards without one
  are named in the batch's `left_out`, never silently dropped.
- `payment_batch_bank_rows` opens the account numbers for the bank's list;
  nothing else does.
- `payment_batch_results` takes the bank's result: each paid row posts one
  payment through `disbursement_pay` (so the ledger and the once-per-
  instalment guarantees hold), each failed row keeps the bank's reason and
  leaves the instalment due for a later batch. A row's result is final:
  the same result again changes nothing, a different one is refused, so a
  file imported twice, or files in any order, never pay an instalment twice
  nor undo a payment.
- `payment_batch_signed` posts the cash payments of the rows signed on the
  sign-off sheet (签领表), with both signatures recorded.

Each of these checks all its input first and answers everything wrong in one
`FieldErrors` (400), naming the file's row and column; nothing is written.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, FieldErrors, ValidationErrors, checked
from core.money import yuan
from donations.models import (
    AidProject,
    Award,
    AwardStatus,
    Disbursement,
    PaymentBatch,
    PaymentBatchRow,
    PaymentMethod,
    PaymentRowStatus,
)
from donations.services import payment_files
from donations.services.disbursements import disbursement_pay
from mentoring import bank_accounts
from mentoring.models import GuardianAccount, School, Term, User
from mentoring.selectors.accounts import schools_administered_by

SIGNED_WORDS = {"是", "√", "✓", "✔", "已签", "yes", "y", "1", "x"}


def default_columns(school: School) -> list:
    """The columns of the district's latest batch, or the banks' usual layout."""
    latest = (
        PaymentBatch.objects.filter(school__district_id=school.district_id)
        .exclude(columns=[])
        .order_by("-created_at", "-pk")
        .values_list("columns", flat=True)
        .first()
    )
    return latest or payment_files.DEFAULT_COLUMNS


def payment_batch_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    school_id: int | None,
    project_id: int | None,
    term_id: int | None,
    method: str | None,
    columns=None,
):
    """Add what is wrong to `errors`; answers (school, project, term) as far as found."""
    school = project = term = None
    if school_id is not None:
        school = schools_administered_by(by).filter(pk=school_id).select_related("district").first()
        if school is None:
            errors.add("school", _("Unknown school."))
    # The school's district; with the school refused, any district `by` administers in, so
    # that a project or term nobody knows is named in the same answer.
    districts = (
        [school.district_id]
        if school is not None
        else schools_administered_by(by).values("district_id")
    )
    if project_id is not None:
        project = AidProject.objects.filter(pk=project_id, district_id__in=districts).first()
        if project is None:
            errors.add("project", _("Unknown project."))
    if term_id is not None:
        term = Term.objects.filter(pk=term_id, district_id__in=districts).first()
        if term is None:
            errors.add("term", _("Unknown term."))
    if method is not None and method not in PaymentMethod.values:
        errors.add("method", _("Unknown payment method."))
    if columns is not None:
        payment_files.columns_problems(errors, columns)
    return school, project, term


def _due_instalments(school, project, term):
    """(award, instalment, amount) of each planned instalment neither paid nor due elsewhere."""
    awards = list(
        Award.objects.select_for_update(of=("self",))
        .filter(project=project, term=term, student__school=school, status=AwardStatus.AWARDED)
        .select_related("student")
        .prefetch_related("plan")
        .order_by("student__student_number", "pk")
    )
    taken = set(
        Disbursement.objects.filter(award__in=awards, reversal__isnull=True).values_list(
            "award_id", "instalment"
        )
    )
    taken |= set(
        PaymentBatchRow.objects.filter(award__in=awards, status=PaymentRowStatus.DUE).values_list(
            "award_id", "instalment"
        )
    )
    for award in awards:
        for planned in award.plan.all():
            if (award.pk, planned.number) not in taken:
                yield award, planned.number, planned.amount_fen


@transaction.atomic
def payment_batch_create(
    *,
    by: User,
    school_id: int,
    project_id: int,
    term_id: int,
    method: str,
    columns: list | None = None,
) -> PaymentBatch:
    """A batch of every instalment due of a school's awards of a project in a term.

    The awards are locked, so two batches made at once do not both take an
    instalment (and the database allows one due row per instalment besides).
    A transfer needs the guardian's account on record; awards without one
    are named in `left_out`. Nothing due answers 400 naming those left out.
    """
    errors = ValidationErrors()
    school, project, term = payment_batch_create_problems(
        errors,
        by=by,
        school_id=school_id,
        project_id=project_id,
        term_id=term_id,
        method=method,
        columns=columns,
    )
    errors.raise_if_any()
    due = list(_due_instalments(school, project, term))
    accounts = {
        account.student_id: account
        for account in GuardianAccount.objects.filter(
            student_id__in={award.student_id for award, _n, _a in due}
        )
    }
    rows, left_out = [], []
    for award, number, amount in due:
        account = accounts.get(award.student_id)
        if method == PaymentMethod.BANK_TRANSFER and account is None:
            left_out.append(
                {
                    "award": award.pk,
                    "instalment": number,
                    "student": award.student_id,
                    "student_name": award.student.name,
                    "reason": _("No guardian's account is on record for this student."),
                }
            )
            continue
        transfer = method == PaymentMethod.BANK_TRANSFER
        rows.append(
            PaymentBatchRow(
                number=len(rows) + 1,
                award=award,
                instalment=number,
                amount_fen=amount,
                holder_name=account.holder_name if transfer else "",
                bank_name=account.bank_name if transfer else "",
                number_masked=account.number_masked if transfer else "",
                number_encrypted=account.number_encrypted if transfer else "",
            )
        )
    if not rows:
        message = _("No instalment of this project's awards in this term is due at this school.")
        if left_out:
            message = _(
                "Nothing can be paid by transfer: %(count)s student(s) have no guardian's "
                "account on record: %(names)s."
            ) % {
                "count": len({item["student"] for item in left_out}),
                "names": "、".join(dict.fromkeys(item["student_name"] for item in left_out)),
            }
        raise FieldErrors({"project": [message]}, extra={"left_out": left_out})
    batch = PaymentBatch.objects.create(
        school=school,
        project=project,
        term=term,
        method=method,
        columns=[list(item) for item in columns] if columns else default_columns(school),
        left_out=left_out,
        created_by=by,
    )
    for row in rows:
        row.batch = batch
    PaymentBatchRow.objects.bulk_create(rows)
    return batch


def _note(batch: PaymentBatch, row: PaymentBatchRow) -> str:
    return _("%(project)s %(term)s, instalment %(number)s") % {
        "project": batch.project.name,
        "term": batch.term.label,
        "number": row.instalment,
    }


def payment_batch_bank_rows(batch: PaymentBatch) -> list[dict]:
    """The rows still due, with the whole account numbers: for the bank's list only.

    A transfer batch only (409 otherwise); none due answers 409. Raises
    `bank_accounts.AccountKeyMismatch` when a number does not open, so no list
    is made with a number missing.
    """
    if batch.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(_("Cash is paid against the sign-off sheet, not a bank list."))
    rows = list(
        batch.rows.filter(status=PaymentRowStatus.DUE).select_related("award__student__school")
    )
    if not rows:
        raise Conflict(_("No row of this batch is due any more."))
    keys = settings.GUARDIAN_ACCOUNT_KEYS
    return [
        {
            "row": row.number,
            "holder": row.holder_name,
            "account": bank_accounts.decrypt(row.number_encrypted, keys=keys),
            "bank": row.bank_name,
            "amount": row.amount_fen,
            "note": _note(batch, row),
            "student": row.award.student.name,
            "student_number": row.award.student.student_number,
            "school": row.award.student.school.name,
            "project": batch.project.name,
            "student_id": row.award.student_id,
        }
        for row in rows
    ]


@transaction.atomic
def payment_batch_export(*, batch: PaymentBatch) -> tuple[PaymentBatch, list[dict]]:
    """The batch (its columns as they stand) and its rows for the bank's list; the first
    export is recorded in `exported_at`.

    The batch's row is locked while its columns are read, so a change of the
    mapping at the same moment either comes before this list or is refused.
    """
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    rows = payment_batch_bank_rows(locked)
    if locked.exported_at is None:
        locked.exported_at = timezone.now()
        locked.save(update_fields=["exported_at"])
    return locked, rows


def payment_batch_columns_problems(errors: ValidationErrors, *, columns) -> None:
    """Add what is wrong with a bank list's column mapping (every pair named at once)."""
    payment_files.columns_problems(errors, columns)


@transaction.atomic
def payment_batch_columns_set(*, by: User, batch_id: int, columns: list) -> PaymentBatch:
    """Map the bank list's columns of a transfer batch whose list has not gone out yet.

    Once exported, the bank holds a file in the old columns and its result
    refers to it, so a change answers 409 (make a new batch instead); a cash
    batch has no bank list (409). Every bad pair is named in one `FieldErrors`.
    """
    batch = (
        PaymentBatch.objects.select_for_update()
        .filter(pk=batch_id, school__in=schools_administered_by(by))
        .first()
    )
    if batch is None:
        raise DomainError(_("Unknown payment batch."), field="batch")
    if batch.method != PaymentMethod.BANK_TRANSFER:
        raise Conflict(
            _("Cash is paid against the sign-off sheet, not a bank list."), field="columns"
        )
    if batch.exported_at is not None:
        raise Conflict(
            _(
                "The bank's list of this batch was exported on %(day)s in its columns; "
                "they no longer change."
            )
            % {"day": timezone.localtime(batch.exported_at).date().isoformat()},
            field="columns",
        )
    checked(payment_batch_columns_problems, columns=columns)
    batch.columns = [[name, header.strip()] for name, header in columns]
    batch.save(update_fields=["columns"])
    return batch


def _locked_batch(by: User, batch_id: int, method: str) -> PaymentBatch:
    batch = (
        PaymentBatch.objects.select_for_update()
        .filter(pk=batch_id, school__in=schools_administered_by(by))
        .select_related("project", "term")
        .first()
    )
    if batch is None:
        raise DomainError(_("Unknown payment batch."), field="batch")
    if batch.method != method:
        if method == PaymentMethod.CASH:
            raise Conflict(_("This batch is paid by bank transfer; import the bank's result."))
        raise Conflict(_("This batch is paid in cash; record the signed sheet."))
    return batch


def _post(by: User, batch: PaymentBatch, row: PaymentBatchRow, **payment) -> None:
    disbursement = disbursement_pay(
        by=by,
        award_id=row.award_id,
        method=batch.method,
        instalment=row.instalment,
        amount_fen=row.amount_fen,
        **payment,
    )
    row.status = PaymentRowStatus.PAID
    row.disbursement = disbursement
    row.save(update_fields=["status", "disbursement", "updated_at"])


def _standing(batch: PaymentBatch) -> set[tuple[int, int]]:
    """(award, instalment) of the batch's awards that a standing payment has paid."""
    return set(
        Disbursement.objects.filter(
            award__payment_rows__batch=batch, reversal__isnull=True
        ).values_list("award_id", "instalment")
    )


@transaction.atomic
def payment_batch_results(
    *, by: User, batch_id: int, data: bytes, filename: str, paid_on: datetime.date
) -> dict:
    """Take in the bank's result file; answers how many rows were paid, failed, unchanged.

    The batch is locked, so two imports of one batch queue; the second finds
    the rows' results recorded and changes nothing.
    """
    from mentoring.services.roster_files import table_rows

    batch = _locked_batch(by, batch_id, PaymentMethod.BANK_TRANSFER)
    errors = ValidationErrors()
    if paid_on > timezone.localdate():
        errors.add("paid_on", _("A payment cannot be dated in the future."))
    results = payment_files.result_rows(table_rows(data, filename), errors)
    rows = {row.number: row for row in batch.rows.all()}
    standing = _standing(batch)
    today = timezone.localdate()
    to_pay, to_fail, unchanged = [], [], 0
    for result in results:
        where = f"rows[{result.line}]"
        row = rows.get(result.number)
        if row is None:
            errors.add(
                f"{where}.row", _("This batch has no row %(number)s.") % {"number": result.number}
            )
            continue
        if result.amount_fen is not None and result.amount_fen != row.amount_fen:
            errors.add(
                f"{where}.amount",
                _("Row %(number)s is for %(amount)s yuan.")
                % {"number": row.number, "amount": yuan(row.amount_fen)},
            )
        if result.paid_on is not None and result.paid_on > today:
            errors.add(f"{where}.date", _("A payment cannot be dated in the future."))
        wanted = PaymentRowStatus.PAID if result.paid else PaymentRowStatus.FAILED
        if row.status == wanted:
            unchanged += 1
        elif row.status == PaymentRowStatus.PAID:
            errors.add(
                f"{where}.result",
                _("Row %(number)s was recorded as paid; a payment is undone only by reversing it.")
                % {"number": row.number},
            )
        elif row.status == PaymentRowStatus.FAILED:
            errors.add(
                f"{where}.result",
                _("Row %(number)s was recorded as failed; pay it in a later batch.")
                % {"number": row.number},
            )
        elif result.paid and (row.award_id, row.instalment) in standing:
            errors.add(
                f"{where}.result",
                _("The instalment of row %(number)s has been paid already, outside this row.")
                % {"number": row.number},
            )
        elif result.paid:
            to_pay.append((row, result))
        else:
            to_fail.append((row, result))
    errors.raise_if_any()
    for row, result in to_pay:
        _post(
            by,
            batch,
            row,
            paid_on=result.paid_on or paid_on,
            bank_reference=result.reference or f"PB{batch.pk}-{row.number}",
        )
    for row, result in to_fail:
        row.status = PaymentRowStatus.FAILED
        row.reason = result.reason
        row.save(update_fields=["status", "reason", "updated_at"])
    return {"paid": len(to_pay), "failed": len(to_fail), "unchanged": unchanged}


def signed_rows_from_file(data: bytes, filename: str, errors: ValidationErrors) -> list[int]:
    """The row numbers marked signed by both student and guardian on the sheet's XLSX twin.

    A row with one signature only is an error (cash needs both); a row with
    none stays due.
    """
    from mentoring.services.roster_files import table_rows

    table = iter(table_rows(data, filename))
    header = [str(cell or "").strip() for cell in next(table, ())]
    needed = {"row": "序号", "student": "学生签名", "guardian": "家长签名"}
    index = {}
    for key, title in needed.items():
        if title in header:
            index[key] = header.index(title)
        else:
            errors.add("file", _("The file has no column %(header)s.") % {"header": title})
    if errors.has("file"):
        return []
    signed = []
    for line, values in enumerate(table, start=2):
        cells = {
            k: (str(values[i]).strip() if i < len(values) and values[i] is not None else "")
            for k, i in index.items()
        }
        if not any(cells.values()):
            continue
        try:
            number = int(float(cells["row"]))
        except ValueError:
            errors.add(f"rows[{line}].row", _("Give the row number of the sheet."))
            continue
        marks = [cells[k].lower() in SIGNED_WORDS for k in ("student", "guardian")]
        if all(marks):
            signed.append(number)
        elif any(marks):
            column = "guardian" if marks[0] else "student"
            errors.add(
                f"rows[{line}].{column}",
                _("Cash is paid only against the signatures of student and guardian."),
            )
    return signed


@transaction.atomic
def payment_batch_signed(
    *,
    by: User,
    batch_id: int,
    signed_on: datetime.date,
    rows: list[int] | None = None,
    data: bytes | None = None,
    filename: str = "",
) -> dict:
    """Post the cash payments of the rows signed on the sheet: a list of row numbers, or the
    sheet's XLSX twin with its signature columns marked.

    Rows paid already are left as they are (a sheet recorded twice posts
    nothing twice); rows not signed stay due.
    """
    batch = _locked_batch(by, batch_id, PaymentMethod.CASH)
    errors = ValidationErrors()
    if signed_on > timezone.localdate():
        errors.add("signed_on", _("A payment cannot be dated in the future."))
    if data is not None:
        rows = signed_rows_from_file(data, filename, errors)
        field = "file"
    else:
        field = "rows"
    by_number = {row.number: row for row in batch.rows.all()}
    standing = _standing(batch)
    to_pay, unchanged = [], 0
    for index, number in enumerate(dict.fromkeys(rows or [])):
        row = by_number.get(number)
        where = f"{field}[{index}]" if field == "rows" else "file"
        if row is None:
            errors.add(where, _("This batch has no row %(number)s.") % {"number": number})
        elif row.status == PaymentRowStatus.PAID:
            unchanged += 1
        elif (row.award_id, row.instalment) in standing:
            errors.add(
                where,
                _("The instalment of row %(number)s has been paid already, outside this row.")
                % {"number": number},
            )
        else:
            to_pay.append(row)
    if not rows and not errors:
        errors.add(field, _("Name at least one signed row."))
    errors.raise_if_any()
    for row in to_pay:
        _post(by, batch, row, paid_on=signed_on, signed_by_student=True, signed_by_guardian=True)
    return {"paid": len(to_pay), "failed": 0, "unchanged": unchanged}
