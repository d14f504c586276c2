"""A project's awards and payments per school as XLSX and PDF (issue 16, item 6): columns,
totals per school, who may export them, bad input, the access log and the query count."""

from decimal import Decimal

import pytest
from django.utils import translation

from donations.models import Disbursement
from donations.selectors import lists
from donations.services.disbursements import disbursement_reverse
from mentoring.models import AccessLogEntry
from tests.list_exports import column, get, pdf_text, printed_problems, queries_for, xlsx_table
from tests.list_scene import add_school_students, award_approved, list_scene, sheet_rows

pytestmark = pytest.mark.django_db

AWARDS, PAYMENTS = "awards/export/", "disbursements/export/"


@pytest.fixture
def scene():
    return list_scene()


def awarded_in(scene, key):
    return list(scene.project.awards.filter(student__school=scene.schools[key]))


def test_award_list_columns_rows_and_totals(scene):
    response = get(scene.readers["school_admin"], AWARDS, project="LIST-AID", lang="en")
    header, rows = xlsx_table(response)

    assert header == [
        "No.",
        "School",
        "Grade",
        "Class",
        "Name",
        "ID number (masked)",
        "Term",
        "Awarded (yuan)",
        "Paid (yuan)",
        "Status",
    ]
    awards = awarded_in(scene, "A")
    assert sorted(column(header, rows, "Name")) == sorted(a.student.name for a in awards)
    assert sorted(column(header, rows, "ID number (masked)")) == sorted(
        a.student.id_masked for a in awards
    )
    assert set(column(header, rows, "Awarded (yuan)")) == {Decimal("500")}
    # The school's subtotal and the total: every award, and what was paid of them.
    totals = [
        r
        for r in sheet_rows(response.content)
        if r[1] and str(r[1]).startswith(("Subtotal", "Total"))
    ]
    paid = sum(1 for a in awards if a.status == "paid") * Decimal(500)
    assert [(r[1], r[7], r[8]) for r in totals] == [
        ("Subtotal: 甲小学", Decimal(500) * len(awards), paid),
        ("Total", Decimal(500) * len(awards), paid),
    ]


def test_district_administrator_lists_every_school_by_project_id(scene):
    response = get(scene.readers["district_admin"], AWARDS, project=scene.project.pk, lang="en")
    header, rows = xlsx_table(response)
    assert set(column(header, rows, "School")) == {"甲小学", "乙小学"}
    subtotals = [
        r[1] for r in sheet_rows(response.content) if str(r[1] or "").startswith("Subtotal")
    ]
    assert subtotals == ["Subtotal: 甲小学", "Subtotal: 乙小学"]


def test_other_schools_administrator_lists_theirs_and_never_school_a(scene):
    reader = scene.readers["other_admin"]
    header, rows = xlsx_table(get(reader, AWARDS, project="LIST-AID", lang="en"))
    assert set(column(header, rows, "School")) == {"乙小学"}
    foreign = get(reader, AWARDS, project="LIST-AID", school=scene.schools["A"].pk)
    assert foreign.status_code == 400 and "school" in foreign.json()


def test_payment_list_columns_and_a_reversed_payment_left_out_of_the_totals(scene):
    reader = scene.readers["school_admin"]
    header, rows = xlsx_table(get(reader, PAYMENTS, project="LIST-AID", lang="en"))

    assert header == [
        "No.",
        "School",
        "Grade",
        "Class",
        "Name",
        "ID number (masked)",
        "Instalment",
        "Amount (yuan)",
        "Paid on",
        "Method",
        "Paid by",
        "Status",
    ]
    payments = Disbursement.objects.filter(award__student__school=scene.schools["A"])
    assert sorted(column(header, rows, "Name")) == sorted(p.award.student.name for p in payments)
    assert set(column(header, rows, "Status")) == {"Paid"}

    # One payment reversed: still listed, marked, and out of the totals.
    first = payments.order_by("pk").first()
    disbursement_reverse(
        by=scene.readers["district_admin"], disbursement_id=first.pk, reason="付错了"
    )
    response = get(reader, PAYMENTS, project="LIST-AID", lang="en")
    header, rows = xlsx_table(response)
    assert sorted(column(header, rows, "Status")) == sorted(
        ["Reversed"] + ["Paid"] * (len(payments) - 1)
    )
    [total] = [r for r in sheet_rows(response.content) if r[1] == "Total"]
    assert total[7] == Decimal(500) * (len(payments) - 1)


@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
@pytest.mark.parametrize("role", ["teacher", "donor", "supervisor"])
def test_only_administrators_export_awards_and_payments(scene, path, role):
    assert get(scene.readers[role], path, project="LIST-AID").status_code == 403


@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
def test_anonymous_is_asked_to_sign_in(scene, path):
    assert get(None, path, project="LIST-AID").status_code == 401


@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
def test_bad_input_names_every_field(scene, path):
    response = get(
        scene.readers["school_admin"], path, project="NO-SUCH", term=999_999, format="doc"
    )
    assert response.status_code == 400
    assert {"project", "format"} <= set(response.json())
    missing = get(scene.readers["school_admin"], path)
    assert missing.status_code == 400 and "project" in missing.json()


@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
def test_export_is_access_logged(scene, path):
    reader = scene.readers["school_admin"]
    assert get(reader, path, project="LIST-AID", format="xlsx").status_code == 200
    entry = AccessLogEntry.objects.get(user=reader)
    students = {a.student_id for a in awarded_in(scene, "A")}
    if path == PAYMENTS:
        students = {a.student_id for a in awarded_in(scene, "A") if a.status == "paid"}
    assert set(entry.students.values_list("student", flat=True)) == students


@pytest.mark.pdf
@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
def test_as_pdf_with_names_totals_and_page_numbers(scene, path):
    text = pdf_text(
        get(scene.readers["district_admin"], path, project="LIST-AID", format="pdf", lang="en")
    )
    assert "义务教育生活补助" in text and "Page 1 of 1" in text
    assert "Subtotal: 甲小学" in text and "500.00" in text
    assert all(a.student.name in text for a in awarded_in(scene, "B") if a.status == "paid")


@pytest.mark.pdf
def test_printed_payment_list_has_no_overflow_nor_missing_glyph(scene):
    reader = scene.readers["district_admin"]
    schools = list(scene.schools.values())
    for language in ("zh-hans", "en"):
        with translation.override(language):
            document = lists.payments_list(
                user=reader, project=scene.project, schools=schools, term=scene.term
            )
        assert printed_problems(document, language=language) == []


@pytest.mark.parametrize("path", [AWARDS, PAYMENTS])
def test_query_count_does_not_grow_with_the_rows(scene, path):
    reader = scene.readers["district_admin"]
    small = queries_for(reader, path, project="LIST-AID", term=scene.term.pk)
    for key in ("A", "B"):
        add_school_students(scene, key, 24)
        award_approved(scene, key)
    assert queries_for(reader, path, project="LIST-AID", term=scene.term.pk) == small
