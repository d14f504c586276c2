"""The empty roster to fill in: its header row as CSV, or an XLSX documenting every column."""

import csv
import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mentoring.models import HardshipKind, Subject
from mentoring.services.roster_columns import (
    BOARDING,
    COLUMNS,
    GENDERS,
    HARDSHIP_WORDS,
    LEVELS,
    ROSTER_MAX_ROWS,
    SUBJECT_WORDS,
    YES_NO,
)
from mentoring.services.roster_files import PREFERRED_SHEET

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def roster_template_csv() -> bytes:
    """The header row as UTF-8 CSV with a byte-order mark, which Excel needs to show Chinese."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.header for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def roster_template_xlsx() -> bytes:
    """A workbook with an empty 花名册 sheet to fill in and a 说明 sheet documenting each column.

    Text columns are formatted as text so Excel keeps leading zeros and all
    18 characters of an ID number; each header carries its rule as a comment.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = PREFERRED_SHEET
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        cell.comment = Comment(str(column.help), "Bangfu")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 4)
        if column.text or column.key in {"id_number", "birth_date"}:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    _add_dropdowns(sheet)

    notes = workbook.create_sheet("说明")
    notes.append([str(_("Column")), str(_("Rule")), str(_("Values"))])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        notes.append([column.header, str(column.help), _documented_values(column.key)])
    notes.append([])
    notes.append(
        [
            str(_("Import")),
            str(
                _(
                    "Every row is checked; with any error nothing is imported and each error "
                    "is listed by row and column. Importing the file again updates the same "
                    "students (school + 学籍号). Cells starting with =, +, -, @ are refused."
                )
            ),
        ]
    )
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 80
    notes.column_dimensions["C"].width = 80

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _documented_values(key: str) -> str:
    if key == "hardship":
        return "; ".join(
            f"{word} → {HardshipKind(kind).label}" for word, kind in HARDSHIP_WORDS.items()
        )
    if key == "weak_subjects":
        return "; ".join(
            f"{word} → {Subject(subject).label}" for word, subject in SUBJECT_WORDS.items()
        )
    lists = {
        "gender": GENDERS,
        "level": LEVELS,
        "boarding": BOARDING,
        "disabled": YES_NO,
        "struggling": YES_NO,
    }
    return " / ".join(lists[key]) if key in lists else ""


def _add_dropdowns(sheet) -> None:
    letters = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, 1)}
    for key, choices in [
        ("gender", GENDERS),
        ("level", LEVELS),
        ("boarding", BOARDING),
        ("disabled", YES_NO),
        ("struggling", YES_NO),
    ]:
        validation = DataValidation(
            type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
        )
        validation.add(f"{letters[key]}2:{letters[key]}{ROSTER_MAX_ROWS + 1}")
        sheet.add_data_validation(validation)
