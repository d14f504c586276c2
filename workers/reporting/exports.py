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
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.spreadsheets import cell_text
from donations.models import FundSource
from donations.money_words import FUND_GROUPS
from workers.reporting import charts, layout, tables, tables_year
from workers.reporting.figures_year import is_year

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
# WeasyPrint logs every layout step at INFO; a report is many pages.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _sections(data) -> list:
    """The tables of a term's report, or of a school year's."""
    return tables_year.sections(data) if is_year(data) else tables.sections(data)


def _title(data) -> str:
    where = data["schools"][0]["name"] if data["scope"] == "school" else data["district"]["name"]
    if is_year(data):
        return _("%(where)s school year report %(year)s, version %(version)s") % {
            "where": where,
            "year": data["school_year"],
            "version": data.get("version", ""),
        }
    return _("%(where)s term report %(term)s, version %(version)s") % {
        "where": where,
        "term": data["term"]["code"],
        "version": data.get("version", ""),
    }


# XLSX and CSV ------------------------------------------------------------------------------


def to_xlsx(data: dict) -> bytes:
    """One sheet per section, its tables one under the other; numbers stay numbers."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for section in _sections(data):
        sheet = workbook.create_sheet(section.title.translate(SHEET_FORBIDDEN)[:31])
        if section.key == "summary":
            sheet.append([_title(data)])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
            sheet.append([])
        widths = {}
        for table in section.tables:
            sheet.append([table.title])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append(table.columns)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for index, row in enumerate(table.rows):
                sheet.append([cell_text(v) if isinstance(v, str) else v for v in row])
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, Decimal):
                        cell.number_format = "#,##0.00##"
                    if table.total_from is not None and index >= table.total_from:
                        cell.font = bold
            if table.note:
                sheet.append([table.note])
            sheet.append([])
            for position, name in enumerate(table.columns, start=1):
                widths[position] = max(widths.get(position, 8), min(40, len(str(name)) * 2 + 2))
        for position, width in widths.items():
            sheet.column_dimensions[get_column_letter(position)].width = width
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
    return "—" if value is None else f"{Decimal(value):,} %"


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
    coverage = charts.horizontal_bars(
        titles[0],
        [
            (
                names[code],
                None if f["share_of_enrolment"] is None else Decimal(f["share_of_enrolment"]),
            )
            for code, f in data["aid"]["schools"].items()
        ],
        unit=" %",
        css_class="coverage",
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


def to_html(data: dict, *, language: str, nonce: str = "") -> str:
    """The report as one page; `nonce` lets its inline style run under the served page's CSP."""
    with translation.override(language):
        sections = [
            {
                "key": section.key,
                "title": section.title,
                "tables": [
                    {
                        "title": table.title,
                        "columns": table.columns,
                        "note": table.note,
                        "rows": [
                            {
                                "cells": [_display(v) for v in row],
                                "total": table.total_from is not None and index >= table.total_from,
                            }
                            for index, row in enumerate(table.rows)
                        ],
                    }
                    for table in section.tables
                ],
            }
            for section in _sections(data)
        ]
        context = {
            "title": _title(data),
            "language": language,
            "nonce": nonce,
            "data": data,
            "sections": sections,
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


def to_pdf(data: dict, *, language: str) -> bytes:
    """The HTML page printed to PDF (WeasyPrint; Chinese needs a CJK font such as Noto CJK)."""
    import weasyprint

    return weasyprint.HTML(string=to_html(data, language=language)).write_pdf()
