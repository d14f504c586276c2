"""POST /api/v1/students/import/: the roster import, all or nothing, by administrators."""

import csv
import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring import idnumbers
from mentoring.models import (
    HardshipIndicator,
    HardshipKind,
    Role,
    Student,
    StudentRecord,
)
from mentoring.services.roster import COLUMNS
from tests.conftest import client_for
from workers.factories import (
    DistrictFactory,
    HardshipIndicatorFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

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


# The happy path


def test_csv_roster_creates_students_records_and_indicators(admin, admin_a, school_a, term):
    rows = [roster_row(n, school_a) for n in range(1, 4)]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "dry_run": False,
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "indicators_added": 6,
    }
    assert row_counts() == (3, 3, 6)
    student = Student.objects.get(school=school_a, student_number="G000000001")
    assert student.name == "学生1"
    assert student.gender == "male"
    assert student.birth_date == birth_of(1)
    assert student.id_masked == idnumbers.mask(id_for(1))
    assert student.id_hash == idnumbers.keyed_hash(id_for(1), key=settings.ID_HASH_KEY)
    assert (student.village, student.guardian_name, student.guardian_phone) == (
        "红星村3组",
        "李秀英",
        "13800000001",
    )
    record = student.records.get(term=term)
    assert record.level == "primary"
    assert (record.grade, record.class_name, record.boarding) == (3, "1班", True)
    assert (record.household_size, record.income_per_capita_fen) == (4, 320_050)
    assert (record.disabled, record.struggling) == (False, True)
    assert record.weak_subjects == ["math", "english"]
    indicators = list(
        student.indicators.order_by("kind").values_list("kind", "source", "recorded_on")
    )
    today = timezone.localdate()
    assert indicators == [("dibao", "roster", today), ("orphan", "roster", today)]
    # The audit trail is complete although the rows were written in bulk.
    assert student.history.get().history_user == admin_a
    assert record.history.get().history_change_reason == "roster import"
    assert HardshipIndicator.history.count() == 6


def test_xlsx_roster_with_typed_cells_is_read_like_text(admin, school_a, term):
    row = roster_row(
        7,
        school_a,
        出生日期=datetime(2016, 3, 8),
        年级=3,
        家庭人口=5,
        联系电话=13912345678,
        学籍号=2019123456,
        **{"家庭人均年收入(元)": 2800.1},
    )

    response = send(admin, xlsx_file([row]), term)

    assert response.status_code == 200, response.json()
    student = Student.objects.get(student_number="2019123456")
    assert student.birth_date == date(2016, 3, 8)
    assert student.guardian_phone == "13912345678"
    record = student.records.get()
    assert (record.grade, record.household_size, record.income_per_capita_fen) == (3, 5, 280_010)


def test_school_chosen_for_a_file_without_school_codes(admin, school_a, term):
    headers = [header for header in HEADERS if header != "学校代码"]
    rows = [roster_row(n, school_a) for n in range(1, 3)]

    response = send(admin, csv_file(rows, headers=headers), term, school=school_a)

    assert response.status_code == 200, response.json()
    assert set(Student.objects.values_list("school_id", flat=True)) == {school_a.pk}


def test_unknown_columns_are_ignored_and_full_width_brackets_accepted(admin, school_a, term):
    headers = ["省市", "区县", *HEADERS]
    headers[headers.index("村组(社区)")] = "村组（社区）"
    row = roster_row(1, school_a, 省市="四川省", 区县="某县")
    row["村组（社区）"] = "白沙社区"

    response = send(admin, csv_file([row], headers=headers), term)

    assert response.status_code == 200, response.json()
    assert Student.objects.get().village == "白沙社区"


def test_blank_yes_no_and_optional_cells_take_the_defaults(admin, school_a, term):
    row = roster_row(
        1,
        school_a,
        是否残疾生="",
        是否学困生="",
        薄弱科目="",
        贫困类型="",
        就读方式="",
        家庭人口="",
        **{"家庭人均年收入(元)": ""},
    )

    response = send(admin, csv_file([row]), term)

    assert response.status_code == 200, response.json()
    record = StudentRecord.objects.get()
    assert (record.disabled, record.struggling, record.boarding) == (False, False, False)
    assert (record.household_size, record.income_per_capita_fen) == (None, None)
    assert record.weak_subjects == []
    assert HardshipIndicator.objects.count() == 0


def test_every_hardship_word_maps_to_its_kind(admin, school_a, term):
    words = "低保、特困供养/五保、孤儿、单亲/父母一方去世、父母双亡、父母残疾、残疾、大病/长期患病"
    more = "灾害/突发变故,脱贫户/建档立卡,监测户,烈士子女,残疾军人子女,其他"
    row = roster_row(1, school_a, 贫困类型=f"{words}、{more}")

    response = send(admin, csv_file([row]), term)

    assert response.status_code == 200, response.json()
    kinds = set(HardshipIndicator.objects.values_list("kind", flat=True))
    assert kinds == set(HardshipKind.values)


# Validation: each rule answers 400 with its row and column, and writes nothing


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("身份证号码", id_for(2)[:17] + ("1" if id_for(2)[17] != "1" else "2"), "check digit"),
        ("身份证号码", "51000020160302", "18 characters"),
        ("出生日期", "2016-13-01", "not a date"),
        ("出生日期", "01/03/2016", "YYYY-MM-DD"),
        ("是否残疾生", "Y", "是 / 否"),
        ("是否学困生", "yes", "是 / 否"),
        ("性别", "M", "男 / 女"),
        ("学段", "高中", "学前 / 小学 / 初中"),
        ("学校代码", "NO-SUCH-SCHOOL", "No school with this code"),
        ("年级", "10", "1 to 9"),
        ("年级", "8", "1 to 6"),
        ("家庭人均年收入(元)", "-5", "cannot be negative"),
        ("家庭人均年收入(元)", "12.345", "two decimals"),
        ("家庭人均年收入(元)", "lots", "number of yuan"),
        ("家庭人口", "0", "1 to 30"),
        ("贫困类型", "低保、外星人", "Unknown: 外星人"),
        ("薄弱科目", "数学、炼丹", "Unknown: 炼丹"),
        ("姓名", '=HYPERLINK("http://x","点我")', "formula"),
        ("监护人", "@SUM(A1)", "formula"),
        ("村组(社区)", "+1", "formula"),
        ("班级", "-1", "formula"),
        ("班级", "\t=1", "formula"),
        ("姓名", '\u3000=HYPERLINK("http://x","点我")', "formula"),
        ("监护人", "\u200b\ufeff@SUM(A1)", "formula"),
        ("姓名", "\u200b", "required"),
        ("联系电话", "+8613800000000", "formula"),
        ("联系电话", "138 0000 abc", "digits"),
        ("学籍号", "G-01/2", "letters and digits"),
        ("姓名", "", "required"),
        ("姓名", "张" * 51, "At most 50"),
    ],
)
def test_invalid_cell_is_reported_by_row_and_column_and_nothing_written(
    admin, school_a, term, column, value, message
):
    rows = [roster_row(1, school_a), roster_row(2, school_a, **{column: value})]
    before = row_counts()

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    body = response.json()
    assert errors_of(response) == [(3, column)]
    assert message in body["errors"][0]["message"]
    assert body["error_count"] == 1
    assert row_counts() == before == (0, 0, 0)


def test_birth_date_must_match_the_one_inside_the_id_number(admin, school_a, term):
    rows = [roster_row(1, school_a), roster_row(2, school_a, 出生日期="2016-03-04")]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(3, "身份证号码")]
    message = response.json()["errors"][0]["message"]
    assert (
        message == f"The birth date inside ID number {idnumbers.mask(id_for(2))} is not 出生日期."
    )
    assert row_counts() == (0, 0, 0)


def test_weak_subjects_need_a_struggling_student(admin, school_a, term):
    row = roster_row(1, school_a, 是否学困生="否", 薄弱科目="数学")

    response = send(admin, csv_file([row]), term)

    assert response.status_code == 400
    assert errors_of(response) == [(2, "薄弱科目")]
    assert row_counts() == (0, 0, 0)


def test_every_error_of_every_row_is_listed_in_row_order(admin, school_a, term):
    rows = [
        roster_row(1, school_a, 性别="?", 年级="x"),
        roster_row(2, school_a),
        roster_row(3, school_a, 是否残疾生="有"),
    ]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(2, "性别"), (2, "年级"), (4, "是否残疾生")]
    assert response.json()["error_count"] == 3


def test_missing_required_column_is_reported_on_the_header_row(admin, school_a, term):
    headers = [header for header in HEADERS if header not in {"姓名", "身份证号码"}]

    response = send(admin, csv_file([roster_row(1, school_a)], headers=headers), term)

    assert response.status_code == 400
    assert errors_of(response) == [(1, "姓名"), (1, "身份证号码")]
    assert row_counts() == (0, 0, 0)


def test_file_without_school_codes_needs_a_chosen_school(admin, school_a, term):
    headers = [header for header in HEADERS if header != "学校代码"]

    response = send(admin, csv_file([roster_row(1, school_a)], headers=headers), term)

    assert response.status_code == 400
    assert "school" in response.json()
    assert row_counts() == (0, 0, 0)


def test_row_for_another_school_than_the_chosen_one_is_an_error(
    district_admin, school_a, school_b, term
):
    rows = [roster_row(1, school_a), roster_row(2, school_b)]

    response = send(client_for(district_admin), csv_file(rows), term, school=school_a)

    assert response.status_code == 400
    assert errors_of(response) == [(3, "学校代码")]
    assert row_counts() == (0, 0, 0)


def test_duplicate_student_number_in_the_file_is_an_error_on_the_second_row(admin, school_a, term):
    rows = [
        roster_row(1, school_a),
        roster_row(2, school_a),
        roster_row(3, school_a, 学籍号="G000000001"),
    ]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(4, "学籍号")]
    assert "row 2" in response.json()["errors"][0]["message"]
    assert row_counts() == (0, 0, 0)


def test_one_id_number_for_two_students_of_the_file_is_an_error(admin, school_a, term):
    rows = [
        roster_row(1, school_a),
        roster_row(2, school_a, 身份证号码=id_for(1), 出生日期=birth_of(1).isoformat()),
    ]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(3, "身份证号码")]
    message = response.json()["errors"][0]["message"]
    assert idnumbers.mask(id_for(1)) in message
    assert id_for(1) not in response.content.decode()
    assert row_counts() == (0, 0, 0)


def test_id_number_of_another_student_already_in_the_school_is_an_error(admin, school_a, term):
    StudentFactory(school=school_a, student_number="OLD1", id_number=id_for(1))
    before = row_counts()

    response = send(admin, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 400
    assert errors_of(response) == [(2, "身份证号码")]
    assert "OLD1" in response.json()["errors"][0]["message"]
    assert row_counts() == before


def test_the_same_child_in_another_school_is_not_a_conflict(admin, school_a, school_b, term):
    StudentFactory(school=school_b, student_number="B1", id_number=id_for(1))

    response = send(admin, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 200, response.json()
    hashes = dict(Student.objects.values_list("school_id", "id_hash"))
    assert hashes[school_a.pk] == hashes[school_b.pk]


def test_no_whole_id_number_appears_in_any_answer(admin, school_a, term):
    ids = [id_for(n) for n in range(1, 6)]
    wrong_check = ids[1][:17] + ("0" if ids[1][17] != "0" else "1")
    answers = [
        send(admin, csv_file([roster_row(1, school_a)]), term, dry_run=True),
        send(admin, csv_file([roster_row(2, school_a, 身份证号码=wrong_check)]), term),
        send(admin, csv_file([roster_row(3, school_a, 出生日期="2016-01-01")]), term),
        send(
            admin,
            csv_file(
                [
                    roster_row(4, school_a),
                    roster_row(5, school_a, 身份证号码=ids[3], 出生日期=birth_of(4).isoformat()),
                ]
            ),
            term,
        ),
        # An ID number typed into the wrong column is masked when echoed.
        send(admin, csv_file([roster_row(1, school_a, 贫困类型=ids[0])]), term),
        send(admin, csv_file([roster_row(n, school_a) for n in range(1, 6)]), term),
    ]

    assert [answer.status_code for answer in answers] == [200, 400, 400, 400, 400, 200]
    for answer in answers:
        body = answer.content.decode()
        for number in [*ids, wrong_check]:
            assert number not in body
    assert idnumbers.mask(ids[0]) in answers[4].content.decode()


# Dry run


def test_dry_run_counts_and_writes_nothing(admin, school_a, term):
    send(admin, csv_file([roster_row(1, school_a)]), term)
    before = row_counts()
    history_before = Student.history.count()
    rows = [roster_row(1, school_a, 年级="4"), roster_row(2, school_a), roster_row(3, school_a)]

    response = send(admin, csv_file(rows), term, dry_run=True)

    assert response.status_code == 200
    assert response.json() == {
        "dry_run": True,
        "rows": 3,
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "indicators_added": 4,
    }
    assert row_counts() == before
    assert Student.history.count() == history_before
    assert StudentRecord.objects.get().grade == 3


def test_dry_run_of_a_broken_file_lists_the_errors(admin, school_a, term):
    response = send(admin, csv_file([roster_row(1, school_a, 性别="X")]), term, dry_run=True)

    assert response.status_code == 400
    assert errors_of(response) == [(2, "性别")]
    assert row_counts() == (0, 0, 0)


# Re-import


def test_reimport_updates_in_place_and_keeps_history(admin, school_a, term):
    rows = [roster_row(n, school_a) for n in range(1, 4)]
    send(admin, csv_file(rows), term)
    before = row_counts()
    rows[1] = roster_row(2, school_a, 联系电话="13999999999", 年级="4")

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 2)
    assert body["indicators_added"] == 0
    assert row_counts() == before == (3, 3, 6)
    student = Student.objects.get(student_number="G000000002")
    assert student.guardian_phone == "13999999999"
    assert student.records.get(term=term).grade == 4
    assert list(student.history.values_list("history_type", "guardian_phone")) == [
        ("~", "13999999999"),
        ("+", "13800000002"),
    ]
    assert list(
        StudentRecord.history.filter(student=student).values_list("history_type", "grade")
    ) == [("~", 4), ("+", 3)]
    unchanged = Student.objects.get(student_number="G000000001")
    assert unchanged.history.count() == 1


def test_reimporting_the_same_file_changes_nothing(admin, school_a, term):
    upload = csv_bytes([roster_row(n, school_a) for n in range(1, 4)])
    send(admin, SimpleUploadedFile("r.csv", upload), term)
    before = (row_counts(), Student.history.count(), StudentRecord.history.count())

    response = send(admin, SimpleUploadedFile("r.csv", upload), term)

    assert response.json()["unchanged"] == 3
    assert (response.json()["created"], response.json()["updated"]) == (0, 0)
    assert (row_counts(), Student.history.count(), StudentRecord.history.count()) == before


def test_indicators_no_longer_listed_are_kept_and_new_ones_added_once(admin, school_a, term):
    send(admin, csv_file([roster_row(1, school_a, 贫困类型="低保")]), term)
    student = Student.objects.get()
    HardshipIndicatorFactory(student=student, kind=HardshipKind.DIBAO, source="home_visit")

    first = send(admin, csv_file([roster_row(1, school_a, 贫困类型="监测户")]), term)
    second = send(admin, csv_file([roster_row(1, school_a, 贫困类型="监测户")]), term)

    assert first.json()["indicators_added"] == 1
    assert second.json()["indicators_added"] == 0
    assert sorted(student.indicators.values_list("kind", "source")) == [
        ("dibao", "home_visit"),
        ("dibao", "roster"),
        ("monitored_household", "roster"),
    ]


def test_column_missing_from_the_file_leaves_existing_values(admin, school_a, term):
    send(admin, csv_file([roster_row(1, school_a)]), term)
    headers = [header for header in HEADERS if header not in {"监护人", "是否学困生", "薄弱科目"}]

    response = send(admin, csv_file([roster_row(1, school_a, 年级="5")], headers=headers), term)

    assert response.json()["updated"] == 1
    student = Student.objects.get()
    record = student.records.get()
    assert (student.guardian_name, record.struggling, record.grade) == ("李秀英", True, 5)
    assert record.weak_subjects == ["math", "english"]


def test_new_term_adds_a_record_and_keeps_the_earlier_one(admin, school_a, term, district):
    spring = TermFactory(
        district=district,
        code="2027-spring",
        start_date=date(2027, 2, 20),
        end_date=date(2027, 7, 10),
    )
    send(admin, csv_file([roster_row(1, school_a)]), term)

    response = send(admin, csv_file([roster_row(1, school_a, 年级="4")]), spring)

    assert response.json()["updated"] == 1
    grades = dict(StudentRecord.objects.values_list("term__code", "grade"))
    assert grades == {"2026-autumn": 3, "2027-spring": 4}


# Permissions


def test_anonymous_import_answers_401(api, school_a, term):
    response = send(api, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 401
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_non_administrators_cannot_import(role, school_a, term):
    client = client_for(member(role, school_a))

    response = send(client, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 403
    assert row_counts() == (0, 0, 0)


def test_colleague_administrator_of_the_same_school_imports(school_a, term, admin_a):
    colleague = member(Role.ADMINISTRATOR, school_a)

    response = send(client_for(colleague), csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 200
    assert Student.objects.get().history.get().history_user == colleague


def test_platform_administrator_imports_into_any_school(school_a, term):
    root = UserFactory(is_superuser=True, is_staff=True)

    response = send(client_for(root), csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 200
    assert row_counts() == (1, 1, 2)


def test_admin_of_school_b_gets_row_errors_for_school_a_rows(admin_b, school_a, school_b, term):
    rows = [roster_row(1, school_b), roster_row(2, school_a), roster_row(3, school_a)]

    response = send(client_for(admin_b), csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(3, "学校代码"), (4, "学校代码")]
    assert row_counts() == (0, 0, 0)


def test_foreign_school_code_is_answered_like_one_that_does_not_exist(
    admin_b, school_a, school_b, term
):
    rows = [roster_row(1, school_a), roster_row(2, school_b, 学校代码="NO-SUCH")]

    response = send(client_for(admin_b), csv_file(rows), term)

    foreign, missing = response.json()["errors"]
    assert foreign["message"] == missing["message"]
    assert school_a.name not in response.content.decode()


def test_outsider_choosing_a_school_it_does_not_administer_is_refused(admin_b, school_a, term):
    headers = [header for header in HEADERS if header != "学校代码"]

    foreign = send(
        client_for(admin_b),
        csv_file([roster_row(1, school_a)], headers=headers),
        term,
        school=school_a,
    )
    missing_school = SchoolFactory.build(pk=987654)
    missing = send(
        client_for(admin_b),
        csv_file([roster_row(1, school_a)], headers=headers),
        term,
        school=missing_school,
    )

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert "school" in foreign.json()
    assert row_counts() == (0, 0, 0)


def test_term_of_another_district_is_refused_like_a_missing_one(admin, school_a):
    other_term = TermFactory(district=DistrictFactory())

    response = send(admin, csv_file([roster_row(1, school_a)]), other_term)

    assert response.status_code == 400
    assert "term" in response.json()
    assert row_counts() == (0, 0, 0)


# Query count


def _queries_for_import(client, rows, term) -> int:
    with CaptureQueriesContext(connection) as context:
        response = send(client, csv_file(rows), term)
    assert response.status_code == 200, response.json()
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_rows(district, term):
    school_small, school_large = SchoolFactory(district=district), SchoolFactory(district=district)
    client = client_for(member(Role.ADMINISTRATOR, school_small, school_large))
    # One indicator per row: SQLite takes at most 999 parameters per query,
    # so two per row would split the 50-row insert into two batches.
    small = [roster_row(n, school_small, 贫困类型="低保") for n in range(1, 6)]
    large = [roster_row(n, school_large, 贫困类型="低保") for n in range(100, 150)]

    created_small = _queries_for_import(client, small, term)
    created_large = _queries_for_import(client, large, term)
    small = [{**row, "年级": "4", "贫困类型": "监测户"} for row in small]
    large = [{**row, "年级": "4", "贫困类型": "监测户"} for row in large]
    updated_small = _queries_for_import(client, small, term)
    updated_large = _queries_for_import(client, large, term)

    assert Student.objects.count() == 55
    assert created_small == created_large
    assert updated_small == updated_large
    assert created_large <= 20
