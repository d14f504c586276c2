"""POST /api/v1/assessments/government-list/: direct identification from a government list."""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from mentoring import idnumbers
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    Role,
)
from mentoring.services import government_list
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    id_number_for,
    member,
)

URL = "/api/v1/assessments/government-list/"
TODAY = date(2026, 9, 15)

ID_A = id_number_for(101, date(2015, 4, 2))  # a student of school A
ID_B = id_number_for(202, date(2014, 6, 9))  # a student of school B
ID_NOBODY = id_number_for(303, date(2013, 1, 20))  # on the list, in no school
# A number with the check digit changed.
ID_BAD = ID_NOBODY[:17] + ("0" if ID_NOBODY[17] != "0" else "1")


@contextmanager
def on(day: date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def post(user, payload, **extra):
    with on(TODAY):
        return client_for(user).post(URL, payload, HTTP_ACCEPT_LANGUAGE="en", **extra)


def row_counts():
    return (
        Assessment.objects.count(),
        AssessmentEvent.objects.count(),
        HardshipIndicator.objects.count(),
        Assessment.history.count(),
    )


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def student_a(school_a, term):
    student = StudentFactory(school=school_a, name="李四娃", id_number=ID_A)
    StudentRecordFactory(student=student, term=term, income_per_capita_fen=200_000)
    return student


@pytest.fixture
def student_b(school_b, term):
    student = StudentFactory(school=school_b, name="赵六妹", id_number=ID_B)
    StudentRecordFactory(student=student, term=term)
    return student


def a_list(term, *rows, **extra):
    """A list as JSON; the tier is stated for the whole list (special hardship) unless changed."""
    payload = {
        "term": term.pk,
        "tier": "special_hardship",
        "rows": [{"id_number": number, "category": category} for number, category in rows],
    }
    payload.update(extra)
    return payload


# Matching


def test_matched_students_are_proposed_and_the_rest_reported_masked(
    admin_a, term, student_a, student_b
):
    payload = a_list(term, (ID_A, "dibao"), (ID_NOBODY, "orphan"), (ID_B, "tekun"))

    response = post(admin_a, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assessment = Assessment.objects.get()
    assert body == {
        "term": term.pk,
        "rows": 3,
        "matched": 1,
        "created": 1,
        "already_assessed": 0,
        "unmatched": 2,
        "unmatched_rows": [
            {"row": 2, "id_masked": idnumbers.mask(ID_NOBODY)},
            {"row": 3, "id_masked": idnumbers.mask(ID_B)},
        ],
        "assessments": [assessment.pk],
    }
    text = response.content.decode()
    for secret in [ID_A, ID_B, ID_NOBODY, "赵六妹", student_b.school.name, student_b.school.code]:
        assert secret not in text
    assert assessment.student == student_a
    assert (assessment.route, assessment.status, assessment.government_category) == (
        "government_list",
        "proposed",
        "dibao",
    )
    # The tier stated for the list; 30 for 低保 + 40 - 2,000 / 250 = 32 for the income.
    assert assessment.tier == "special_hardship"
    assert assessment.need_score == 62
    assert assessment.created_by == admin_a
    event = assessment.events.get()
    assert (event.action, event.from_status, event.to_status, event.by) == (
        "government_list",
        "",
        "proposed",
        admin_a,
    )
    indicator = HardshipIndicator.objects.get()
    assert (indicator.student, indicator.kind, indicator.source, indicator.recorded_on) == (
        student_a,
        "dibao",
        IndicatorSource.GOVERNMENT_LIST,
        TODAY,
    )
    assert not Assessment.objects.filter(student=student_b).exists()
    assert not HardshipIndicator.objects.filter(student=student_b).exists()


def test_posting_the_same_list_again_creates_nothing(admin_a, term, student_a):
    payload = a_list(term, (ID_A, "dibao"), (ID_NOBODY, "orphan"))
    post(admin_a, payload, format="json")
    before = row_counts()

    again = post(admin_a, payload, format="json")
    with on(date(2026, 10, 20)):
        weeks_later = client_for(admin_a).post(URL, payload, format="json")

    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert again.json()["matched"] == 1
    assert again.json()["already_assessed"] == 1
    assert again.json()["unmatched"] == 1
    assert weeks_later.json()["created"] == 0
    assert row_counts() == before


def test_student_already_assessed_this_term_gets_the_indicator_but_no_second_assessment(
    admin_a, term, student_a
):
    existing = AssessmentFactory(student=student_a, term=term)

    response = post(admin_a, a_list(term, (ID_A, "disabled_student")), format="json")

    assert response.json()["created"] == 0
    assert response.json()["already_assessed"] == 1
    assert list(Assessment.objects.all()) == [existing]
    assert HardshipIndicator.objects.get().kind == "disabled_student"


def test_a_student_identified_in_the_autumn_is_not_identified_again_in_spring(
    admin_a, district, term, student_a
):
    # The autumn identification holds for the school year: a change is a re-check.
    autumn = AssessmentFactory(student=student_a, term=term, status="approved", tier="hardship")
    spring = TermFactory(
        district=district,
        code="2027-spring",
        school_year="2026-2027",
        start_date=date(2027, 2, 22),
        end_date=date(2027, 7, 2),
    )
    StudentRecordFactory(student=student_a, term=spring)

    with on(date(2027, 3, 1)):
        response = client_for(admin_a).post(
            URL, a_list(spring, (ID_A, "dibao")), format="json", HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["already_assessed"]) == (0, 1)
    assert list(Assessment.objects.all()) == [autumn]


def test_two_categories_for_one_student_make_one_assessment(admin_a, term, student_a):
    response = post(
        admin_a, a_list(term, (ID_A, "dibao"), (ID_A, "disabled_student")), format="json"
    )

    assert response.json()["created"] == 1
    assert response.json()["matched"] == 2
    assert response.json()["already_assessed"] == 1
    assessment = Assessment.objects.get()
    assert assessment.government_category == "dibao"
    # Both indicators count: 30 + 25, plus 32 for the income.
    assert assessment.need_score == 87
    assert set(HardshipIndicator.objects.values_list("kind", flat=True)) == {
        "dibao",
        "disabled_student",
    }


def test_a_student_not_on_this_terms_roster_is_not_matched(admin_a, school_a, term):
    StudentFactory(school=school_a, id_number=ID_NOBODY)

    response = post(admin_a, a_list(term, (ID_NOBODY, "dibao")), format="json")

    assert response.json()["unmatched"] == 1
    assert Assessment.objects.count() == 0


def test_the_given_tier_is_used(admin_a, term, student_a):
    post(admin_a, a_list(term, (ID_A, "dibao"), tier="hardship"), format="json")

    assert Assessment.objects.get().tier == "hardship"


def test_a_list_with_no_tier_is_refused_row_by_row_and_nothing_is_written(
    admin_a, term, student_a, student_b
):
    # No default: a bureau's list says who is in hardship, not in which tier.
    before = row_counts()
    payload = a_list(term, (ID_A, "dibao"), (ID_NOBODY, "orphan"), tier="")
    payload["rows"].append({"id_number": ID_B, "category": "tekun", "tier": "hardship"})

    response = post(admin_a, payload, format="json")

    assert response.status_code == 400
    assert response.json()["rows"] == [
        {
            "row": n,
            "field": "tier",
            "message": "No tier: give this row a tier (档次) or state the tier for the whole list.",
        }
        for n in (1, 2)
    ]
    assert row_counts() == before


def test_each_row_may_give_its_own_tier_by_code_or_name(district_admin, term, student_a, student_b):
    payload = a_list(term, tier="")
    payload["rows"] = [
        {"id_number": ID_A, "category": "dibao", "tier": "hardship"},
        {"id_number": ID_B, "category": "tekun", "tier": "特别困难"},
    ]

    response = post(district_admin, payload, format="json")

    assert response.status_code == 201, response.json()
    assert dict(Assessment.objects.values_list("student_id", "tier")) == {
        student_a.pk: "hardship",
        student_b.pk: "special_hardship",
    }


def test_a_rows_own_tier_wins_over_the_lists(district_admin, term, student_a, student_b):
    payload = a_list(term, (ID_A, "dibao"), tier="hardship")
    payload["rows"].append({"id_number": ID_B, "category": "orphan", "tier": "special_hardship"})

    post(district_admin, payload, format="json")

    assert dict(Assessment.objects.values_list("student_id", "tier")) == {
        student_a.pk: "hardship",
        student_b.pk: "special_hardship",
    }


def test_an_unknown_tier_is_named_by_row_with_the_other_bad_rows(admin_a, term, student_a):
    before = row_counts()
    payload = a_list(term, (ID_BAD, "dibao"), tier="")
    payload["rows"].append({"id_number": ID_A, "category": "dibao", "tier": "rich"})

    response = post(admin_a, payload, format="json")

    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["rows"]] == [
        (1, "id_number"),
        (1, "tier"),
        (2, "tier"),
    ]
    assert response.json()["rows"][2]["message"] == (
        "Unknown tier; this district's tiers are: special_hardship, hardship, general_hardship."
    )
    assert row_counts() == before


def test_an_unknown_tier_for_the_list_is_named_once(admin_a, term, student_a):
    response = post(admin_a, a_list(term, (ID_A, "dibao"), tier="rich"), format="json")

    assert response.status_code == 400
    assert "tier" in response.json()
    assert "rows" not in response.json()


def test_a_district_administrator_matches_students_of_both_schools(
    district_admin, term, student_a, student_b
):
    response = post(district_admin, a_list(term, (ID_A, "dibao"), (ID_B, "tekun")), format="json")

    assert response.json()["created"] == 2
    assert set(Assessment.objects.values_list("student_id", flat=True)) == {
        student_a.pk,
        student_b.pk,
    }


def test_category_names_as_the_bureau_writes_them_are_understood(admin_a, term, student_a):
    post(admin_a, a_list(term, (ID_A, "特困供养")), format="json")

    assert Assessment.objects.get().government_category == "tekun"


def test_every_category_the_error_names_is_understood_by_that_name(admin_a, term, student_a):
    # The roster's word for a category (父母双亡) is a category of a list too.
    post(admin_a, a_list(term, (ID_A, "父母双亡")), format="json")
    assert Assessment.objects.get().government_category == "both_parents_deceased"
    with translation.override("en"):
        named = government_list.category_choices()
    for kind in HardshipKind.values:
        word = government_list.CATEGORY_NAMES[kind]
        assert f"{word} ({kind})" in named
        assert (
            government_list.government_list_rows_from_csv(
                f"身份证号码,类别\n{ID_A},{word}\n".encode()
            )[0].category
            == word
            and government_list._category(word) == kind
        )


def test_an_unknown_category_names_the_categories_by_their_chinese_words(admin_a, term, student_a):
    response = post(admin_a, a_list(term, (ID_A, "彩票")), format="json")

    assert response.status_code == 400
    message = str(response.json()["rows"][0]["message"])
    assert "低保 (dibao)" in message and "父母双亡 (both_parents_deceased)" in message


def test_proposed_student_is_approved_without_public_notice(admin_a, term, student_a):
    created = post(admin_a, a_list(term, (ID_A, "dibao")), format="json").json()
    [assessment_id] = created["assessments"]

    with on(TODAY):
        approved = client_for(admin_a).post(f"/api/v1/assessments/{assessment_id}/approve/")
        notices = client_for(admin_a).get("/api/v1/public/notices/")

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["notice_starts_on"] is None
    assert notices.json()["count"] == 0


# CSV upload


def test_csv_with_chinese_headers_in_gb18030(admin_a, term, student_a):
    content = f"身份证号码,类别,档次\n{ID_A},低保,困难\n{ID_NOBODY},孤儿,特别困难\n".encode(
        "gb18030"
    )
    upload = SimpleUploadedFile("list.csv", content, content_type="text/csv")

    response = post(admin_a, {"term": term.pk, "file": upload}, format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 1
    # The tier as the district names it (困难), from the row's own column.
    assert Assessment.objects.get().tier == "hardship"
    # The header is row 1, so the second data line is row 3.
    assert response.json()["unmatched_rows"] == [{"row": 3, "id_masked": idnumbers.mask(ID_NOBODY)}]


def test_csv_with_an_error_reports_the_spreadsheet_row(admin_a, term, student_a):
    content = f"id_number,category\n{ID_A},dibao\n\n{ID_BAD},dibao\n".encode()
    upload = SimpleUploadedFile("list.csv", content, content_type="text/csv")
    before = row_counts()

    response = post(
        admin_a, {"term": term.pk, "tier": "hardship", "file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["rows"] == [
        {"row": 4, "field": "id_number", "message": "The check digit of the ID number is wrong."}
    ]
    assert row_counts() == before


def test_csv_without_the_needed_columns(admin_a, term):
    upload = SimpleUploadedFile("list.csv", b"name,phone\n", content_type="text/csv")

    response = post(admin_a, {"term": term.pk, "file": upload}, format="multipart")

    assert response.status_code == 400
    assert "身份证号码" in str(response.json()["file"]) and "类别" in str(response.json()["file"])


def test_file_that_is_not_text(admin_a, term):
    upload = SimpleUploadedFile("list.csv", b"\xff\xfe\x00\x81\x8d" * 10, content_type="text/csv")

    response = post(admin_a, {"term": term.pk, "file": upload}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


# Validation: any error, nothing written


def test_a_bad_check_digit_refuses_the_whole_list_by_row(admin_a, term, student_a):
    before = row_counts()

    response = post(
        admin_a,
        a_list(term, (ID_A, "dibao"), (ID_BAD, "dibao"), ("123", "nonsense")),
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The list has errors; nothing was written."
    assert [(e["row"], e["field"]) for e in body["rows"]] == [
        (2, "id_number"),
        (3, "id_number"),
        (3, "category"),
    ]
    assert body["rows"][0]["message"] == "The check digit of the ID number is wrong."
    assert ID_BAD not in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rows": []}, "rows"),
        ({}, "rows"),
        ({"tier": "not_a_tier"}, "tier"),
        ({"tier": "not_in_hardship"}, "tier"),
        ({"term": 999_999}, "term"),
        ({"term": "x"}, "term"),
        ({"rows": "not a list"}, "rows"),
    ],
)
def test_bad_input_answers_400_naming_the_field(payload, field, admin_a, term, student_a):
    base = a_list(term, (ID_A, "dibao"))
    if payload == {}:
        base.pop("rows")
    base.update(payload)
    before = row_counts()

    response = post(admin_a, base, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert row_counts() == before


def test_term_of_a_district_the_administrator_does_not_serve(admin_a, student_a):
    foreign = TermFactory(district=DistrictFactory(code="D-ELSEWHERE"))

    response = post(admin_a, a_list(foreign, (ID_A, "dibao")), format="json")

    assert response.status_code == 400
    assert "term" in response.json()
    assert Assessment.objects.count() == 0


# Permissions


def test_anonymous_gets_401(api, term):
    assert api.post(URL, a_list(term, (ID_A, "dibao")), format="json").status_code == 401


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_only_administrators_post_government_lists(role, school_a, term, student_a):
    response = post(member(role, school_a), a_list(term, (ID_A, "dibao")), format="json")

    assert response.status_code == 403
    assert row_counts() == (0, 0, 0, 0)


def test_administrator_of_school_b_cannot_match_a_school_a_student(admin_b, term, student_a):
    response = post(admin_b, a_list(term, (ID_A, "dibao")), format="json")

    assert response.status_code == 200
    assert response.json()["unmatched_rows"] == [{"row": 1, "id_masked": idnumbers.mask(ID_A)}]
    assert "李四娃" not in response.content.decode()
    assert row_counts() == (0, 0, 0, 0)


def test_platform_administrator_matches_any_school(term, student_a, student_b):
    root = UserFactory(username="platform.root", is_superuser=True, is_staff=True)

    response = post(root, a_list(term, (ID_A, "dibao"), (ID_B, "orphan")), format="json")

    assert response.json()["created"] == 2
