"""One look for every list Bangfu prints or exports: a bureau's document, in XLSX and PDF.

A list (the approved list, the public-notice sheet, the roster, the awards and
the payments of a project) is described once as a `ListDocument`: its title,
the issuing unit (填报单位), the lines of its header, its columns, its rows,
the notes under the table and whether a signature block closes it. The two
writers give it the same header and the same columns:

- `list_xlsx`: thin borders, the title merged over the table, the header row
  frozen and repeated on every printed page, columns fitted to their content
  (a CJK character counts two), numbers kept numbers with their format, A4
  landscape fitted to the page's width, pages numbered in the footer;
- `list_pdf`: WeasyPrint, A4 landscape, the issuing unit and the title at the
  top of every page, "第 x 页 共 y 页" at the bottom, the header row repeated
  and no row split across pages, the signature, seal and date block last.

The term report shares the page furniture and the signature block with the
lists (`core/templates/core/document_style.html`, `document_signatures.html`).
Interface text comes from the callers, already in the reader's language.
"""

import datetime
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import cell_text

# WeasyPrint logs every layout step at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_CONTENT_TYPE = "application/pdf"
FORMATS = ("xlsx", "pdf")

THIN_COLOUR = "808080"
HEADER_COLOUR = "F0F0F0"
# A header wider than this wraps instead of widening its column; no column grows past MAX_WIDTH.
HEADER_WIDTH = 16
MAX_WIDTH = 48
MIN_WIDTH = 6


class Kind:
    """How a column's values read: text, a count, yuan with two decimals, a date."""

    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = Kind.TEXT


@dataclass
class ListDocument:
    """A list as a document. `rows` hold plain values (str, int, Decimal yuan, date, None);
    rows from `total_from` on are totals (bold). `header` lines read "label: value"."""

    title: str
    issuer: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    header: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    builder: str = ""
    total_from: int | None = None
    signatures: bool = True
    # The students the list names, for the access log of whoever exports it.
    student_ids: list[int] = field(default_factory=list)


def printed_at() -> str:
    """Now on the reader's clock (the project's time zone), as a document's header gives it."""
    return _("%(time)s Beijing time") % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")}


def display(value, kind: str = Kind.TEXT) -> str:
    """A value as the printed list shows it: yuan with two decimals, counts with separators."""
    if value is None:
        return "" if kind == Kind.TEXT else "—"
    if value == "":
        return ""
    if kind == Kind.MONEY:
        return f"{Decimal(value):,.2f}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def text_width(value) -> int:
    """The width of a cell's text in Excel's units: a CJK character takes two."""
    text = value if isinstance(value, str) else display(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def number_format(value: Decimal) -> str:
    """As many decimals as the figure has: 万元 four, yuan and shares two."""
    places = max(0, -value.as_tuple().exponent)
    return "#,##0" + ("." + "0" * places if places else "")


def css_string(text: str) -> str:
    """Text as a quoted CSS string, safe inside a <style> element (no quote, backslash nor tag)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>&' or ord(c) < 32 else c for c in str(text))
    return f'"{escaped}"'


def page_counter_css() -> str:
    """The CSS `content` of the page counter, "第 x 页 共 y 页" in the active language."""
    marker = "\x00"
    text = _("Page %(page)s of %(pages)s") % {
        "page": f"{marker}page{marker}",
        "pages": f"{marker}pages{marker}",
    }
    parts = []
    for n, piece in enumerate(text.split(marker)):
        if n % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def page_furniture(*, issuer: str, title: str, builder: str) -> dict:
    """What every printed page and the signature block show: the issuing unit at the top left,
    the title at the top right, the page counter at the bottom, the builder (填表人)."""
    return {
        "issuer": issuer,
        "builder": builder,
        "page_left": css_string(issuer),
        "page_right": css_string(title),
        "page_counter": page_counter_css(),
    }


# XLSX ---------------------------------------------------------------------------------------


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if kind == Kind.MONEY:
        return Decimal(value).quantize(Decimal("0.01"))
    if isinstance(value, str):
        return cell_text(value)
    return value


def list_xlsx(document: ListDocument) -> bytes:
    """The list as one sheet, as officials print it (see the module docstring)."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color=THIN_COLOUR)
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = document.title.translate(str.maketrans({c: " " for c in "[]:*?/\\"}))[:31]
    width = max(len(document.columns), 1)

    def line(text: str, *, bold=False, size=None, centre=False) -> None:
        sheet.append([cell_text(text)])
        row = sheet.max_row
        if width > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = sheet.cell(row=row, column=1)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = Alignment(horizontal="center" if centre else "left", wrap_text=True)

    line(document.title, bold=True, size=14, centre=True)
    line(_("%(label)s: %(value)s") % {"label": _("Issuing unit"), "value": document.issuer})
    for label, value in document.header:
        line(_("%(label)s: %(value)s") % {"label": label, "value": value})
    header_row = sheet.max_row + 1
    widths = {}
    sheet.append([column.title for column in document.columns])
    for position, column in enumerate(document.columns, start=1):
        cell = sheet.cell(row=header_row, column=position)
        cell.font = Font(bold=True)
        cell.border = border
        cell.fill = PatternFill("solid", fgColor=HEADER_COLOUR)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths[position] = max(MIN_WIDTH, min(HEADER_WIDTH, text_width(column.title)))
    for index, values in enumerate(document.rows):
        total = document.total_from is not None and index >= document.total_from
        sheet.append(
            [_xlsx_value(v, c.kind) for v, c in zip(values, document.columns, strict=True)]
        )
        for position, column in enumerate(document.columns, start=1):
            cell = sheet.cell(row=sheet.max_row, column=position)
            cell.border = border
            if column.kind == Kind.MONEY and cell.value is not None:
                cell.number_format = "#,##0.00"
            elif column.kind == Kind.COUNT:
                cell.number_format = "#,##0"
            elif column.kind == Kind.DATE and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
            if total:
                cell.font = Font(bold=True)
            shown = display(values[position - 1], column.kind)
            widths[position] = max(widths[position], text_width(shown))
    for note in document.notes:
        line(note)
    if document.signatures:
        sheet.append([])
        line(_signature_line(document.builder))
    for position, fitted in widths.items():
        sheet.column_dimensions[get_column_letter(position)].width = min(MAX_WIDTH, fitted + 2)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _signature_line(builder: str) -> str:
    """The signature block of a spreadsheet, on one line: who signs, who filled it in, the date
    and the seal, each followed by room to write."""
    blank = "＿＿＿＿＿＿"
    parts = [
        _("%(label)s: %(value)s") % {"label": _("Person in charge (signature)"), "value": blank},
        _("%(label)s: %(value)s") % {"label": _("Prepared by"), "value": builder or blank},
        _("%(label)s: %(value)s") % {"label": _("Date"), "value": blank},
        _("%(label)s: %(value)s") % {"label": _("Seal of the issuing unit"), "value": blank},
    ]
    return "    ".join(parts)


# PDF ----------------------------------------------------------------------------------------


def list_html(document: ListDocument, *, language: str) -> str:
    """The list as the page WeasyPrint prints (the reader's language already active)."""
    numeric = {Kind.COUNT, Kind.MONEY}
    return render_to_string(
        "core/document_list.html",
        {
            "language": language,
            "list": document,
            "document": page_furniture(
                issuer=document.issuer, title=document.title, builder=document.builder
            ),
            "columns": [{"title": c.title, "numeric": c.kind in numeric} for c in document.columns],
            "rows": [
                {
                    "total": document.total_from is not None and index >= document.total_from,
                    "cells": [
                        {"text": display(v, c.kind), "numeric": c.kind in numeric}
                        for v, c in zip(values, document.columns, strict=True)
                    ],
                }
                for index, values in enumerate(document.rows)
            ],
        },
    )


def list_pdf(document: ListDocument, *, language: str) -> bytes:
    """The list printed (WeasyPrint; Chinese needs a CJK font such as Noto CJK)."""
    import weasyprint

    return weasyprint.HTML(string=list_html(document, language=language)).write_pdf()
