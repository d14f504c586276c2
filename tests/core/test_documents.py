"""One look for every list (core.documents): the XLSX read back with openpyxl, the PDF's page
furniture and signature block, the same for the term report's templates."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.template.loader import get_template
from django.utils import translation

from core.documents import Column, Kind, ListDocument, list_html, list_pdf, list_xlsx
from tests.workers.printed import overflows, tofu


def document(rows: int = 3) -> ListDocument:
    return ListDocument(
        title="阳光小学 2026年秋季学期 义务教育生活补助资助名单",
        issuer="阳光小学",
        columns=[
            Column("序号"),
            Column("学校"),
            Column("姓名"),
            Column("年级", Kind.COUNT),
            Column("金额（元）", Kind.MONEY),
            Column("发放日期", Kind.DATE),
        ],
        rows=[
            [str(n), "阳光小学", f"学生{n}", 3, Decimal("312.50"), datetime.date(2026, 10, 9)]
            for n in range(1, rows + 1)
        ]
        + [["", "合计", "", "", Decimal("312.50") * rows, None]],
        total_from=rows,
        header=[("学期", "2026年秋季学期")],
        notes=["=SUM(A1) 不会被当作公式"],
        builder="王丽",
    )


def test_xlsx_is_printed_as_officials_print_it():
    with translation.override("zh-hans"):
        sheet = openpyxl.load_workbook(io.BytesIO(list_xlsx(document()))).active
    rows = list(sheet.iter_rows(values_only=True))
    header_row = next(n for n, row in enumerate(rows, start=1) if row[0] == "序号")

    # The title merged over the table's columns; the header frozen and repeated on every page.
    assert "A1:F1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    # Bordered, numbers kept numbers with their format, totals bold.
    amount = sheet.cell(row=header_row + 1, column=5)
    assert amount.value == Decimal("312.50") and amount.number_format == "#,##0.00"
    assert sheet.cell(row=header_row + 1, column=6).number_format == "yyyy-mm-dd"
    assert amount.border.left.style == "thin"
    assert sheet.cell(row=header_row + 4, column=5).font.bold
    # Columns fitted: the school's name (four CJK characters, 8 units) is not cut off.
    assert sheet.column_dimensions["B"].width >= 10
    # Text that starts like a formula stays text.
    assert "'=SUM(A1) 不会被当作公式" in [row[0] for row in rows]
    assert any("填表人：王丽" in (row[0] or "") for row in rows)


def test_report_and_lists_share_page_furniture_and_signatures():
    report = get_template("workers/report.html").template.source
    lists = get_template("core/document_list.html").template.source
    for source in (report, lists):
        assert '{% include "core/document_style.html" %}' in source
        assert "core/document_signatures.html" in source


@pytest.mark.pdf
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pdf_has_page_numbers_signatures_and_nothing_off_its_cell(language):
    import weasyprint

    with translation.override(language):
        html = list_html(document(rows=60), language=language)
        pdf = list_pdf(document(rows=60), language=language)
    assert pdf.startswith(b"%PDF")
    assert "counter(pages)" in html and 'id="signatures"' in html
    laid_out = weasyprint.HTML(string=html).render()
    # Landscape pages; 60 rows need more than one, each with its header row.
    assert all(page.width > page.height for page in laid_out.pages)
    assert len(laid_out.pages) >= 2
    assert overflows(laid_out) == [] and tofu(laid_out) == []
