"""The demo county's term report as a district official prints it (issue 16's check).

Called by the demo's test on the report `make demo` issued: the bureau's summary
table on one or two landscape pages with no row split between pages, no code,
id or link on any page, the header, the signature block and the written summary.
"""

import re

from django.utils.translation import gettext, override

from donations.models import AidProject
from mentoring.models import District, School, User
from tests.workers.printed import overflows, pdf_page_texts, split_rows, tofu
from workers.reporting import exports
from workers.reports import ReportReader, for_files

FORM_TITLE = "资助情况汇总表（教育局格式）"


def _form_pages(document) -> list:
    """The pages holding part of the bureau's summary table (table.form)."""

    def holds_form(box):
        if type(box).__name__ == "TableBox" and "form" in (box.element.get("class") or ""):
            return True
        return any(holds_form(child) for child in getattr(box, "children", ()))

    return [page for page in document.pages if holds_form(page._page_box)]


def check_printed_county_report(report, reader: User) -> None:
    import weasyprint

    data = for_files(report, ReportReader(reader).data(report))
    document = weasyprint.HTML(string=exports.to_html(data, language="zh-hans")).render()
    form = _form_pages(document)
    assert 1 <= len(form) <= 2, f"the summary table takes {len(form)} pages"
    assert all(page.width > page.height for page in form), "the summary table is not landscape"
    assert split_rows(document, "form") == []
    assert overflows(document) == []
    assert tofu(document) == []

    pages = pdf_page_texts(document.write_pdf())
    assert len(pages) == len(document.pages)
    text = "\n".join(pages)
    # No code, id or link on paper: schools, projects and the district by name only.
    codes = [
        *School.objects.filter(district=report.district).values_list("code", flat=True),
        *AidProject.objects.values_list("code", flat=True),
        *District.objects.values_list("code", flat=True),
        report.term.code,
    ]
    assert [code for code in codes if code in text] == []
    assert re.search(r"https?://|/api/|\bid\b", text) is None
    # The header, the counter on every page, the written summary and the signature block.
    first = re.sub(r"\s+", "", pages[0])
    assert report.district.name in first and "2026年秋季学期" in first
    assert reader.get_full_name() in first
    with override("zh-hans"):
        for number, page in enumerate(pages, start=1):
            counter = gettext("Page %(page)s of %(pages)s") % {"page": number, "pages": len(pages)}
            assert re.sub(r"\s+", "", counter) in re.sub(r"\s+", "", page), number
        for label in ["Person in charge (signature)", "Seal of the issuing unit", "Prepared by"]:
            assert gettext(label) in first, label
    headline = data["headline"]
    assert f"{headline['sessions']:,}" in first  # the written summary, the report's figures
    assert FORM_TITLE in re.sub(r"\s+", "", text)
