"""The approved list, the public-notice sheet and the roster as XLSX and PDF (issue 16, item 6):
their columns, whose names each reader sees whole, who may export them, bad input, the access
log and a query count that does not grow with the rows."""

import pytest
from django.utils import translation

from mentoring.models import AccessLogEntry
from mentoring.names import mask_name
from mentoring.selectors import lists
from tests.list_exports import column, get, pdf_text, printed_problems, queries_for, xlsx_table
from tests.list_scene import add_school_students, list_scene

pytestmark = pytest.mark.django_db

APPROVED, NOTICE, ROSTER = (
    "assessments/approved/export/",
    "assessments/notice/export/",
    "students/export/",
)


@pytest.fixture
def scene():
    return list_scene()


def approved_of(scene, key):
    return [s for n, s in enumerate(scene.students[key]) if n % 4 == 2]


def noticed_of(scene, key):
    return [s for n, s in enumerate(scene.students[key]) if n % 4 == 0]


# The approved list ---------------------------------------------------------------------------


def test_approved_list_columns_and_whole_names_for_the_schools_administrator(scene):
    header, rows = xlsx_table(
        get(scene.readers["school_admin"], APPROVED, term=scene.term.pk, lang="en")
    )

    assert header == [
        "No.",
        "School",
        "Grade",
        "Class",
        "Name",
        "Gender",
        "ID number (masked)",
        "Hardship tier",
        "How identified",
        "Decided on",
    ]
    approved = approved_of(scene, "A")
    assert sorted(column(header, rows, "Name")) == sorted(s.name for s in approved)
    assert set(column(header, rows, "School")) == {"甲小学"}
    # The ID number only ever as stored: masked, the last four digits.
    assert sorted(column(header, rows, "ID number (masked)")) == sorted(
        s.id_masked for s in approved
    )
    assert all(value.startswith("*" * 14) for value in column(header, rows, "ID number (masked)"))


def test_district_administrator_lists_every_school_and_narrows_to_one(scene):
    reader = scene.readers["district_admin"]
    header, rows = xlsx_table(get(reader, APPROVED, term=scene.term.pk, lang="en"))
    assert set(column(header, rows, "School")) == {"甲小学", "乙小学"}

    header, rows = xlsx_table(
        get(reader, APPROVED, term=scene.term.pk, school=scene.schools["B"].pk, lang="en")
    )
    assert sorted(column(header, rows, "Name")) == sorted(s.name for s in approved_of(scene, "B"))


def test_other_schools_administrator_sees_only_their_school(scene):
    reader = scene.readers["other_admin"]
    header, rows = xlsx_table(get(reader, APPROVED, term=scene.term.pk, lang="en"))
    assert set(column(header, rows, "School")) == {"乙小学"}

    # School A is not theirs: answered like a school that does not exist.
    foreign = get(reader, APPROVED, term=scene.term.pk, school=scene.schools["A"].pk)
    missing = get(reader, APPROVED, term=scene.term.pk, school=999_999)
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("role", ["teacher", "volunteer"])
def test_teachers_and_volunteers_may_not_export_the_approved_list(scene, role):
    # It says how each child was identified (a government list: 低保, orphans, disability):
    # a teacher or volunteer sees only their own mentees, and those through the roster.
    assert get(scene.readers[role], APPROVED, term=scene.term.pk).status_code == 403


@pytest.mark.parametrize("role", ["donor", "supervisor"])
def test_donors_and_supervisors_may_not_export_the_approved_list(scene, role):
    assert get(scene.readers[role], APPROVED, term=scene.term.pk).status_code == 403


def test_anonymous_may_not_export_any_list(scene):
    for path in (APPROVED, NOTICE, ROSTER):
        assert get(None, path, term=scene.term.pk).status_code == 401


@pytest.mark.pdf
def test_approved_list_as_pdf_has_the_header_names_and_page_numbers(scene):
    text = pdf_text(
        get(
            scene.readers["school_admin"],
            APPROVED,
            term=scene.term.pk,
            format="pdf",
            lang="zh-hans",
        )
    )

    assert "2026年秋季学期" in text and "甲小学" in text
    for student in approved_of(scene, "A"):
        assert student.name in text and student.id_masked in text
    assert "第1页共1页" in text.replace(" ", "")
    assert "负责人（签字）" in text and "填表人" in text


# The public-notice sheet ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["school_admin", "district_admin", "teacher", "donor", "supervisor"]
)
def test_notice_sheet_masks_every_name_for_every_reader(scene, role):
    header, rows = xlsx_table(get(scene.readers[role], NOTICE, lang="en"))

    assert header == [
        "No.",
        "School",
        "Grade",
        "Class",
        "Name",
        "Hardship tier",
        "Notice from",
        "Notice until",
    ]
    schools = {"甲小学", "乙小学"} if role == "district_admin" else {"甲小学"}
    assert set(column(header, rows, "School")) == schools
    noticed = [s for key in ("A", "B") for s in noticed_of(scene, key) if s.school.name in schools]
    assert sorted(column(header, rows, "Name")) == sorted(mask_name(s.name) for s in noticed)
    assert "ID number (masked)" not in header


@pytest.mark.pdf
def test_notice_sheet_as_pdf_carries_the_complaint_line(scene):
    text = pdf_text(get(scene.readers["school_admin"], NOTICE, format="pdf", lang="en"))

    assert "0816-1234567" in text
    assert all(s.name not in text for s in noticed_of(scene, "A"))
    assert "Page 1 of 1" in text


# The roster ----------------------------------------------------------------------------------


def test_roster_columns_and_students_for_the_administrator(scene):
    header, rows = xlsx_table(
        get(scene.readers["school_admin"], ROSTER, term=scene.term.pk, lang="en")
    )

    assert header == [
        "No.",
        "School",
        "Student number",
        "Name",
        "Gender",
        "ID number (masked)",
        "Level",
        "Grade",
        "Class",
        "Boarding or day",
        "Village or community",
        "Guardian",
        "Guardian phone (masked)",
    ]
    assert sorted(column(header, rows, "Name")) == sorted(s.name for s in scene.students["A"])
    phones = column(header, rows, "Guardian phone (masked)")
    assert all("****" in phone for phone in phones)
    assert not {s.guardian_phone for s in scene.students["A"]} & set(phones)


def test_teacher_rosters_only_their_mentees(scene):
    header, rows = xlsx_table(get(scene.readers["teacher"], ROSTER, term=scene.term.pk, lang="en"))
    assert column(header, rows, "Name") == [scene.mentee.name]


@pytest.mark.parametrize("role", ["donor", "supervisor"])
def test_donors_and_supervisors_may_not_export_the_roster(scene, role):
    assert get(scene.readers[role], ROSTER, term=scene.term.pk).status_code == 403


@pytest.mark.pdf
def test_roster_as_pdf_prints_without_overflow_or_missing_glyphs(scene):
    reader = scene.readers["district_admin"]
    text = pdf_text(get(reader, ROSTER, term=scene.term.pk, format="pdf"))
    assert all(s.name in text for s in scene.students["B"])

    for language in ("zh-hans", "en"):
        with translation.override(language):
            document = lists.roster(
                user=reader, term=scene.term, schools=list(scene.schools.values())
            )
        assert printed_problems(document, language=language) == []


# Bad input, the access log, the query count --------------------------------------------------


def test_bad_format_answers_400(scene):
    response = get(scene.readers["school_admin"], APPROVED, term=scene.term.pk, format="docx")
    assert response.status_code == 400
    assert "format" in response.json()


def test_every_bad_field_in_one_answer(scene):
    response = get(
        scene.readers["school_admin"], ROSTER, term=999_999, school=999_999, format="csv"
    )
    assert response.status_code == 400
    assert {"term", "school", "format"} <= set(response.json())


def test_a_missing_term_is_named(scene):
    response = get(scene.readers["school_admin"], APPROVED)
    assert response.status_code == 400
    assert "term" in response.json()


@pytest.mark.parametrize("path", [APPROVED, ROSTER, NOTICE])
def test_each_export_is_access_logged_with_its_students(scene, path):
    reader = scene.readers["school_admin"]
    assert get(reader, path, term=scene.term.pk).status_code == 200

    entry = AccessLogEntry.objects.get(user=reader)
    assert entry.action == "export"
    assert entry.path == "/api/v1/" + path
    expected = {
        APPROVED: approved_of(scene, "A"),
        ROSTER: scene.students["A"],
        NOTICE: noticed_of(scene, "A"),
    }[path]
    assert set(entry.students.values_list("student", flat=True)) == {s.pk for s in expected}


@pytest.mark.parametrize(
    ("path", "role"),
    [
        (APPROVED, "district_admin"),
        (ROSTER, "district_admin"),
        (ROSTER, "teacher"),
        (NOTICE, "district_admin"),
        (NOTICE, "teacher"),
    ],
)
def test_query_count_does_not_grow_with_the_rows(scene, path, role):
    reader = scene.readers[role]
    small = queries_for(reader, path, term=scene.term.pk)
    for key in ("A", "B"):
        add_school_students(scene, key, 24)
    assert queries_for(reader, path, term=scene.term.pk) == small


@pytest.mark.parametrize("path", [ROSTER, NOTICE])
def test_other_schools_administrator_never_lists_school_a(scene, path):
    reader = scene.readers["other_admin"]
    header, rows = xlsx_table(get(reader, path, term=scene.term.pk, lang="en"))
    assert set(column(header, rows, "School")) == {"乙小学"}

    foreign = get(reader, path, term=scene.term.pk, school=scene.schools["A"].pk)
    assert foreign.status_code == 400 and "school" in foreign.json()
