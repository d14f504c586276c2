"""XLSX rosters calamine could not read in bounded memory, or without a 500, are refused
with a clear message; files that read before the move to calamine still do."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.utils import translation

from core.errors import DomainError
from mentoring.services import roster_files
from mentoring.services.roster_files import XLSX_MAX_CELL_TEXT, table_rows
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    roster_row,
    row_counts,
    send,
    xlsx_bytes,
)
from tests.mentoring.roster.test_roster_xlsx_reading import (
    SHEET,
    one_row_roster,
    refused_file,
    upload,
    with_sheet,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shared_string_bomb(rows: int, columns: int, text_length: int, character: str = "x") -> bytes:
    """A small workbook whose every cell shows the same shared string of `text_length`
    characters, each written as `character` (a letter, or a reference such as &#x7f;)."""
    cells = ['<row r="1"><c r="A1" t="s"><v>1</v></c></row>']
    for row in range(2, rows + 2):
        cells.append(
            f'<row r="{row}">'
            + "".join(f'<c r="{column_letters(c)}{row}" t="s"><v>0</v></c>' for c in range(columns))
            + "</row>"
        )
    sheet = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{"".join(cells)}</sheetData></worksheet>'
    strings = (
        f'<sst xmlns="{MAIN_NS}" count="2" uniqueCount="2">'
        f"<si><t>{character * text_length}</t></si><si><t>学籍号</t></si></sst>"
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == SHEET:
                data = sheet.encode()
            elif part.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif part.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdS" Type="{SHARED_STRINGS_TYPE}" '
                    'Target="sharedStrings.xml"/></Relationships>'.encode(),
                )
            target.writestr(part, data)
        target.writestr("xl/sharedStrings.xml", strings)
    return out.getvalue()


class SheetsNeverRead:
    """calamine's workbook, but reading a sheet fails the test: the refusal must come first."""

    @classmethod
    def from_filelike(cls, filelike):
        workbook = roster_files.CalamineWorkbook.__wrapped__.from_filelike(filelike)
        return cls(workbook)

    def __init__(self, workbook):
        self.sheet_names = workbook.sheet_names

    def get_sheet_by_name(self, name):
        pytest.fail("calamine was asked to read the sheet")


@pytest.fixture
def calamine_reads_no_sheet(monkeypatch):
    SheetsNeverRead.__wrapped__ = roster_files.CalamineWorkbook
    monkeypatch.setattr(roster_files, "CalamineWorkbook", SheetsNeverRead)


def roster_after(title: str, cell: str, value: str, school) -> bytes:
    """A workbook whose first sheet `title` holds `value` at `cell`, then a 花名册 of one row."""
    workbook = openpyxl.Workbook()
    workbook.active.title = title
    workbook.active[cell] = value
    roster = workbook.create_sheet("花名册")
    roster.append(HEADERS)
    roster.append([roster_row(1, school).get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes) -> list[tuple]:
    # In English whatever language an earlier test left active: messages are matched.
    with translation.override("en"):
        return list(table_rows(data, "roster.xlsx"))


# One long shared string shown in many cells


def test_a_long_shared_string_in_many_cells_is_refused_before_calamine_reads(
    admin, term, calamine_reads_no_sheet
):
    # 206 KB that would ask calamine for 10 GB: 100,000 cells showing 100 KB each.
    bomb = shared_string_bomb(rows=20_000, columns=5, text_length=100_000)
    assert len(bomb) < 300_000

    message = refused_file(send(admin, upload(bomb), term))

    assert message == "A cell of the worksheet Sheet holds more text than any roster field allows."
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("reference", ["&#x7f;", "&#1;", "&#xFFFE;", "&#x1FFFF;", "&amp;"])
def test_a_long_shared_string_written_as_references_is_refused_too(
    reference, calamine_reads_no_sheet
):
    # Each reference is one character to calamine, whether or not HTML knows it.
    bomb = shared_string_bomb(rows=50, columns=1, text_length=200_000, character=reference)

    with pytest.raises(DomainError, match="holds more text than any roster field allows"):
        read(bomb)


def test_shared_text_shown_beyond_any_roster_is_refused_though_each_string_is_short(
    calamine_reads_no_sheet,
):
    # 100,000 cells of 900 characters: 90 million characters to copy.
    bomb = shared_string_bomb(rows=20_000, columns=5, text_length=900)

    with pytest.raises(DomainError, match="far more data than a roster holds"):
        read(bomb)


def test_a_few_cells_showing_a_shared_string_read_as_before():
    rows = read(shared_string_bomb(rows=3, columns=2, text_length=XLSX_MAX_CELL_TEXT))

    assert rows[1] == ("x" * XLSX_MAX_CELL_TEXT,)


def test_an_inline_string_longer_than_any_field_is_refused(calamine_reads_no_sheet):
    long = with_sheet(
        xlsx_bytes([]),
        lambda xml: xml.replace(
            "</sheetData>",
            f'<row r="9"><c r="A9" t="inlineStr"><is><t>{"长" * 1001}</t></is></c></row>'
            "</sheetData>",
        ),
    )

    with pytest.raises(DomainError, match="holds more text than any roster field allows"):
        read(long)


def test_long_notes_on_a_sheet_never_read_are_no_reason_to_refuse(admin, school_a, term):
    notes = roster_after("说明", "A1", "填写说明:" + "请按模板填写。" * 400, school_a)

    assert send(admin, upload(notes), term).status_code == 200


# A cell calamine cannot turn into a Python value


def test_a_duration_too_long_for_python_is_refused_not_a_server_error(admin, school_a, term):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([roster_row(1, school_a).get(header) for header in HEADERS])
    sheet["N2"].value = 1e12  # 家庭人口, formatted as a duration
    sheet["N2"].number_format = "[h]:mm:ss"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert "cannot be read" in refused_file(send(admin, upload(buffer.getvalue()), term))


def test_a_panic_in_calamine_is_refused_as_unreadable(monkeypatch):
    class PanicException(BaseException):  # as pyo3_runtime names it
        pass

    class Panicking(SheetsNeverRead):
        def get_sheet_by_name(self, name):
            raise PanicException("index out of bounds")

    Panicking.__wrapped__ = roster_files.CalamineWorkbook
    monkeypatch.setattr(roster_files, "CalamineWorkbook", Panicking)

    with pytest.raises(DomainError, match="cannot be read"):
        read(xlsx_bytes([]))


# Only the sheet read is checked, and the refusal says where


def far_cell(xml: str, cell="DA9") -> str:
    return xml.replace(
        "</sheetData>",
        f'<row r="9"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )


def test_far_cells_on_a_sheet_never_read_are_no_reason_to_refuse(admin, school_a, term):
    # The first sheet holds a helper list far to the right; 花名册 is read.
    helper = roster_after("下拉列表", "DZ40000", "寄宿", school_a)

    assert send(admin, upload(helper), term).status_code == 200


def test_a_far_cell_on_the_sheet_read_names_the_sheet_and_cell(school_a):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    roster = workbook.create_sheet("花名册")
    roster.append(HEADERS)
    roster["DA40"] = "备注"
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(DomainError) as refused:
        read(buffer.getvalue())

    assert "The worksheet 花名册 has a value in cell DA40" in str(refused.value.message)


# What other writers put in a workbook


def with_prefixes(xml: str) -> str:
    xml = xml.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=")
    return re.sub(r"<(/?)(?!x:)([A-Za-z]+)", r"<\1x:\2", xml)


def test_a_sheet_with_prefixed_tags_is_read(admin, school_a, term):
    # The .NET Open XML SDK writes <x:worksheet>…<x:c r="A1">.
    prefixed = with_sheet(one_row_roster(school_a), with_prefixes)
    assert "<x:c r=" in zipfile.ZipFile(io.BytesIO(prefixed)).read(SHEET).decode()

    assert send(admin, upload(prefixed), term).status_code == 200


def test_a_far_prefixed_cell_is_refused():
    forged = with_sheet(xlsx_bytes([]), lambda xml: with_prefixes(far_cell(xml)))

    with pytest.raises(DomainError, match="value in cell DA9"):
        read(forged)


def test_an_svg_image_declaring_its_dtd_is_no_reason_to_refuse(school_a):
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(one_row_roster(school_a))) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for part in source.infolist():
            target.writestr(part, source.read(part))
        target.writestr(
            "xl/media/image1.svg",
            '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>',
        )

    assert len(read(out.getvalue())) == 2


def test_the_far_limits_follow_the_constants():
    after_row = re.compile(roster_files._after("29999", b"0-9"))
    after_column = re.compile(roster_files._after("CZ", b"A-Z"))
    for number in [*range(0, 100_000, 7), 29_999, 30_000, 299_999, 1_048_576]:
        assert bool(after_row.fullmatch(str(number).encode())) == (number > 29_999), number
    for index in range(26 + 26 * 26 + 200):
        letters = column_letters(index)
        assert bool(after_column.fullmatch(letters.encode())) == (index > 103), letters
        assert bool(after_column.fullmatch(letters.lower().encode())) == (index > 103)


# Only an XLSX is opened: calamine would read other workbooks past the XML checks


@pytest.mark.parametrize(
    "extra, dropped",
    [
        # A binary workbook (.xlsb) beside or instead of the XML one.
        ("xl/workbook.bin", None),
        ("xl/workbook.bin", "xl/workbook.xml"),
        # An OpenDocument spreadsheet has no xl/workbook.xml at all.
        ("content.xml", "xl/workbook.xml"),
    ],
)
def test_a_zip_that_is_not_an_xlsx_workbook_is_refused_before_calamine(
    school_a, monkeypatch, extra, dropped
):
    opened = []

    class NeverOpened:
        @staticmethod
        def from_filelike(file):
            opened.append(file)
            raise ValueError("not expected to be opened")

    monkeypatch.setattr(roster_files, "CalamineWorkbook", NeverOpened)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(one_row_roster(school_a))) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for part in source.infolist():
            if part.filename != dropped:
                target.writestr(part, source.read(part))
        target.writestr(extra, b"\x00binary")

    with pytest.raises(DomainError, match="cannot be read"):
        read(out.getvalue())
    assert opened == [], "calamine was given a workbook the checks did not read"
