"""The roster import's checks: each rule answers 400 with its row and column, and writes nothing."""

import pytest

from mentoring import idnumbers
from mentoring.models import Student
from tests.conftest import client_for
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    birth_of,
    csv_file,
    errors_of,
    id_for,
    roster_row,
    row_counts,
    send,
)
from workers.factories import StudentFactory

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
