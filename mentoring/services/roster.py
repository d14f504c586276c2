"""The roster import (建档): a school's students for one term, from CSV or XLSX, all or nothing.

Contract:

- Every row is checked before anything is written. With any error nothing is
  written and `RosterInvalid` lists each error as `{"row", "column",
  "message"}`: `row` is the spreadsheet row (the header is row 1), `column` the
  Chinese header.
- A student is keyed by school and 学籍号. Importing the same file again
  updates the same students, never adds them twice. A column that is missing
  from the file leaves those fields of existing students as they are; a blank
  cell in a column that is present clears the field (or sets the default).
- Hardship indicators from 贫困类型 are added with source `roster`, dated the
  day of the import, once per student and kind: a kind already recorded from a
  roster is not added again, and kinds no longer listed are kept (history).
- ID numbers are kept only as a keyed hash and a masked form; no message ever
  contains a whole ID number.
- Text cells are stripped of whitespace, control and format characters of
  every Unicode kind at both ends; one that then starts with `=`, `+`, `-` or
  `@` is refused as a row error (formula injection): it is never stored, so
  no later export can hand a formula to a spreadsheet.
- Files larger than `settings.ROSTER_MAX_BYTES`, with more than
  `ROSTER_MAX_ROWS` student rows, XLSX files whose parts would unpack beyond
  `ROSTER_UNPACK_RATIO` times that size (zip bombs), whose XML declares a DTD (billion
  laughs, external entities: calamine would not expand them, the file is
  refused all the same) or whose sheet places cells far beyond any roster are
  refused under the key `file`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import IO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from mentoring import idnumbers
from mentoring.models import School, Student, Term, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.committees import roster_committees_resolve
from mentoring.services.roster_cells import CellError, cell_parser, is_blank
from mentoring.services.roster_columns import (
    COLUMNS,
    COLUMNS_BY_HEADER,
    COMMITTEE_HEADER,
    LEVEL_GRADES,
    ROSTER_MAX_ROWS,
    SCORE_PREFIX,
    RosterRow,
)
from mentoring.services.roster_files import read_upload, refuse_file, table_rows
from mentoring.services.roster_writer import RosterImportResult, id_number_hash, roster_rows_write

# An error list is for people to read; a wrong file would list every cell.
ROSTER_MAX_LISTED_ERRORS = 1_000
STUDENT_NUMBER = re.compile(r"^[0-9A-Za-z]+$")
PHONE = re.compile(r"^[0-9][0-9 -]*$")


class RosterInvalid(DomainError):
    """The roster has row errors; `extra["errors"]` lists them (at most a thousand)."""


def _header_name(value) -> str:
    if value is None:
        return ""
    # Exports write the brackets of 村组(社区) full-width as often as not.
    name = str(value).replace("\uff08", "(").replace("\uff09", ")")
    return "".join(name.split())


class _Errors:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, row: int, column: str, message) -> None:
        self.items.append({"row": row, "column": column, "message": str(message)})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        order = {column.header: index for index, column in enumerate(COLUMNS)}
        self.items.sort(key=lambda item: (item["row"], order.get(item["column"], -1)))
        total = len(self.items)
        raise RosterInvalid(
            ngettext(
                "The roster has %(count)s error; nothing was imported.",
                "The roster has %(count)s errors; nothing was imported.",
                total,
            )
            % {"count": total},
            extra={"error_count": total, "errors": self.items[:ROSTER_MAX_LISTED_ERRORS]},
        )


def _headers(header_row: tuple, *, school: School | None, errors: _Errors) -> dict[str, int]:
    """Column index of each known header. Unknown columns (省市, 区县, …) are ignored."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header_row):
        name = _header_name(value)
        if name not in COLUMNS_BY_HEADER:
            continue
        if name in positions:
            errors.add(1, name, _("This column appears twice."))
        positions[name] = index
    for column in COLUMNS:
        if column.header in positions or not column.required:
            continue
        if column.key == "school_code" and school is not None:
            continue
        errors.add(1, column.header, _("This column is missing."))
    errors.raise_if_any()
    return positions


@dataclass(frozen=True, slots=True)
class _FileColumn:
    """A known column of this file: where it is and how its cells are read, found once."""

    header: str
    index: int
    key: str
    text: bool
    # A blank cell is a row error (学校代码 is checked with the school chosen instead).
    required: bool
    parse: Callable[[object], object]


def _file_columns(positions: dict[str, int], *, today: date) -> list[_FileColumn]:
    columns = []
    for header, index in positions.items():
        column = COLUMNS_BY_HEADER[header]
        columns.append(
            _FileColumn(
                header=header,
                index=index,
                key=column.key,
                text=column.text,
                required=column.required and column.key != "school_code",
                parse=cell_parser(column, today=today),
            )
        )
    return columns


def _parse_row(
    number: int,
    cells: tuple,
    *,
    columns: list[_FileColumn],
    positions: dict[str, int],
    schools_by_code: dict[str, School],
    school: School | None,
    errors: _Errors,
) -> RosterRow:
    row = RosterRow(number=number)
    width = len(cells)
    for column in columns:
        value = cells[column.index] if column.index < width else None
        # A text cell reads as "" exactly when it is blank (and a blank one is
        # never refused), so it is read once instead of checked for blank first.
        if column.required and not column.text and is_blank(value):
            errors.add(number, column.header, _("A value is required."))
            continue
        try:
            parsed = column.parse(value)
        except CellError as exc:
            errors.add(number, column.header, exc)
            row.refused.add(column.key)
            continue
        if column.required and column.text and parsed == "":
            errors.add(number, column.header, _("A value is required."))
            continue
        row.values[column.key] = parsed

    if "学校代码" in positions:
        _place_in_school(row, schools_by_code=schools_by_code, school=school, errors=errors)
    else:
        row.school = school
    row.student_number = row.values.pop("student_number", "")
    if row.student_number and not STUDENT_NUMBER.match(row.student_number):
        errors.add(number, "学籍号", _("A student number has only letters and digits."))
        row.student_number = ""
    phone = row.values.get("guardian_phone")
    if phone and not PHONE.match(phone):
        errors.add(number, "联系电话", _("A phone number has digits, spaces and hyphens only."))
    _check_across_columns(row, errors)
    return row


def _place_in_school(
    row: RosterRow, *, schools_by_code: dict[str, School], school: School | None, errors: _Errors
) -> None:
    code = row.values.pop("school_code", None)
    if code is None:
        return  # already reported: the cell was refused
    if not code:
        if school is None:
            errors.add(row.number, "学校代码", _("A value is required."))
        row.school = school
        return
    found = schools_by_code.get(code)
    if found is None:
        # A code that exists elsewhere is answered exactly like one that does
        # not exist, so the import never tells which schools exist.
        errors.add(
            row.number,
            "学校代码",
            _("No school with this code that you administer in the term's district."),
        )
    elif school is not None and found.pk != school.pk:
        errors.add(row.number, "学校代码", _("This row is for another school than the one chosen."))
    else:
        row.school = found


def _check_across_columns(row: RosterRow, errors: _Errors) -> None:
    values = row.values
    if "id_number" in values:
        row.id_number = values.pop("id_number")
        if "birth_date" in values and idnumbers.birth_date(row.id_number) != values["birth_date"]:
            errors.add(
                row.number,
                "身份证号码",
                _("The birth date inside ID number %(masked)s is not 出生日期.")
                % {"masked": idnumbers.mask(row.id_number)},
            )
    if "level" in values and "grade" in values:
        allowed = LEVEL_GRADES[values["level"]]
        if values["grade"] not in allowed:
            errors.add(
                row.number,
                "年级",
                _("For this 学段 the grade is %(first)s to %(last)s.")
                % {"first": allowed[0], "last": allowed[-1]},
            )
    if (
        values.get("weak_subjects")
        and not values.get("struggling")
        and "struggling" not in row.refused
    ):
        errors.add(
            row.number, "薄弱科目", _("Weak subjects are listed only when 是否学困生 is 是.")
        )
    row.hardship = values.pop("hardship", [])
    for key in [key for key in values if key.startswith(SCORE_PREFIX)]:
        score = values.pop(key)
        if score is not None:
            subject, exam = key.removeprefix(SCORE_PREFIX).split(":")
            row.scores.setdefault(subject, {})[exam] = score


def _check_duplicates(rows: list[RosterRow], existing: dict, errors: _Errors) -> None:
    """The same 学籍号 twice, or one ID number for two students, is an error on the later row."""
    number_rows: dict[tuple[int, str], int] = {}
    hash_rows: dict[str, tuple[int, tuple[int, str]]] = {}
    existing_by_hash = {
        (student.school_id, student.id_hash): student.student_number
        for student in existing.values()
    }
    for row in rows:
        if row.school is None or not row.student_number:
            continue
        key = (row.school.pk, row.student_number)
        if key in number_rows:
            errors.add(
                row.number,
                "学籍号",
                _("This student number is already in row %(row)s.") % {"row": number_rows[key]},
            )
            continue
        number_rows[key] = row.number
        if not row.id_number:
            continue
        row_hash = row.id_hash = id_number_hash(row.id_number)
        earlier = hash_rows.get(row_hash)
        if earlier is not None and earlier[1] != key:
            errors.add(
                row.number,
                "身份证号码",
                _("ID number %(masked)s is already given to the student in row %(row)s.")
                % {"masked": idnumbers.mask(row.id_number), "row": earlier[0]},
            )
            continue
        hash_rows[row_hash] = (row.number, key)
        holder = existing_by_hash.get((row.school.pk, row_hash))
        if holder is not None and holder != row.student_number:
            errors.add(
                row.number,
                "身份证号码",
                _(
                    "ID number %(masked)s belongs to student number %(number)s, "
                    "already in this school."
                )
                % {"masked": idnumbers.mask(row.id_number), "number": holder},
            )


# The import


def _schools_in_scope(*, by: User | None, term: Term) -> dict[str, School]:
    """The schools of the term's district that the importer may write to, by code.

    `by=None` is the command line: whoever runs it on the server already has
    the whole database, so every school of the district is in scope.
    """
    schools = School.objects.filter(district_id=term.district_id)
    if by is not None:
        schools = schools.filter(pk__in=schools_administered_by(by).values("pk"))
    return {school.code: school for school in schools}


@transaction.atomic
def roster_import(
    *,
    by: User | None,
    term: Term,
    file: IO[bytes],
    filename: str,
    size: int,
    school: School | None = None,
    dry_run: bool = False,
) -> RosterImportResult:
    """Check every row of a roster file, then create or update its students for `term`.

    Raises `DomainError` (field `file` or `school`) when the file or the choice
    of school is refused as a whole, and `RosterInvalid` listing every row
    error; in both cases nothing is written. A dry run checks and counts the
    same way and writes nothing.
    """
    data = read_upload(file, size)
    schools_by_code = _schools_in_scope(by=by, term=term)
    if school is not None and schools_by_code.get(school.code) != school:
        raise DomainError(
            _("No school that you administer in the term's district has this id."),
            field="school",
        )

    errors = _Errors()
    table = table_rows(data, filename)
    header = next(table, None)
    if header is None or all(is_blank(value) for value in header):
        raise refuse_file(_("The file has no header row."))
    if school is None and "学校代码" not in {_header_name(value) for value in header}:
        raise DomainError(_("Choose a school, or give each row a 学校代码 column."), field="school")
    positions = _headers(header, school=school, errors=errors)
    columns = _file_columns(positions, today=timezone.localdate())

    rows: list[RosterRow] = []
    for number, cells in enumerate(table, start=2):
        if all(is_blank(value) for value in cells):
            continue
        if len(rows) == ROSTER_MAX_ROWS:
            raise refuse_file(
                _("The file has more than %(max)s student rows.") % {"max": ROSTER_MAX_ROWS}
            )
        rows.append(
            _parse_row(
                number,
                cells,
                columns=columns,
                positions=positions,
                schools_by_code=schools_by_code,
                school=school,
                errors=errors,
            )
        )
    if not rows:
        raise refuse_file(_("The file has no student rows."))

    school_ids = sorted({row.school.pk for row in rows if row.school is not None})
    existing = {
        (student.school_id, student.student_number): student
        for student in Student.objects.filter(school_id__in=school_ids)
    }
    _check_duplicates(rows, existing, errors)
    if COMMITTEE_HEADER in positions:
        roster_committees_resolve(rows, district_id=term.district_id, refuse=errors.add)
    errors.raise_if_any()

    present = {COLUMNS_BY_HEADER[header].key for header in positions}
    return roster_rows_write(
        rows=rows,
        existing=existing,
        present=present,
        term=term,
        by=by,
        dry_run=dry_run,
    )
