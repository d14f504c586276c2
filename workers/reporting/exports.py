"""The term report as files: HTML (with charts), PDF from that HTML, XLSX and CSV.

Each format renders the same tables (`workers.reporting.tables`) from a
version's figures as the reader may see them, in the active language.
"""

import csv
import io
import logging
from decimal import Decimal

import openpyxl
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.documents import (
    HEADER_COLOUR,
    HEADER_WIDTH,
    MAX_WIDTH,
    THIN_COLOUR,
    number_format,
    text_width,
)
from core.spreadsheets import cell_text
from donations.models import FundSource
from donations.money_words import FUND_GROUPS
from workers.reporting import charts, document, layout, tables, tables_year
from workers.reporting.figures_year import is_year

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
# WeasyPrint logs every layout step at INFO; a report is many pages.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _sections(data) -> list:
    """The tables of a term's report, or of a school year's."""
    return tables_year.sections(data) if is_year(data) else tables.sections(data)


def _title(data) -> str:
    """The document's title: where, the term's or the year's name (2026年秋季学期), version."""
    return _("%(where)s %(period)s aid report, version %(version)s") % {
        "where": data["schools"][0]["name"]
        if data["scope"] == "school"
        else data["district"]["name"],
        "period": document.period(data),
        "version": data.get("version", ""),
    }


# XLSX and CSV ------------------------------------------------------------------------------


THIN = Side(style="thin", color=THIN_COLOUR)
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOUR)


def _width(value) -> int:
    return text_width(_display(value) if not isinstance(value, str) else value)


def _xlsx_header(sheet, table, widths: dict) -> tuple[int, int]:
    """The table's one or two header rows, merged as the form has them; its first and last row."""
    first, covered = sheet.max_row + 1, set()
    for offset, cells in enumerate(table.header_rows()):
        row, column = first + offset, 1
        for th in cells:
            while (row, column) in covered:
                column += 1
            cell = sheet.cell(row=row, column=column, value=th["text"])
            last_row, last_column = row + th["rowspan"] - 1, column + th["colspan"] - 1
            if (last_row, last_column) != (row, column):
                sheet.merge_cells(
                    start_row=row, start_column=column, end_row=last_row, end_column=last_column
                )
            for r in range(row, last_row + 1):
                for c in range(column, last_column + 1):
                    covered.add((r, c))
                    sheet.cell(row=r, column=c).border = BORDER
                    sheet.cell(row=r, column=c).fill = HEADER_FILL
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if th["colspan"] == 1:
                widths[column] = max(widths.get(column, 6), min(HEADER_WIDTH, _width(th["text"])))
            column = last_column + 1
    return first, first + len(table.header_rows()) - 1


def _xlsx_table(sheet, table, widths: dict) -> tuple[int, int]:
    sheet.append([table.title])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
    first, last = _xlsx_header(sheet, table, widths)
    for index, row in enumerate(table.rows):
        sheet.append([cell_text(v) if isinstance(v, str) else v for v in row])
        total = table.total_from is not None and index >= table.total_from
        for position in range(1, len(row) + 1):
            cell = sheet.cell(row=sheet.max_row, column=position)
            cell.border = BORDER
            if isinstance(cell.value, Decimal):
                cell.number_format = number_format(cell.value)
            if total:
                cell.font = Font(bold=True)
            widths[position] = max(widths.get(position, 6), _width(row[position - 1]))
    if table.note:
        sheet.append([table.note])
    sheet.append([])
    return first, last


def _xlsx_page_setup(sheet, header: tuple[int, int] | None, columns: int) -> None:
    """Printed as officials print it: A4 landscape, fitted to the page's width, the first
    table's header repeated on every page and frozen on screen, pages numbered."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}
    if header is not None:
        first, last = header
        sheet.print_title_rows = f"{first}:{last}"
        # The names (and the form's stage and project) stay in sight while scrolling right.
        sheet.freeze_panes = sheet.cell(row=last + 1, column=min(columns, 2))


def to_xlsx(data: dict) -> bytes:
    """One sheet per section, its tables one under the other; numbers stay numbers."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    facts = _document(data)
    for section in _sections(data):
        sheet = workbook.create_sheet(section.title.translate(SHEET_FORBIDDEN)[:31])
        if section.key == "summary":
            sheet.append([_title(data)])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
            for label, value in [
                (_("Issuing unit"), facts["issuer"]),
                (_("School year") if is_year(data) else _("Term"), facts["period"]),
                (_("Prepared by"), facts["builder"]),
                (_("Built"), facts["built_at"]),
            ]:
                sheet.append([_("%(label)s: %(value)s") % {"label": label, "value": value}])
            sheet.append([])
        widths = {}
        header = None
        for table in section.tables:
            rows = _xlsx_table(sheet, table, widths)
            header = header or rows
        columns = max((len(t.columns) for t in section.tables), default=1)
        for position, width in widths.items():
            sheet.column_dimensions[get_column_letter(position)].width = min(MAX_WIDTH, width + 2)
        _xlsx_page_setup(sheet, header, columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(data: dict) -> bytes:
    """Every table one after the other, each with its title and header; UTF-8 with BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_title(data)])
    for section in _sections(data):
        for table in section.tables:
            writer.writerow([])
            writer.writerow([f"{section.title} / {table.title}"])
            writer.writerow(table.columns)
            for row in table.rows:
                writer.writerow(["" if v is None else cell_text(v) for v in row])
            if table.note:
                writer.writerow([table.note])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# HTML and PDF ------------------------------------------------------------------------------


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | Decimal):
        return f"{value:,}"
    return str(value)


def _percent(value) -> str:
    return document.percent(value)


def _money(value) -> str:
    return "—" if value is None else f"{Decimal(value):,}"


def _charts(data) -> list[tuple[str, str]]:
    """(caption, SVG markup) of each chart."""
    names = {school["code"]: school["name"] for school in data["schools"]}
    titles = [
        _("Share of enrolment aided, by school (%)"),
        _("Allocated and received, by source (yuan)"),
        _("Pair-weeks meeting the weekly target, week by week (%)"),
    ]
    position = {school["code"]: n for n, school in enumerate(data["schools"])}
    shares = data["aid"]["schools"]
    coverage = charts.horizontal_bars(
        titles[0],
        [
            (
                names[code],
                None if f["share_of_enrolment"] is None else Decimal(f["share_of_enrolment"]),
            )
            for code, f in shares.items()
        ],
        unit="%",
        css_class="coverage",
        colours=[charts.colour_of(position.get(code, 0)) for code in shares],
    )
    sources = dict(FundSource.choices)
    funds = data["aid"]["funds"]["by_source"]
    by_source = [
        (
            str(sources.get(source, source)),
            Decimal(funds[source]["allocated"]),
            Decimal(funds[source]["received"]),
        )
        for source in layout.in_source_order(funds)
    ]
    money = charts.paired_bars(
        titles[1],
        by_source,
        (str(layout.money_labels()["allocated"]), str(layout.money_labels()["received"])),
        css_class="money",
    )
    if not by_source:
        # No bars to draw: say so, instead of an empty frame with only its legend.
        money = charts.nothing_to_draw(
            _("No funding recorded for this school this term.")
            if data["scope"] == "school"
            else _("No funding recorded for this district this term."),
            css_class="money",
        )
    weeks = charts.line(
        titles[2],
        [
            (w["week"], None if w["share"] is None else Decimal(w["share"]))
            for w in data["mentoring"]["weeks"]
        ],
        css_class="compliance",
        empty=_("No week checked yet"),
    )
    return list(zip(titles, [coverage, money, weeks], strict=True))


def _money_cards(headline: dict) -> list[dict]:
    """The headline's money, one card per figure; the lines under a figure add up to it.

    Allocated and received split by source; awarded and paid by fund group;
    each rate is its fund group's alone, labelled with what it divides.
    """
    labels, groups = layout.money_labels(), layout.fund_group_labels()
    sources = dict(FundSource.choices)

    def card(name: str, parts: list[tuple[str, str]]) -> dict:
        return {
            "key": name,
            "value": _money(headline[name]),
            "label": labels[name],
            "parts": [(part, _money(amount)) for part, amount in parts],
        }

    cards = [
        card(
            name,
            [
                (sources.get(s, s), headline[f"{name}_by_source"][s])
                for s in layout.in_source_order(headline[f"{name}_by_source"])
            ],
        )
        for name in ("allocated", "received")
    ]
    cards += [
        card(name, [(groups[group], headline[f"{group}_{name}"]) for group in FUND_GROUPS])
        for name in ("awarded", "paid")
    ]
    for group in FUND_GROUPS:
        for rate in ("arrival_rate", "payout_rate"):
            cards.append(
                {
                    "key": f"{group}_{rate}",
                    "value": _percent(headline[f"{group}_{rate}"]),
                    "label": layout.group_label(group, rate),
                    "parts": [],
                }
            )
    return cards


def _cell(value) -> dict:
    """A cell's text and whether it reads as a number (right-aligned, never wrapped)."""
    numeric = value is None or (isinstance(value, int | Decimal) and not isinstance(value, bool))
    return {"text": _display(value), "numeric": numeric}


def _html_table(table) -> dict:
    return {
        "title": table.title,
        "columns": table.columns,
        "header": table.header_rows(),
        "note": table.note,
        # The bureau's form gets its own landscape page and its narrow figure columns.
        "form": table.groups is not None,
        "rows": [
            {
                "cells": [_cell(v) for v in row],
                "total": table.total_from is not None and index >= table.total_from,
            }
            for index, row in enumerate(table.rows)
        ],
    }


def _document(data) -> dict:
    """The header and the signature block's filled-in parts (填报单位, 填表人, time, period)."""
    previous = data.get("previous_term")
    return {
        "issuer": document.issuer(data),
        "period": document.period(data),
        "builder": document.builder(data),
        "built_at": document.local_time(data.get("built_at")),
        "previous": document.term_label(previous["code"]) if previous else None,
        "page_counter": document.page_counter_css(),
        "page_left": document.css_string(document.issuer(data)),
        "page_right": document.css_string(_title(data)),
        "summary": document.written_summary(data),
        "terms": [document.term_label(term["code"]) for term in data.get("terms", [])],
    }


def to_html(data: dict, *, language: str, nonce: str = "", annex: bool = False) -> str:
    """The report as one page; `nonce` lets its inline style run under the served page's CSP.

    The records behind the problems are printed only as an annex (`annex`), after the
    signatures: on paper an official signs figures, and lists go in the XLSX.
    """
    with translation.override(language):
        sections = [
            {
                "key": section.key,
                "title": section.title,
                "tables": [_html_table(table) for table in section.tables],
                "starts_with_form": bool(section.tables) and section.tables[0].groups is not None,
                "annex": section.key == "details",
            }
            for section in _sections(data)
            if annex or section.key != "details"
        ]
        context = {
            "title": _title(data),
            "language": language,
            "nonce": nonce,
            "data": data,
            "sections": sections,
            "document": _document(data),
        }
        if is_year(data):
            # A year's own figures are its summary's tables; no headline cards nor charts.
            return render_to_string("workers/report.html", {**context, "year": True})
        headline = data["headline"]
        return render_to_string(
            "workers/report.html",
            {
                **context,
                "headline": {
                    "enrolment": _display(headline["enrolment"]),
                    "aided_students": _display(headline["aided_students"]),
                    "aided_share": _percent(headline["aided_share"]),
                    "pairings": _display(headline["pairings"]),
                    "compliance_share": _percent(headline["compliance_share"]),
                    "sessions": _display(headline["sessions"]),
                    "home_visits": _display(headline["home_visits"]),
                    "donations": _money(headline["donations"]),
                },
                "money_cards": _money_cards(headline),
                "charts": _charts(data),
            },
        )


def pdf_available() -> bool:
    """Whether WeasyPrint can load here: it needs the system's Pango library."""
    try:
        import weasyprint  # noqa: F401
    except OSError:
        return False
    return True


def to_pdf(data: dict, *, language: str, annex: bool = False) -> bytes:
    """The HTML page printed to PDF (WeasyPrint; Chinese needs a CJK font such as Noto CJK)."""
    import weasyprint

    return weasyprint.HTML(string=to_html(data, language=language, annex=annex)).write_pdf()
