"""The term report as a document an official signs: its header (issuing unit, term by name,
builder by name, local time), page numbers, signature block, written summary, the bureau's
summary table on its own landscape page, and the records only as an annex, by name.

The PDF's text is read from WeasyPrint's own layout (the boxes of each printed page), so the
tests read what is on paper, page by page, without a PDF text library.
"""

import io
import re

import openpyxl
import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from mentoring.models import school_year_label, term_label
from tests.conftest import client_for
from tests.report_scene import busy_school, kindergarten_scene
from tests.workers.test_report_exports import export, kg  # noqa: F401 (a fixture)
from tests.workers.test_reports import build
from tests.workers.test_year_report import year  # noqa: F401 (a fixture)
from workers.reporting import document, exports
from workers.reports import ReportReader, for_files

pytestmark = pytest.mark.django_db


def printed_pages(html: str) -> list[dict]:
    """Each printed page: its text (every text box, margins included), and its size."""
    import weasyprint

    pages = []
    for page in weasyprint.HTML(string=html).render().pages:
        texts = [box.text for box in page._page_box.descendants() if hasattr(box, "text")]
        pages.append(
            {"texts": texts, "text": "".join(texts), "landscape": page.width > page.height}
        )
    return pages


def files_data(scene, report):
    return for_files(report, ReportReader(scene.admin).data(report))


def in_chinese(message: str, **values) -> str:
    with override("zh-hans"):
        return gettext(message) % values if values else gettext(message)


# The pieces, without a database -------------------------------------------------------------


def test_terms_and_years_by_their_names_in_each_language():
    with override("zh-hans"):
        assert term_label("2026-autumn") == "2026年秋季学期"
    with override("en"):
        assert term_label("2027-spring") == "2027 spring term"
        assert school_year_label("2026-2027") == "2026–2027 school year"
    # A code that is not a year and a season stays as it is.
    assert term_label("summer-camp") == "summer-camp"
    assert school_year_label("2026") == "2026"


def test_times_are_beijing_times_and_days_beijing_days():
    with override("en"):
        # 06:52 UTC is 14:52 in Beijing.
        assert document.local_time("2026-12-04T06:52:10+00:00") == "2026-12-04 14:52 Beijing time"
    # 23:30 UTC is already the next morning in Beijing.
    assert document.local_date("2026-12-04T23:30:00+00:00") == "2026-12-05"


def test_page_counter_and_page_margins_are_css_strings():
    with override("en"):
        assert document.page_counter_css() == '"Page " counter(page) " of " counter(pages)'
    # A name cannot end the string nor the style element it is printed in.
    assert document.css_string('A"</style>') == '"A\\22 \\3c /style\\3e "'


def test_shares_are_written_without_a_space_and_yuan_with_two_places():
    assert document.percent("8.54") == "8.54%"
    assert document.money("1500") == "1,500.00"
    assert document.percent(None) == "—"


# The printed document ------------------------------------------------------------------------


@pytest.mark.pdf
def test_the_printed_report_is_headed_numbered_signed_and_summarised(kg):  # noqa: F811
    data = files_data(kg, kg.report)
    pages = printed_pages(exports.to_html(data, language="zh-hans"))
    first = pages[0]["text"]
    # The header: the school issues its report; the term by name; the builder by name; the
    # time as a Beijing clock showed it.
    built = timezone.localtime(kg.report.built_at).strftime("%Y-%m-%d %H:%M")
    assert "第一幼儿园" in first
    assert "2026年秋季学期" in first and "2026-autumn" not in first
    assert kg.admin.get_full_name() and kg.admin.get_full_name() in first
    assert "kg_admin" not in first
    assert built in first
    assert kg.report.built_at.strftime("%Y-%m-%dT%H:%M") not in first
    # The written summary, its figures as the tables have them, shares without a space.
    assert "28" in first and "11.16%" in first and "28,000.00" in first
    assert "11.16 %" not in "".join(page["text"] for page in pages)
    # The signature block: the builder's name filled in, the rest left to sign by hand.
    for label in ["Person in charge (signature)", "Seal of the issuing unit", "Prepared by"]:
        assert in_chinese(label) in first
    # Every page numbered "第 x 页 共 y 页" (or its translation), and headed by the issuer.
    for number, page in enumerate(pages, start=1):
        counter = in_chinese("Page %(page)s of %(pages)s", page=number, pages=len(pages))
        assert counter in page["texts"], (number, page["texts"][-3:])
        assert "第一幼儿园" in page["texts"]
    # The written part is portrait; the bureau's summary table is on a landscape page of its own.
    assert not pages[0]["landscape"]
    [form] = [page for page in pages if "资助情况汇总表（教育局格式）" in page["text"]]
    assert form["landscape"]
    # Project names are never stacked one character per line: the name is one text box.
    assert "学前教育幼儿资助" in form["texts"]
    # 万元 with exactly four places in the form.
    amounts = [t for t in form["texts"] if re.fullmatch(r"\d+\.\d+", t)]
    assert "2.8000" in amounts and "0.5000" in amounts
    assert all(len(t.split(".")[1]) == 4 for t in amounts), amounts
    # No API link anywhere on paper.
    assert not any("/api/v1" in page["text"] for page in pages)


def test_the_first_term_says_once_that_there_is_nothing_to_compare_with(kg):  # noqa: F811
    page = exports.to_html(files_data(kg, kg.report), language="en")
    assert page.count("No previous term to compare with") == 1
    assert "Previous term" not in page
    assert "Schools against the previous term" not in page


def test_the_written_summary_follows_the_reports_language(kg):  # noqa: F811
    data = files_data(kg, kg.report)
    with override("en"):
        english = document.written_summary(data)
    assert english[0] == (
        "In the 2026 autumn term, 第一幼儿园 had 251 students enrolled; 28 of them were aided "
        "(28 awards), 11.16% of enrolment."
    )
    assert "allocated: 28,000.00 yuan" in english[1] and "paid 28,000.00" not in english[1]
    assert "28,000.00 yuan paid" in english[1]
    assert "Government funds arrived at 100.00%" in english[1]
    assert english[-1] == "No problems were found."
    with override("zh-hans"):
        chinese = document.written_summary(data)
    assert chinese != english and "2026年秋季学期" in chinese[0]


def test_the_issuer_is_the_school_or_the_districts_bureau(kg):  # noqa: F811
    data = files_data(kg, kg.report)
    assert document.issuer(data) == "第一幼儿园"
    with override("en"):
        assert document.issuer({**data, "scope": "district"}) == "示范县 Education Bureau"


def test_a_report_built_before_names_were_kept_names_its_builder_by_login(kg):  # noqa: F811
    data = dict(files_data(kg, kg.report))
    data.pop("built_by_name")
    assert document.builder(data) == "kg_admin"
    assert document.builder(files_data(kg, kg.report)) == kg.admin.get_full_name()


# Records: by name, on paper only as an annex --------------------------------------------------


@pytest.fixture
def busy(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    school = busy_school(scene, "BUSY", 40)
    scene.report = build(scene, django_capture_on_commit_callbacks, school=school)
    return scene


def test_records_are_in_words_and_printed_only_as_an_annex(busy):
    plain = export(busy.admin, busy.report, "html", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Annex: Records" not in plain and "Late or unpaid awards" not in plain
    url = f"/api/v1/reports/{busy.report.pk}/export/?format=html&lang=en&annex=true"
    annexed = client_for(busy.admin).get(url).content.decode()
    assert annexed.count("Annex: Records") == 1
    # Students and schools by name, reasons in words, no code nor link.
    assert re.search(r"<td>学生\d+</td><td>BUSY小学</td>", annexed)
    assert "Quota full" in annexed and "quota_full" not in annexed
    assert "/api/v1/" not in annexed
    assert "PRESCHOOL-AID" not in annexed


def test_the_xlsx_lists_the_records_by_name(busy):
    book = openpyxl.load_workbook(io.BytesIO(export(busy.admin, busy.report, "xlsx").content))
    values = [c.value for row in book["明细"].iter_rows() for c in row if c.value is not None]
    assert any(isinstance(v, str) and re.fullmatch(r"学生\d+", v) for v in values)
    assert "BUSY小学" in values and "BUSY" not in values
    assert not any(isinstance(v, str) and "/api/v1" in v for v in values)


@pytest.mark.pdf
def test_the_annexed_pdf_has_no_link(busy):
    url = f"/api/v1/reports/{busy.report.pk}/export/?format=pdf&annex=true"
    body = client_for(busy.admin).get(url).content
    assert body.startswith(b"%PDF") and b"/api/v1" not in body and b"/URI" not in body


# The XLSX as officials print it ------------------------------------------------------------


def test_every_sheet_is_bordered_frozen_and_set_up_for_printing(kg):  # noqa: F811
    book = openpyxl.load_workbook(io.BytesIO(export(kg.admin, kg.report, "xlsx").content))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows and sheet.freeze_panes
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    summary = book.worksheets[0]
    assert summary["A2"].value == in_chinese(
        "%(label)s: %(value)s", label=in_chinese("Issuing unit"), value="第一幼儿园"
    )
    aid = book["资助"]
    # The form's header rows are frozen and printed on every page; its cells are bordered.
    assert aid.freeze_panes == "B4" and aid.print_title_rows == "$2:$3"
    assert aid["A4"].border.left.style == "thin" and aid["C2"].border.top.style == "thin"
    # Columns as wide as the names they hold (a CJK character counts two).
    assert aid.column_dimensions["B"].width >= 2 * len("学前教育幼儿资助")
    # Yuan with two places, shares with two, 万元 with four.
    formats = {c.number_format for row in aid.iter_rows() for c in row if c.data_type == "n"}
    assert {"#,##0.0000", "#,##0.00"} <= formats


def test_the_year_report_has_the_same_header(year):  # noqa: F811
    page = export(year.admin, year.report, "html", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<td data-field="issuer">第一幼儿园</td>' in page
    assert "2026–2027 school year (2026 autumn term, 2027 spring term)" in page
    assert f'<td data-field="builder">{year.admin.get_full_name()}</td>' in page
    built = timezone.localtime(year.report.built_at).strftime("%Y-%m-%d %H:%M")
    assert f"{built} Beijing time" in page
    assert "Person in charge (signature)" in page
    # A year has no written summary of its own: its tables are its summary.
    assert "Summary of the term's aid work" not in page
