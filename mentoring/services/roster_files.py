"""Reading an uploaded roster file: CSV (UTF-8 or GB18030) or XLSX, rows of cell values.

A file that cannot be a roster (too large, not CSV or XLSX, a zip bomb, XML
declaring a DTD, a sheet with cells far beyond any roster) is refused as a
whole, under the key `file`. XLSX files are read with calamine (Rust): it
never expands XML entities, and the checks here keep its memory bounded.
"""

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from core.errors import DomainError

# A real roster XLSX unpacks to about ten times its size; a zip bomb to
# thousands of times. Python's zipfile and calamine's zip reader both refuse
# to inflate a part beyond the size its directory declares, so checking the
# declared sizes is enough.
ROSTER_UNPACK_RATIO = 20
ROSTER_MAX_ZIP_PARTS = 200
# Only the first columns are read: a sheet claiming 16,384 columns would
# otherwise make every row that wide.
ROSTER_MAX_COLUMNS = 100

# calamine reads a sheet into one dense grid from its first to its last cell,
# so a forged cell at XFD1048576 would ask for billions of cells and abort the
# process. Before calamine sees a sheet, every cell must carry its position as
# its first attribute (as Excel, WPS, LibreOffice and openpyxl all write it),
# none may carry a second one, and none holding a value may lie beyond
# XLSX_LAST_ROW or XLSX_LAST_COLUMN: the grid then stays under about 3 million
# cells. Both limits are written into _CELL_TAG below.
XLSX_LAST_ROW = 29_999  # ROSTER_MAX_ROWS students, their header and blank rows
XLSX_LAST_COLUMN = "CZ"  # the 104th, past ROSTER_MAX_COLUMNS
_ATTRIBUTES_BUT_R = rb"""(?:\s+(?!r\s*=)[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""
_FAR_POSITION = (
    rb"(?:[A-Za-z]{3,}[0-9]*|[D-Zd-z][A-Za-z][0-9]*"
    rb"|[A-Za-z]{0,2}0*(?:[3-9][0-9]{4}|[1-9][0-9]{5,}))"
)
# A cell tag that is refused: one holding a value beyond the limits (`far`),
# or one whose attributes after the position do not read plainly or name `r`
# again (calamine would take the last position given).
_CELL_TAG = re.compile(
    rb'<c r="(?:(?P<far>'
    + _FAR_POSITION
    + rb'"'
    + _ATTRIBUTES_BUT_R
    + rb'>)|[^"]*"(?!'
    + _ATTRIBUTES_BUT_R
    + rb"/?>))"
)
# Every way a cell tag can start; each must be the `<c r="` form above.
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
# What zipfile raises on a broken, encrypted or oddly compressed archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_PREFIXED_CELL = re.compile(rb"<[^\s<>!?/]+:c[\s/>]")
# ECMA-376 Part 2 [M1.18]: package XML shall not declare a DTD, and a reader
# shall treat one as an error. calamine never expands entities (an entity
# reference fails to read), so this is about a clear answer, not safety.
_DTD = re.compile(rb"<!(?i:doctype)")
PREFERRED_SHEET = "花名册"


def refuse_file(message) -> DomainError:
    return DomainError(message, field="file")


def read_upload(file: IO[bytes], size: int) -> bytes:
    limit = settings.ROSTER_MAX_BYTES
    too_large = _("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    if size > limit:
        raise refuse_file(too_large)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise refuse_file(too_large)
    if not data:
        raise refuse_file(_("The file is empty."))
    return data


def table_rows(data: bytes, filename: str) -> Iterator[tuple]:
    """Every row of the file as a tuple of cell values, the header first.

    The type is read from the content, not trusted from the name: an XLSX
    file is a zip archive, anything else must be CSV text.
    """
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in {".csv", ".xlsx", ""}:
        raise refuse_file(_("Upload the roster as a .xlsx or .csv file."))
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if suffix == ".xlsx":
        raise refuse_file(
            _("This is not an .xlsx file. Save the roster as .xlsx (not .xls) or as CSV.")
        )
    return _csv_rows(data)


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise refuse_file(_("This is not a CSV text file. Save the roster as CSV (UTF-8)."))
    else:
        # Excel in a Chinese locale saves CSV in GB18030 (GBK); UTF-8 is tried
        # first because a UTF-8 file is almost never also valid GB18030 text
        # with the same meaning, while the reverse happens.
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse_file(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _csv_rows(data: bytes) -> Iterator[tuple]:
    text = _decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield tuple(row[:ROSTER_MAX_COLUMNS])
    except csv.Error as exc:
        raise refuse_file(
            _("The CSV file cannot be read near line %(line)s.") % {"line": reader.line_num}
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    unreadable = _("The .xlsx file cannot be read. Open it in Excel and save it again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if (
                len(parts) > ROSTER_MAX_ZIP_PARTS
                or unpacked > settings.ROSTER_MAX_BYTES * ROSTER_UNPACK_RATIO
            ):
                raise refuse_file(_("The .xlsx file unpacks to far more data than a roster holds."))
            for part in parts:
                _check_part(archive.read(part), unreadable)
    except _ZIP_ERRORS as exc:
        raise refuse_file(unreadable) from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise refuse_file(_("The .xlsx file has no worksheet."))
        if PREFERRED_SHEET in names:
            sheet = workbook.get_sheet_by_name(PREFERRED_SHEET)
        else:
            sheet = workbook.get_sheet_by_index(0)
        # From A1, not from the first filled cell: the header is row 1 and
        # the row numbers in errors are the spreadsheet's.
        rows = sheet.to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise refuse_file(unreadable) from exc
    if not rows:
        return
    # Rows are read only as wide as the header, so that a sheet claiming
    # more columns does not make every row that wide. calamine gives a blank
    # cell as "", as the CSV reader does.
    header = rows[0][:ROSTER_MAX_COLUMNS]
    width = max((index + 1 for index, value in enumerate(header) if value != ""), default=1)
    for row in rows:
        yield tuple(row[:width])


def _check_part(content: bytes, unreadable) -> None:
    """Refuse a part that declares a DTD, or a sheet calamine could not read in bounded memory."""
    if _DTD.search(content):
        raise refuse_file(_("The .xlsx file contains XML that is not allowed."))
    if b"sheetData" not in content:
        return
    # A UTF-16 sheet would hide its cells from the byte checks below (calamine
    # reads no cells from one either); Excel and WPS write UTF-8.
    if b"\x00" in content:
        raise refuse_file(unreadable)
    placed = content.count(b'<c r="')
    if placed != sum(content.count(start) for start in _CELL_STARTS):
        raise refuse_file(unreadable)
    if b":c" in content and _PREFIXED_CELL.search(content):
        raise refuse_file(unreadable)
    refused = _CELL_TAG.search(content)
    if refused is None:
        return
    if refused["far"] is None:
        raise refuse_file(unreadable)
    raise refuse_file(
        _(
            "A worksheet has cells beyond row %(row)s or column %(column)s. Keep only the "
            "roster in the workbook and upload it again."
        )
        % {"row": XLSX_LAST_ROW, "column": XLSX_LAST_COLUMN}
    )
