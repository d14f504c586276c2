"""Application codes (open, rotate, close) and the upward roster (名册上报) export."""

import csv
import io

import openpyxl
import pytest
from django.db import connection

from mentoring.models import (
    AccessAction,
    AccessLogEntry,
    ApplicationCode,
    AssessmentStatus,
    HardshipIndicator,
    IndicatorSource,
)
from mentoring.services.upward_roster import COLUMNS
from tests.conftest import client_for
from workers.factories import AssessmentFactory, StudentFactory, StudentRecordFactory

pytestmark = pytest.mark.django_db

# A list page of codes and an export, whatever their length.
CODE_LIST_QUERIES = 3
# (PostgreSQL writes the access log in one statement, SQLite in four.)
EXPORT_QUERIES = 9 if connection.vendor == "sqlite" else 6

CODES = "/api/v1/application-codes/"
ROSTER = "/api/v1/rosters/upward/"


# Codes ------------------------------------------------------------------------------


def test_an_administrator_opens_a_code_with_its_link(admin_a, school_a, term):
    answer = client_for(admin_a).post(
        CODES, {"school": school_a.pk, "term": term.pk}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert len(body["code"]) == 8 and body["is_open"]
    assert body["link"].endswith(f"/apply/{body['code']}/")


def test_opening_again_rotates_and_closing_closes(admin_a, school_a, term):
    client = client_for(admin_a)
    first = client.post(CODES, {"school": school_a.pk, "term": term.pk}, format="json").json()
    second = client.post(CODES, {"school": school_a.pk, "term": term.pk}, format="json").json()
    assert first["code"] != second["code"]
    assert ApplicationCode.objects.get(pk=first["id"]).closed_at is not None
    closed = client.post(f"{CODES}{second['id']}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["is_open"] is False
    assert client.post(f"{CODES}{second['id']}/close/", {}, format="json").status_code == 409
    assert client.post(f"{CODES}{first['id']}/close/", {"x": 1}, format="json").status_code == 400


def test_bad_code_input_names_every_field(admin_a, school_b, term):
    answer = client_for(admin_a).post(
        CODES, {"school": school_b.pk, "term": 999_999}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"school", "term"}
    assert not ApplicationCode.objects.exists()


@pytest.mark.parametrize("who", ["class_teacher", "volunteer", "supervisor"])
def test_only_administrators_handle_codes(request, who, school_a, term):
    client = client_for(request.getfixturevalue(who))
    assert client.get(CODES).status_code == 403
    body = {"school": school_a.pk, "term": term.pk}
    assert client.post(CODES, body, format="json").status_code == 403


def test_another_schools_code_answers_404(admin_a, admin_b, school_a, term):
    code = client_for(admin_a).post(CODES, {"school": school_a.pk, "term": term.pk}).json()
    assert client_for(admin_b).post(f"{CODES}{code['id']}/close/", {}).status_code == 404
    assert client_for(admin_b).get(CODES).json()["results"] == []


def test_the_code_list_costs_the_same_queries_however_many(
    admin_a, school_a, term, django_assert_num_queries
):
    client = client_for(admin_a)
    client.post(CODES, {"school": school_a.pk, "term": term.pk})
    with django_assert_num_queries(CODE_LIST_QUERIES):
        client.get(CODES)
    for _ in range(6):
        client.post(CODES, {"school": school_a.pk, "term": term.pk})
    with django_assert_num_queries(CODE_LIST_QUERIES):
        assert client.get(CODES).json()["count"] == 7


# The upward roster --------------------------------------------------------------------


def approved(school, term, *, tier="hardship", status=AssessmentStatus.APPROVED, **fields):
    student = StudentFactory(school=school, guardian_phone="13987654321", **fields)
    StudentRecordFactory(student=student, term=term, grade=5, class_name="1班")
    HardshipIndicator.objects.create(
        student=student,
        kind="disabled_parent",
        source=IndicatorSource.FAMILY_APPLICATION,
        recorded_on=term.start_date,
    )
    AssessmentFactory(student=student, term=term, status=status, tier=tier)
    return student


def rows_of_csv(answer):
    text = answer.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_schools_roster_lists_its_approved_students_in_the_countys_columns(
    admin_a, school_a, school_b, term
):
    listed = approved(school_a, term, name="赵小燕", village="东风村")
    approved(school_a, term, tier="not_in_hardship")
    approved(school_a, term, status=AssessmentStatus.PUBLICIZED)
    approved(school_b, term)
    answer = client_for(admin_a).get(
        ROSTER, {"term": term.pk, "school": school_a.pk, "format": "csv"}
    )
    assert answer.status_code == 200
    rows = rows_of_csv(answer)
    assert rows[0] == COLUMNS
    assert len(rows) == 2
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert row["序号"] == "1" and row["学校"] == school_a.name
    assert row["学生姓名"] == "赵小燕" and row["家庭住址"] == "东风村"
    assert row["年级"] == "5" and row["班级"] == "1班"
    assert row["身份证号"] == listed.id_masked and "*" in row["身份证号"]
    assert row["联系电话"] == "139****4321"
    assert row["认定档次"] == "困难"
    assert row["困难类型"]


def test_the_xlsx_has_a_title_and_the_same_rows(admin_a, school_a, term):
    approved(school_a, term, name="钱多多")
    answer = client_for(admin_a).get(ROSTER, {"term": term.pk, "school": school_a.pk})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert "名册" in values[0][0]
    assert list(values[1]) == COLUMNS
    assert values[2][4] == "钱多多"


def test_a_district_roster_lists_every_school_and_the_export_is_logged(
    district_admin, school_a, school_b, term
):
    students = [approved(school_a, term), approved(school_b, term)]
    answer = client_for(district_admin).get(
        ROSTER, {"term": term.pk, "district": school_a.district_id, "format": "csv"}
    )
    assert answer.status_code == 200
    assert len(rows_of_csv(answer)) == 3
    entry = AccessLogEntry.objects.get(action=AccessAction.EXPORT)
    assert sorted(entry.students.values_list("student_id", flat=True)) == sorted(
        s.pk for s in students
    )


def test_bad_roster_queries_name_their_fields(admin_a, school_a, school_b, term):
    client = client_for(admin_a)
    both = client.get(ROSTER, {"term": term.pk, "school": school_a.pk, "district": 1})
    assert both.status_code == 400 and "school" in both.json()
    assert client.get(ROSTER, {"school": school_a.pk}).status_code == 400
    foreign = client.get(ROSTER, {"term": term.pk, "school": school_b.pk})
    assert foreign.status_code == 400 and "school" in foreign.json()
    district = client.get(ROSTER, {"term": term.pk, "district": school_a.district_id})
    assert district.status_code == 400 and "district" in district.json()
    bad_format = client.get(ROSTER, {"term": term.pk, "school": school_a.pk, "format": "pdf"})
    assert bad_format.status_code == 400 and "format" in bad_format.json()
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORT).exists()


@pytest.mark.parametrize("who", ["class_teacher", "volunteer", "supervisor"])
def test_only_administrators_export_the_roster(request, who, school_a, term):
    client = client_for(request.getfixturevalue(who))
    assert client.get(ROSTER, {"term": term.pk, "school": school_a.pk}).status_code == 403


def test_the_export_costs_the_same_queries_however_many_students(
    admin_a, school_a, term, django_assert_num_queries
):
    query = {"term": term.pk, "school": school_a.pk, "format": "csv"}
    approved(school_a, term)
    with django_assert_num_queries(EXPORT_QUERIES):
        client_for(admin_a).get(ROSTER, query)
    for _ in range(8):
        approved(school_a, term)
    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(rows_of_csv(client_for(admin_a).get(ROSTER, query))) == 10
