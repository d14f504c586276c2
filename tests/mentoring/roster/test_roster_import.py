"""POST /api/v1/students/import/: the roster import, all or nothing; dry runs and re-imports.

The roster's rows and files are made in roster_scene.py, next to this file; validation,
permissions and the query count have files of their own in this folder.
"""

from datetime import date, datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mentoring import idnumbers
from mentoring.models import HardshipIndicator, HardshipKind, Student, StudentRecord
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    birth_of,
    csv_bytes,
    csv_file,
    errors_of,
    id_for,
    roster_row,
    row_counts,
    send,
    xlsx_file,
)
from workers.factories import HardshipIndicatorFactory, TermFactory

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
