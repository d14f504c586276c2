"""The roster's optional score columns (语文期初成绩 … 英语期末成绩): written with the records,
a blank cell leaves the score as it is, a bad one is listed with every other error."""

from decimal import Decimal

from mentoring.models import Student, SubjectScore
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    csv_file,
    errors_of,
    roster_row,
    send,
    xlsx_file,
)


def scores_of(n: int, term) -> dict:
    student = Student.objects.get(student_number=f"G{n:09d}")
    return {
        s.subject: (s.start_score, s.end_score)
        for s in SubjectScore.objects.filter(record__student=student, record__term=term)
    }


def test_the_template_offers_a_column_per_main_subject_and_exam():
    assert [h for h in HEADERS if h.endswith("成绩")] == [
        "语文期初成绩",
        "语文期末成绩",
        "数学期初成绩",
        "数学期末成绩",
        "英语期初成绩",
        "英语期末成绩",
    ]


def test_scores_are_written_with_new_students(admin, school_a, term):
    rows = [
        roster_row(1, school_a, **{"数学期初成绩": "48.5", "英语期末成绩": "90"}),
        roster_row(2, school_a),
    ]
    response = send(admin, xlsx_file(rows), term)
    assert response.status_code == 200, response.json()
    assert scores_of(1, term) == {
        "math": (Decimal("48.5"), None),
        "english": (None, Decimal("90")),
    }
    assert scores_of(2, term) == {}
    assert SubjectScore.history.count() == 2


def test_a_reimport_adds_the_closing_exam_and_keeps_the_opening_one(admin, school_a, term):
    send(admin, csv_file([roster_row(1, school_a, **{"数学期初成绩": "48.5"})]), term)

    response = send(admin, csv_file([roster_row(1, school_a, **{"数学期末成绩": "66"})]), term)

    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert scores_of(1, term) == {"math": (Decimal("48.5"), Decimal("66"))}
    again = send(admin, csv_file([roster_row(1, school_a, **{"数学期末成绩": "66"})]), term)
    assert again.json()["unchanged"] == 1


def test_a_bad_score_is_listed_with_the_other_errors_and_nothing_is_written(admin, school_a, term):
    rows = [
        roster_row(1, school_a, **{"语文期初成绩": "151", "数学期末成绩": "60.25"}),
        roster_row(2, school_a, **{"英语期初成绩": "良好", "年级": "12"}),
    ]
    response = send(admin, csv_file(rows), term)
    assert response.status_code == 400
    assert sorted(errors_of(response)) == [
        (2, "数学期末成绩"),
        (2, "语文期初成绩"),
        (3, "年级"),
        (3, "英语期初成绩"),
    ]
    assert not Student.objects.exists()
    assert not SubjectScore.objects.exists()
