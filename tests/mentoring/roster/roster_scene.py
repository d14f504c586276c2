"""Rosters to import: rows, CSV and XLSX files, sending them, and counting what was written."""

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mentoring import idnumbers
from mentoring.models import HardshipIndicator, Student, StudentRecord
from mentoring.services.roster_columns import COLUMNS
from tests.conftest import client_for
from workers.factories import TermFactory

IMPORT_URL = "/api/v1/students/import/"
HEADERS = [column.header for column in COLUMNS]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FIRST_BIRTH = date(2016, 3, 1)


def birth_of(n: int) -> date:
    return FIRST_BIRTH + timedelta(days=n)


def id_for(n: int) -> str:
    """A valid ID number for test student n (n < 1000), its birth date inside."""
    return idnumbers.with_check_digit(f"510000{birth_of(n):%Y%m%d}{n % 1000:03d}")


def roster_row(n: int, school, **overrides) -> dict:
    row = {
        "学校代码": school.code,
        "学籍号": f"G{n:09d}",
        "姓名": f"学生{n}",
        "性别": "男" if n % 2 else "女",
        "出生日期": birth_of(n).isoformat(),
        "身份证号码": id_for(n),
        "学段": "小学",
        "年级": "3",
        "班级": "1班",
        "就读方式": "寄宿",
        "村组(社区)": "红星村3组",
        "监护人": "李秀英",
        "联系电话": f"1380000{n:04d}",
        "家庭人口": "4",
        "家庭人均年收入(元)": "3200.50",
        "是否残疾生": "否",
        "贫困类型": "低保、孤儿",
        "是否学困生": "是",
        "薄弱科目": "数学,英语",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], headers=HEADERS, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(header, "") for header in headers])
    return buffer.getvalue().encode(encoding)


def csv_file(rows, name="roster.csv", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, **kwargs), content_type="text/csv")


def xlsx_bytes(rows: list[dict], headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows, name="roster.xlsx", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows, **kwargs))


def send(client, upload, term, school=None, dry_run=False):
    data = {"file": upload, "term": term.pk, "dry_run": "true" if dry_run else "false"}
    if school is not None:
        data["school"] = school.pk
    return client.post(IMPORT_URL, data, format="multipart", **EN)


def row_counts() -> tuple[int, int, int]:
    return (
        Student.objects.count(),
        StudentRecord.objects.count(),
        HardshipIndicator.objects.count(),
    )


def errors_of(response) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in response.json()["errors"]]


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def admin(admin_a):
    return client_for(admin_a)
