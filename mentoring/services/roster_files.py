"""Reading an uploaded roster file: CSV (UTF-8 or GB18030) or XLSX, rows of cell values.

A file that cannot be a roster (too large, not CSV or XLSX, a zip bomb, XML
declaring a DTD, a sheet with cells far beyond any roster) is refused as a
whole, under the key `file`. XLSX files are read with calamine (Rust): it
never expands XML entities, and the checks here keep its memory bounded.
"""

import csv
import html
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO

from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

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
# process. Before calamine reads the sheet, every cell must carry its position
# as its first attribute (as Excel, WPS, LibreOffice, openpyxl and the .NET
# Open XML SDK all write it), none may carry a second one, and none holding a
# value may lie beyond XLSX_LAST_ROW or XLSX_LAST_COLUMN: the grid then stays
# under about 3 million cells. _FAR_POSITION is built from both limits.
XLSX_LAST_ROW = 29_999  # ROSTER_MAX_ROWS students, their header and blank rows
XLSX_LAST_COLUMN = "CZ"  # the 104th, past ROSTER_MAX_COLUMNS
XLSX_MAX_CELLS = XLSX_LAST_ROW * ROSTER_MAX_COLUMNS
# calamine copies a shared string into every cell that shows it: a hundred
# thousand cells showing one 100 KB string ask for 10 GB from a 200 KB upload.
# No roster field takes more than 100 characters (MAX_LENGTHS) and a bank's
# reason is kept to 200, so a cell of the sheet read may show at most
# XLSX_MAX_CELL_TEXT characters, and all its cells together XLSX_MAX_SHARED_TEXT
# of shared text (a few tens of MB, whatever the file).
XLSX_MAX_CELL_TEXT = 1_000
XLSX_MAX_SHARED_TEXT = XLSX_LAST_ROW * XLSX_MAX_CELL_TEXT


def _after(limit: str, alphabet: bytes) -> bytes:
    """A pattern for the row numbers (alphabet `0-9`) or column letters (`A-Z`) after `limit`:
    longer ones, or as long and larger at the first place they differ."""
    digits = alphabet == b"0-9"
    any_char = b"[0-9]" if digits else b"[A-Za-z]"

    def exactly(char: str) -> bytes:
        return char.encode() if digits else f"[{char}{char.lower()}]".encode()

    def above(char: str) -> bytes | None:
        last = "9" if digits else "Z"
        if char >= last:
            return None
        step = chr(ord(char) + 1)
        return f"[{step}-9]".encode() if digits else f"[{step}-Z{step.lower()}-z]".encode()

    width = len(limit)
    options = [(b"[1-9]" if digits else any_char) + any_char + b"{%d,}" % width]
    for place, char in enumerate(limit):
        larger = above(char)
        if larger is not None:
            prefix = b"".join(exactly(c) for c in limit[:place])
            options.append(prefix + larger + any_char + b"{%d}" % (width - place - 1))
    return b"(?:" + b"|".join(options) + b")"


_FAR_POSITION = (
    _after(XLSX_LAST_COLUMN, b"A-Z")
    + b"[0-9]*|[A-Za-z]{0,%d}0*" % len(XLSX_LAST_COLUMN)
    + _after(str(XLSX_LAST_ROW), b"0-9")
)
# A namespace prefix, as the .NET Open XML SDK writes every tag (`<x:c r="A1">`).
_PREFIX = rb"(?:[A-Za-z_][A-Za-z0-9_.\-]*:)?"
_ATTRIBUTES_BUT_R = rb"""(?:\s+(?!r\s*=)[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""
# A cell tag that is refused: one holding a value beyond the limits (`far`),
# or one whose attributes after the position do not read plainly or name `r`
# again (calamine would take the last position given).
_CELL_TAG = re.compile(
    b"<"
    + _PREFIX
    + rb'c r="(?:(?P<far>'
    + _FAR_POSITION
    + rb')"'
    + _ATTRIBUTES_BUT_R
    + rb'>|[^"]*"(?!'
    + _ATTRIBUTES_BUT_R
    + rb"/?>))"
)
# Every way a cell tag can start; each must be the `<c r="` form above.
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_CELL_START = re.compile(b"<" + _PREFIX + rb"c[\s/>]")
_PLACED_CELL = re.compile(b"<" + _PREFIX + rb'c r="')
# A cell showing a shared string, as every writer puts it: its type among its
# attributes, then its one value, the string's index. Each cell typed "s"
# must read so (calamine would take another value, or the last of several).
_SHARED_TAG = re.compile(
    b"<"
    + _PREFIX
    + rb"""c r="[^"]*"(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*?\s+t\s*=\s*(?:"s"|'s')"""
)
_SHARED_CELL = re.compile(
    _SHARED_TAG.pattern
    + _ATTRIBUTES_BUT_R
    + rb"(?:/>|>\s*(?:<"
    + _PREFIX
    + rb"v>([0-9]+)</"
    + _PREFIX
    + rb"v>\s*)?</"
    + _PREFIX
    + rb"c>)"
)
# Text written in the sheet itself (an inline string, a formula's result).
_LONG_TEXT = re.compile(b"<" + _PREFIX + rb"(?:t|v)(?:\s[^>]*)?>([^<]{%d,})" % XLSX_MAX_CELL_TEXT)
# calamine reads these parts by name, whatever their case.
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_SHARED_STRINGS = "xl/sharedStrings.xml"
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET = re.compile(
    b"<" + _PREFIX + rb"""sheet(?=[\s/>])((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)"""
)
_RELATIONSHIP = re.compile(
    b"<" + _PREFIX + rb"""Relationship(?=[\s/>])((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)"""
)
# ECMA-376 Part 2 [M1.18]: package XML shall not declare a DTD, and a reader
# shall treat one as an error. calamine never expands entities (an entity
# reference fails to read), so this is about a clear answer, not safety. Only
# XML parts are looked at: an SVG image may well declare its DTD.
_DTD = re.compile(rb"<!(?i:doctype)")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# A shared-strings table of plain strings only (`<si><t>text</t></si>`, the
# text UTF-8 with XML's own references), the whole part: what
# `_shared_string_lengths` reads without a parser. Anything else (rich text,
# a phonetic guide, a prefix, another encoding) goes through the parser.
# Possessive quantifiers: the pieces cannot overlap, so nothing is given back, and
# the engine keeps no state per repeat (a 20 MB part would otherwise take GBs).
_PLAIN_TEXT = rb"[^<&]*+(?:&(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});[^<&]*+)*+"
_PLAIN_SHARED_STRINGS = re.compile(
    rb"(?:<\?xml[^>]*\?>)?\s*<sst(?:\s[^>]*)?>"
    rb"((?:<si><t(?:\s+xml:space=\"preserve\")?>" + _PLAIN_TEXT + rb"</t></si>)*+)"
    rb"</sst>\s*"
)
_PLAIN_SHARED_TEXT = re.compile(rb"<t[^>]*>(" + _PLAIN_TEXT + rb")</t>")
_REFERENCE = re.compile(rb"&[^;]*;")
_PIECE = 65_536
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
    # Whatever goes wrong in reading (a broken archive, a value calamine cannot
    # turn into Python, a panic in its Rust code) is the file's fault: a 400.
    try:
        rows = _xlsx_grid(data, unreadable)
    except DomainError:
        raise
    except Exception as exc:
        raise refuse_file(unreadable) from exc
    except BaseException as exc:
        # pyo3 raises a Rust panic as pyo3_runtime.PanicException, outside Exception.
        if type(exc).__name__ != "PanicException":
            raise
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


def _xlsx_grid(data: bytes, unreadable) -> list[list]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
        unpacked = sum(part.file_size for part in parts)
        if (
            len(parts) > ROSTER_MAX_ZIP_PARTS
            or unpacked > settings.ROSTER_MAX_BYTES * ROSTER_UNPACK_RATIO
        ):
            raise refuse_file(_("The .xlsx file unpacks to far more data than a roster holds."))
        # calamine finds a part by its name in any case, Python by its exact
        # name: two names that differ only in case could make them read two parts.
        lowered = {part.filename.lower() for part in parts}
        if len(lowered) != len(parts):
            raise refuse_file(unreadable)
        # calamine opens any workbook it recognises: a zip holding a binary
        # workbook (.xlsb) or an OpenDocument sheet would be read past every
        # check below, which reads XLSX's XML parts. Only an XLSX is opened.
        if _WORKBOOK not in lowered or any(name.endswith(".bin") for name in lowered):
            raise refuse_file(unreadable)
        for part in parts:
            if part.filename.lower().endswith(_XML_SUFFIXES) and _DTD.search(archive.read(part)):
                raise refuse_file(_("The .xlsx file contains XML that is not allowed."))
        # Opening reads the workbook's list of sheets and its shared strings, no cell.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise refuse_file(_("The .xlsx file has no worksheet."))
        name = PREFERRED_SHEET if PREFERRED_SHEET in names else names[0]
        lengths = _shared_string_lengths(_part(archive, _SHARED_STRINGS), unreadable)
        path = _sheet_path(archive, name)
        if path is not None:
            _check_sheet(archive.read(path), name, lengths, unreadable)
        else:
            # The sheet's part was not found as calamine finds it: every sheet is checked.
            for part in parts:
                content = archive.read(part)
                if b"sheetData" in content:
                    _check_sheet(content, part.filename, lengths, unreadable)
    sheet = workbook.get_sheet_by_name(name)
    # From A1, not from the first filled cell: the header is row 1 and
    # the row numbers in errors are the spreadsheet's.
    return sheet.to_python(skip_empty_area=False)


def _part(archive: zipfile.ZipFile, path: str) -> bytes | None:
    """The part calamine reads at `path`: the first whose name matches it in any case."""
    for name in archive.namelist():
        if name.lower() == path.lower():
            return archive.read(name)
    return None


def _attributes(text: bytes) -> dict[bytes, bytes]:
    """A tag's attributes, raw; the last of a name counts, as in calamine."""
    return {key: double or single for key, double, single in _ATTRIBUTE.findall(text)}


def _sheet_path(archive: zipfile.ZipFile, name: str) -> str | None:
    """The part of the sheet `name`, found as calamine finds it through the workbook's
    relationships; None where this reading of them finds none."""
    workbook = _part(archive, _WORKBOOK)
    rels = _part(archive, _WORKBOOK_RELS)
    if workbook is None or rels is None:
        return None
    targets = {}
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match[1])
        targets[attributes.get(b"Id", b"")] = attributes.get(b"Target", b"")
    for match in _SHEET.finditer(workbook):
        attributes = _attributes(match[1])
        raw = attributes.get(b"name")
        if raw is None or html.unescape(raw.decode("utf-8", "replace")) != name:
            continue
        key = attributes.get(b"r:id", attributes.get(b"relationships:id"))
        target = targets.get(key) if key is not None else None
        if target is None:
            return None
        target = target.decode("utf-8", "replace")
        if target.startswith("/xl/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = f"xl/{target}"
        for part in archive.namelist():
            if part.lower() == target.lower():
                return part
        return None
    return None


def _shared_string_lengths(content: bytes | None, unreadable) -> list[int]:
    """For each string calamine keeps from the shared strings, at least its length.

    calamine keeps a string for each `<si>` holding a rich-text run or a text
    outside a phonetic guide, in order; the length counted is that of all the
    texts inside it.
    """
    if content is None:
        return []
    plain = _PLAIN_SHARED_STRINGS.fullmatch(content)
    if plain is not None:
        # The table as Excel and WPS write it, each string one plain text: every
        # `<si>` is kept, its length its text's, found without building elements.
        return [
            _plain_text_length(text)
            for text in _PLAIN_SHARED_TEXT.findall(content, plain.start(1), plain.end(1))
        ]
    return _parsed_shared_string_lengths(content, unreadable)


def _plain_text_length(text: bytes) -> int:
    """The characters of a plain text (`_PLAIN_TEXT`), as the parser counts them: each
    reference one, whichever it names (calamine reads &#x7f; or &#1; as one, where
    html.unescape would drop it and count none), and a line end written \r\n one (XML reads
    it as \n).

    Read in pieces that each start at a reference, so that the memory stays small
    however many references the text holds (a part may unpack to 200 MB).
    """
    length, start = 0, 0
    while start < len(text):
        end = text.find(b"&", start + _PIECE)
        if end == -1:
            end = len(text)
        piece = text[start:end]
        length += len(_REFERENCE.sub(b"&", piece).decode()) - piece.count(b"\r\n")
        start = end
    return length


def _parsed_shared_string_lengths(content: bytes, unreadable) -> list[int]:
    """`_shared_string_lengths` of any table, with an XML parser."""
    lengths: list[int] = []
    inside = kept = phonetic = False
    length = 0
    for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        local = element.tag.rpartition("}")[2]
        if local == "si":
            if event == "start":
                # A string inside a string ends where calamine and a parser disagree.
                if inside:
                    raise refuse_file(unreadable)
                inside, kept, phonetic, length = True, False, False, 0
            else:
                if kept:
                    lengths.append(length)
                inside = False
                element.clear()
        elif inside and local == "rPh":
            phonetic = event == "start"
        elif inside and event == "start" and (local == "r" or (local == "t" and not phonetic)):
            kept = True
        elif inside and event == "end" and local == "t":
            length += len("".join(element.itertext()))
    return lengths


def _check_sheet(content: bytes, sheet: str, lengths: list[int], unreadable) -> None:
    """Refuse a sheet calamine could not read in bounded memory."""
    # A UTF-16 sheet would hide its cells from the byte checks below (calamine
    # reads no cells from one either); Excel and WPS write UTF-8. No writer
    # puts comments or CDATA in a sheet; they could hide a value from them.
    if b"\x00" in content or b"<!" in content:
        raise refuse_file(unreadable)
    if b":c" in content:
        placed = len(_PLACED_CELL.findall(content))
        started = len(_CELL_START.findall(content))
    else:
        placed = content.count(b'<c r="')
        started = sum(content.count(start) for start in _CELL_STARTS)
    if placed != started:
        raise refuse_file(unreadable)
    if placed > XLSX_MAX_CELLS:
        raise refuse_file(_("The .xlsx file unpacks to far more data than a roster holds."))
    refused = _CELL_TAG.search(content)
    if refused is not None:
        if refused["far"] is None:
            raise refuse_file(unreadable)
        raise refuse_file(
            _(
                "The worksheet %(sheet)s has a value in cell %(cell)s, beyond row %(row)s or "
                "column %(column)s. Delete what lies beyond the roster and upload it again."
            )
            % {
                "sheet": sheet,
                "cell": refused["far"].decode(),
                "row": XLSX_LAST_ROW,
                "column": XLSX_LAST_COLUMN,
            }
        )
    too_long = _("A cell of the worksheet %(sheet)s holds more text than any roster field allows.")
    for text in _LONG_TEXT.findall(content):
        if len(text.decode("utf-8", "replace")) > XLSX_MAX_CELL_TEXT:
            raise refuse_file(too_long % {"sheet": sheet})
    shown = _SHARED_CELL.findall(content)
    if len(shown) != len(_SHARED_TAG.findall(content)):
        raise refuse_file(unreadable)
    total = 0
    for index, count in Counter(shown).items():
        if not index:  # an empty cell
            continue
        length = lengths[int(index)] if int(index) < len(lengths) else 0
        if length > XLSX_MAX_CELL_TEXT:
            raise refuse_file(too_long % {"sheet": sheet})
        total += length * count
    if total > XLSX_MAX_SHARED_TEXT:
        raise refuse_file(_("The .xlsx file unpacks to far more data than a roster holds."))
