"""The demo's payments: a bank payment list out and its result in (one row failed, paid in a
later batch), a cash sign-off sheet (签领表) printed and recorded as signed, and a notice to a
family (告知书). Every file goes to var/payments/.

Run after the term's aid (`workers.demo_donations`), on the awards it left
unpaid; skipped when the district has payment batches already.
"""

import csv
import io
from pathlib import Path

ROOT_PATH = "manage.py demo"


def _folder() -> Path:
    from django.conf import settings

    folder = Path(settings.VAR_DIR) / "payments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _school_with_most_due(project):
    from django.db.models import Count

    from donations.models import AwardStatus

    row = (
        project.awards.filter(status=AwardStatus.AWARDED)
        .values("student__school_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "student__school_id")
        .first()
    )
    return row["student__school_id"] if row else None


def _bank_list(admin, batch, folder: Path, suffix: str) -> Path:
    from donations.services import payment_files
    from donations.services.payment_batches import payment_batch_export
    from mentoring.models import AccessAction
    from mentoring.services.access_log import access_record

    batch, rows = payment_batch_export(batch=batch)
    # The whole numbers leave the system here: the export is logged as the API's is.
    access_record(
        by=admin,
        action=AccessAction.EXPORT,
        kind="paymentbatch",
        student_ids=[row["student_id"] for row in rows],
        path=ROOT_PATH,
        address=None,
        object_id=batch.pk,
    )
    path = folder / f"payment-list-{batch.term.code}-{batch.school.code}-{batch.pk}.{suffix}"
    if suffix == "csv":
        path.write_bytes(payment_files.bank_list_csv(rows, batch.columns))
    else:
        path.write_bytes(payment_files.bank_list_xlsx(rows, batch.columns, title="代发"))
    return path


def _bank_result(batch, folder: Path, failed: dict[int, str], name: str) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["序号", "结果", "失败原因", "流水号"])
    for row in batch.rows.filter(status="due").order_by("number"):
        reason = failed.get(row.number, "")
        result = "失败" if reason else "成功"
        reference = "" if reason else f"ABC{batch.pk:04d}{row.number:05d}"
        writer.writerow([row.number, result, reason, reference])
    path = folder / name
    path.write_bytes(out.getvalue().encode())
    return path


def payments_replay(county, *, say=print) -> dict:
    """Pay the living subsidy's unpaid awards of one school by transfer in two batches, and the
    boarding subsidy's of one school in cash against the signed sheet; say one line a step."""
    import openpyxl
    from django.utils import timezone

    from donations.models import AidProject, Award, PaymentBatch, PaymentMethod
    from donations.services import payment_documents
    from donations.services.payment_batches import (
        payment_batch_create,
        payment_batch_results,
        payment_batch_signed,
    )
    from workers.demo_donations import _guardian_account

    if PaymentBatch.objects.filter(school__district=county.district).exists():
        say("  payments: batches made already")
        return {"batches": PaymentBatch.objects.filter(school__district=county.district).count()}
    admin, term, today = county.accounts["district_admin"], county.term, timezone.localdate()
    folder = _folder()

    # Transfers: the guardians' accounts are recorded, the bank's list goes out.
    living = AidProject.objects.get(district=county.district, code="LIVING-2026")
    school_id = _school_with_most_due(living)
    for award in Award.objects.filter(
        project=living, status="awarded", student__school_id=school_id
    ):
        _guardian_account(admin, award.student)
    first = payment_batch_create(
        by=admin,
        school_id=school_id,
        project_id=living.pk,
        term_id=term.pk,
        method=PaymentMethod.BANK_TRANSFER,
    )
    listed = _bank_list(admin, first, folder, "xlsx")
    _bank_list(admin, first, folder, "csv")
    say(f"  payments: bank list of batch #{first.pk} ({first.rows.count()} rows) → {listed}")
    result = _bank_result(first, folder, {1: "户名与账号不符"}, f"bank-result-{first.pk}.csv")
    outcome = payment_batch_results(
        by=admin, batch_id=first.pk, data=result.read_bytes(), filename=result.name, paid_on=today
    )
    say(f"  payments: bank result {result} → {outcome['paid']} paid, {outcome['failed']} failed")
    later = payment_batch_create(
        by=admin,
        school_id=school_id,
        project_id=living.pk,
        term_id=term.pk,
        method=PaymentMethod.BANK_TRANSFER,
    )
    relisted = _bank_list(admin, later, folder, "xlsx")
    result = _bank_result(later, folder, {}, f"bank-result-{later.pk}.csv")
    again = payment_batch_results(
        by=admin, batch_id=later.pk, data=result.read_bytes(), filename=result.name, paid_on=today
    )
    say(
        f"  payments: the failed row paid in batch #{later.pk}: list {relisted}, "
        f"result {result} → {again['paid']} paid"
    )

    # Cash: the sign-off sheet printed, signed by every family, recorded from its twin.
    boarding = AidProject.objects.get(district=county.district, code="BOARDING-2026")
    cash = payment_batch_create(
        by=admin,
        school_id=_school_with_most_due(boarding),
        project_id=boarding.pk,
        term_id=term.pk,
        method=PaymentMethod.CASH,
    )
    rows = payment_documents.sign_off_rows(cash)
    sheet = folder / f"sign-off-{term.code}-{cash.school.code}-{cash.pk}.pdf"
    sheet.write_bytes(payment_documents.sign_off_sheet_pdf(cash, rows))
    workbook = openpyxl.load_workbook(io.BytesIO(payment_documents.sign_off_sheet_xlsx(cash, rows)))
    for line in workbook.active.iter_rows(min_row=2):
        line[4].value = line[5].value = "是"
        line[6].value = today.isoformat()
    signed = folder / f"sign-off-{term.code}-{cash.school.code}-{cash.pk}-signed.xlsx"
    workbook.save(signed)
    outcome = payment_batch_signed(
        by=admin,
        batch_id=cash.pk,
        signed_on=today,
        data=signed.read_bytes(),
        filename=signed.name,
    )
    say(f"  payments: sign-off sheet {sheet}, signed {signed} → {outcome['paid']} paid in cash")

    award = first.rows.order_by("number").first().award
    notice = folder / f"notice-award-{award.pk}.pdf"
    notice.write_bytes(payment_documents.award_notice_pdf(award))
    say(f"  payments: notice to the family of award #{award.pk} → {notice}")
    return {"batches": 3}
