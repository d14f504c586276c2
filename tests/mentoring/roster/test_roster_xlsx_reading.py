"""Reading XLSX rosters with calamine: values as before, hostile XML and forged cells refused."""

import io
import time
import zipfile
from datetime import date

import openpyxl
import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile

from mentoring.models import Student
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    birth_of,
    errors_of,
    roster_row,
    row_counts,
    send,
    xlsx_bytes,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"


def refused_file(response) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["file"], body
    return body["file"][0]


def with_sheet(xlsx: bytes, transform) -> bytes:
    """The workbook with its first sheet's XML passed through `transform`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == SHEET:
                data = transform(data.decode()).encode()
            target.writestr(part, data)
    return out.getvalue()


def upload(xlsx: bytes, name="roster.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx)


def one_row_roster(school) -> bytes:
    return xlsx_bytes([roster_row(1, school)])


# Values read as before


def test_text_keeps_leading_zeros_and_dates_and_numbers_read_as_typed(admin, school_a, term):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    row = roster_row(1, school_a, 学籍号="0012345", 家庭人口=4.0, 年级=3)
    sheet.append([row.get(header) for header in HEADERS])
    # An Excel date cell: a serial number of days with a date format; read as
    # a number it would be refused as no date.
    birth = sheet.cell(row=2, column=HEADERS.index("出生日期") + 1)
    birth.value = (birth_of(1) - date(1899, 12, 30)).days
    birth.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = send(admin, upload(buffer.getvalue()), term)

    assert response.status_code == 200, response.json()
    student = Student.objects.get()
    assert student.student_number == "0012345"
    assert student.birth_date == birth_of(1)
    assert (student.records.get().household_size, student.records.get().grade) == (4, 3)


def test_errors_name_the_sheet_row_past_blank_rows(admin, school_a, term):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([roster_row(1, school_a).get(header) for header in HEADERS])
    sheet.append([])
    sheet.append([])
    sheet.append([roster_row(2, school_a, 性别="X").get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = send(admin, upload(buffer.getvalue()), term)

    assert errors_of(response) == [(5, "性别")]


def test_the_roster_sheet_is_read_whatever_its_place(admin, school_a, term):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["nothing to import here"])
    roster = workbook.create_sheet("花名册")
    roster.append(HEADERS)
    roster.append([roster_row(1, school_a).get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert send(admin, upload(buffer.getvalue()), term).status_code == 200


# Hostile XML: a DTD is refused before calamine reads anything


EXTERNAL_ENTITY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
    '<c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>'
)


def test_external_entity_is_refused_and_nothing_leaks(admin, school_a, term):
    hostile = with_sheet(one_row_roster(school_a), lambda _: EXTERNAL_ENTITY)

    message = refused_file(send(admin, upload(hostile), term))

    assert "XML that is not allowed" in message
    assert "root:" not in message
    assert row_counts() == (0, 0, 0)


def test_a_declared_but_unused_entity_is_refused_too(admin, school_a, term):
    # ECMA-376 Part 2 forbids any DTD in a package; calamine would read this
    # sheet, but a school's Excel never writes one.
    hostile = with_sheet(
        one_row_roster(school_a),
        lambda xml: xml.replace("<worksheet", '<!DOCTYPE w [<!ENTITY x "y">]><worksheet', 1),
    )

    assert "XML that is not allowed" in refused_file(send(admin, upload(hostile), term))


def test_calamine_itself_never_expands_an_entity():
    # Without the project's check, calamine fails on the first entity reference
    # at once: no expansion, no file read.
    for text in ("&lol9;", "&secret;"):
        sheet = EXTERNAL_ENTITY.replace("&secret;", text)
        workbook = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(xlsx_bytes([]))) as source,
            zipfile.ZipFile(workbook, "w") as target,
        ):
            for part in source.infolist():
                target.writestr(part, sheet if part.filename == SHEET else source.read(part))
        workbook.seek(0)
        started = time.perf_counter()
        with pytest.raises(python_calamine.CalamineError, match="entity"):
            python_calamine.CalamineWorkbook.from_filelike(workbook).get_sheet_by_index(0)
        assert time.perf_counter() - started < 1


# Forged cells: calamine would make a dense grid from A1 to the last cell


@pytest.mark.parametrize("cell", ["XFD1048576", "A1048576", "DA2", "xfd1", "A0030000"])
def test_a_cell_far_beyond_any_roster_is_refused(admin, school_a, term, cell):
    forged = with_sheet(
        one_row_roster(school_a),
        lambda xml: xml.replace(
            "</sheetData>",
            f'<row r="9"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
    )

    message = refused_file(send(admin, upload(forged), term))

    assert f"The worksheet Sheet has a value in cell {cell}, beyond row 29999 or column CZ" in (
        message
    )
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "tag",
    [
        '<c t="inlineStr">',  # no position: calamine counts it along the row
        '<c  r="XFD9" t="inlineStr">',
        "<c r='XFD9' t=\"inlineStr\">",
        '<c r="A9" r="XFD9" t="inlineStr">',  # calamine takes the last position
        '<c r="A9" t="inlineStr" r = "XFD9">',
        '<c r="A9" s=">" r="XFD9">',
        '<x:c x:r="XFD9" t="inlineStr">',  # calamine reads `r` only, unprefixed
    ],
)
def test_a_cell_whose_position_is_not_plain_is_refused(admin, school_a, term, tag):
    name = "x:c" if tag.startswith("<x:c") else "c"
    forged = with_sheet(
        one_row_roster(school_a),
        lambda xml: xml.replace(
            "</sheetData>", f'<row r="9">{tag}<is><t>x</t></is></{name}></row></sheetData>'
        ),
    )

    assert "cannot be read" in refused_file(send(admin, upload(forged), term))


def test_empty_formatted_cells_far_down_are_no_reason_to_refuse(admin, school_a, term):
    # Excel writes a blank cell formatted as text as an empty element; calamine
    # keeps no cell for it.
    formatted = with_sheet(
        one_row_roster(school_a),
        lambda xml: xml.replace(
            "</sheetData>", '<row r="60000"><c r="F60000" s="0"/></row></sheetData>'
        ),
    )

    assert send(admin, upload(formatted), term).status_code == 200
