"""Reading an uploaded roster file: CSV (UTF-8 or GB18030) or XLSX, rows of cell values.

A file that cannot be a roster (too large, not CSV or XLSX, a zip bomb, XML
declaring entities) is refused as a whole, under the key `file`.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO

import openpyxl
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from core.errors import DomainError

# openpyxl parses XLSX parts with defusedxml only when it is importable and
# not switched off (OPENPYXL_DEFUSEDXML=False). Without it an uploaded file
# could expand entities, so the import refuses to load at all.
if not openpyxl.DEFUSEDXML:
    raise ImproperlyConfigured(
        "openpyxl must parse with defusedxml for the roster import: install defusedxml "
        "and do not set OPENPYXL_DEFUSEDXML=False."
    )

# A real roster XLSX unpacks to about ten times its size; a zip bomb to
# thousands of times. Python's zipfile never inflates a part beyond the size
# its directory declares, so checking the declared sizes is enough.
ROSTER_UNPACK_RATIO = 20
ROSTER_MAX_ZIP_PARTS = 200
# Only the first columns are read: a sheet claiming 16,384 columns would
# otherwise make every row that wide.
ROSTER_MAX_COLUMNS = 100
# Excel's own last row; openpyxl fills gaps between rows, so a forged row
# number beyond it could make it yield blank rows for a very long time.
EXCEL_MAX_ROW = 1_048_576
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
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refuse_file(unreadable) from exc
    unpacked = sum(part.file_size for part in parts)
    if (
        len(parts) > ROSTER_MAX_ZIP_PARTS
        or unpacked > settings.ROSTER_MAX_BYTES * ROSTER_UNPACK_RATIO
    ):
        raise refuse_file(_("The .xlsx file unpacks to far more data than a roster holds."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl raises many kinds of exception on a malformed file, and nothing
    # here touches the database: any failure means the file cannot be read.
    except Exception as exc:
        raise _unreadable_xlsx(exc, unreadable) from exc
    try:
        if not workbook.worksheets:
            raise refuse_file(_("The .xlsx file has no worksheet."))
        if PREFERRED_SHEET in workbook.sheetnames:
            sheet = workbook[PREFERRED_SHEET]
        else:
            sheet = workbook.worksheets[0]
        header_rows = sheet.iter_rows(
            min_row=1, max_row=1, max_col=ROSTER_MAX_COLUMNS, values_only=True
        )
        header = next(_guarded(header_rows, unreadable), ())
        # Rows are read only as wide as the header, so that a sheet claiming
        # thousands of columns does not make every row that wide.
        width = max(
            (index + 1 for index, value in enumerate(header) if value is not None), default=1
        )
        yield tuple(header[:width])
        rows = sheet.iter_rows(min_row=2, max_row=EXCEL_MAX_ROW, max_col=width, values_only=True)
        yield from _guarded(rows, unreadable)
    finally:
        workbook.close()


def _guarded(rows: Iterator[tuple], unreadable) -> Iterator[tuple]:
    # The worksheet XML is parsed lazily, row by row, so the entity and
    # malformation checks fire here rather than when the workbook opens.
    try:
        yield from rows
    except Exception as exc:
        raise _unreadable_xlsx(exc, unreadable) from exc


def _unreadable_xlsx(exc: BaseException, unreadable) -> DomainError:
    # openpyxl wraps what the XML parser raised in a ValueError, so the whole
    # chain is searched for defusedxml's refusal.
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return refuse_file(_("The .xlsx file contains XML that is not allowed."))
        cause = cause.__cause__ or cause.__context__
    return refuse_file(unreadable)
