"""The paper a payment leaves: the cash sign-off sheet (签领表) of a batch, as PDF and as its
XLSX twin, and the notice to a family (告知书) of an award.

Both are forms from practice that go to families and to the county's
education accounting centre; their wording is the forms' own, in Chinese,
like the county's roster columns (a form's layout is data, not interface
text). Rendered with WeasyPrint from templates; Chinese needs a CJK font
(Noto CJK).
"""

import io
import logging

import openpyxl
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.money import yuan
from core.spreadsheets import cell_text
from donations.models import (
    Award,
    Disbursement,
    PaymentBatch,
    PaymentMethod,
    PaymentRowStatus,
)
from mentoring.models import GuardianAccount, StudentRecord

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

SIGN_OFF_HEADERS = ["序号", "学生姓名", "年级班级", "金额(元)", "学生签名", "家长签名", "日期"]


def _pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()


def _grade_classes(term_id: int, student_ids) -> dict[int, str]:
    return {
        student_id: f"{grade}年级{class_name}"
        for student_id, grade, class_name in StudentRecord.objects.filter(
            term_id=term_id, student_id__in=student_ids
        ).values_list("student_id", "grade", "class_name")
    }


def sign_off_rows(batch: PaymentBatch) -> list[dict]:
    """The sheet's rows: every row of the batch, a paid one with its signatures and date."""
    rows = list(batch.rows.select_related("award__student", "disbursement"))
    classes = _grade_classes(batch.term_id, [row.award.student_id for row in rows])
    out = []
    for row in rows:
        paid = row.status == PaymentRowStatus.PAID
        out.append(
            {
                "number": row.number,
                "student": row.award.student.name,
                "student_id": row.award.student_id,
                "grade_class": classes.get(row.award.student_id, ""),
                "amount_fen": row.amount_fen,
                "amount": yuan(row.amount_fen),
                "student_signed": "是" if paid else "",
                "guardian_signed": "是" if paid else "",
                "date": row.disbursement.paid_on.isoformat() if paid else "",
            }
        )
    return out


def _sheet_title(batch: PaymentBatch) -> str:
    return f"{batch.project.name}资助金签领表"


def _term_label(term) -> str:
    with translation.override("zh-hans"):
        return str(term.label)


def sign_off_sheet_pdf(batch: PaymentBatch, rows: list[dict]) -> bytes:
    """The printable sheet: title, school, project, term, the rows, the total, and the lines
    for the clerk (经办人) and the checker (审核人)."""
    html = render_to_string(
        "donations/sign_off_sheet.html",
        {
            "title": _sheet_title(batch),
            "school": batch.school.name,
            "project": batch.project.name,
            "term": _term_label(batch.term),
            "batch": batch.pk,
            "headers": SIGN_OFF_HEADERS,
            "rows": rows,
            "count": len(rows),
            "total": yuan(sum(row["amount_fen"] for row in rows)),
        },
    )
    return _pdf(html)


def sign_off_sheet_xlsx(batch: PaymentBatch, rows: list[dict]) -> bytes:
    """The sheet's twin as XLSX: the same columns, for marking the signed rows (是) and
    uploading back (`payment_batch_signed`)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "签领表"
    sheet.append(SIGN_OFF_HEADERS)
    for row in rows:
        sheet.append(
            [
                row["number"],
                cell_text(row["student"]),
                cell_text(row["grade_class"]),
                row["amount"],
                row["student_signed"],
                row["guardian_signed"],
                row["date"],
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _how_paid(award: Award, account: GuardianAccount | None, method: str | None) -> str:
    if method == PaymentMethod.CASH or (method is None and account is None):
        return "现金发放，由学生和家长本人当面签领。"
    if account is None:
        return "转入监护人银行账户。"
    return (
        f"转入监护人{account.holder_name}在{account.bank_name}的账户"
        f"（账号 {account.number_masked}），请注意查收。"
    )


def award_notice_pdf(award: Award) -> bytes:
    """The notice to the family of an award (告知书): project, amount per instalment and whether
    it is paid, how it is paid (the account masked), and the district's complaint line."""
    student = award.student
    account = GuardianAccount.objects.filter(student=student).first()
    payments = {
        d.instalment: d
        for d in Disbursement.objects.filter(award=award, reversal__isnull=True).order_by("pk")
    }
    instalments = [
        {
            "number": planned.number,
            "amount": yuan(planned.amount_fen),
            "state": (
                f"已于{payments[planned.number].paid_on:%Y年%m月%d日}发放"
                if planned.number in payments
                else "待发放"
            ),
        }
        for planned in award.plan.all()
    ]
    methods = [d.method for d in payments.values()]
    district = student.school.district
    phone = district.complaint_phone
    where = f"请拨打举报电话：{phone}" if phone else f"请向{district.name}教育局反映"
    complaint = f"如对资助认定或发放有疑问，或发现截留、代领、冒领等问题，{where}。"
    classes = _grade_classes(award.term_id, [student.pk])
    html = render_to_string(
        "donations/award_notice.html",
        {
            "title": "学生资助告知书",
            "guardian": f"{student.guardian_name}家长" if student.guardian_name else "学生家长",
            "student": student.name,
            "school": student.school.name,
            "grade_class": classes.get(student.pk, ""),
            "project": award.project.name,
            "term": _term_label(award.term),
            "amount": yuan(award.amount_fen),
            "instalments": instalments,
            "how_paid": _how_paid(award, account, methods[-1] if methods else None),
            "complaint": complaint,
            "date": f"{timezone.localdate():%Y年%m月%d日}",
        },
    )
    return _pdf(html)
