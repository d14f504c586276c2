"""A school's awards of one project and term, ready to be paid in batches, and the bank's files."""

import csv
import datetime
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from donations.models import AidProject, Award, FundSource, LedgerKind
from donations.services.awards import award_create
from donations.services.ledger import fund_account_of, ledger_post
from workers.factories import (
    GuardianAccountFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
)

PAID_ON = datetime.date(2026, 11, 20)


class PaymentsScene:
    """`count` students of `school`, each awarded 200.00 yuan in two instalments of 100.00;
    every student has a guardian's account unless listed in `without_account` (by index)."""

    def __init__(self, *, school, admin, count=3, without_account=(), code="LIVING"):
        self.school, self.admin = school, admin
        self.term = TermFactory(district=school.district)
        self.project = AidProject.objects.create(
            district=school.district,
            code=code,
            name="生活补助",
            source=FundSource.PROVINCIAL,
            purpose=code.lower(),
        )
        ledger_post(
            account_id=fund_account_of(self.project).pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=10_000_000,
            by=None,
        )
        self.students, self.awards, self.accounts = [], [], {}
        for index in range(count):
            student = StudentFactory(school=school, student_number=f"S{code}{index:04d}")
            StudentRecordFactory(student=student, term=self.term, grade=3, class_name="2班")
            if index not in without_account:
                self.accounts[student.pk] = f"62284800000000{index:05d}"
                GuardianAccountFactory(student=student, number=self.accounts[student.pk])
            self.students.append(student)
            self.awards.append(
                award_create(
                    by=admin,
                    project_id=self.project.pk,
                    student_id=student.pk,
                    term_id=self.term.pk,
                    amount_fen=20_000,
                    instalments=[10_000, 10_000],
                )
            )
        # Made before PAID_ON: a payment is never dated before its award (migration 0022).
        Award.objects.filter(pk__in=[award.pk for award in self.awards]).update(
            created_at=timezone.make_aware(datetime.datetime(2026, 11, 2, 9, 0))
        )
        for award in self.awards:
            award.refresh_from_db(fields=["created_at"])

    def body(self, method="bank_transfer", **extra):
        return {
            "school": self.school.pk,
            "project": self.project.pk,
            "term": self.term.pk,
            "method": method,
            **extra,
        }


def result_csv(rows, *, header=("序号", "结果", "失败原因")) -> SimpleUploadedFile:
    """The bank's result as CSV: rows of (number, result word, reason)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("result.csv", out.getvalue().encode(), content_type="text/csv")


def result_xlsx(rows, *, header=("序号", "结果", "失败原因")) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    workbook.active.append(list(header))
    for row in rows:
        workbook.active.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("result.xlsx", out.getvalue())


def xlsx_table(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
