"""The roster import's files: template, encodings, refused files, and the management command."""

import io
import zipfile
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from mentoring import idnumbers
from mentoring.models import Role, Student
from tests.conftest import client_for
from tests.mentoring.roster.roster_scene import (
    EN,
    HEADERS,
    csv_bytes,
    csv_file,
    id_for,
    roster_row,
    row_counts,
    send,
    xlsx_bytes,
)
from workers.factories import TermFactory, UserFactory, member

TEMPLATE_URL = "/api/v1/students/import/template/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def admin(admin_a):
    return client_for(admin_a)


def refused_file(response) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["file"], body
    return body["file"][0]


# The template


def test_xlsx_template_has_the_chinese_headers_and_a_sheet_of_rules(admin):
    response = admin.get(TEMPLATE_URL, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["花名册", "说明"]
    sheet = workbook["花名册"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.max_row == 1
    assert sheet["F1"].comment is not None  # 身份证号码 carries its rule
    rules = {row[0]: row for row in workbook["说明"].iter_rows(min_row=2, values_only=True)}
    assert set(HEADERS) <= set(rules)
    assert "低保 →" in rules["贫困类型"][2]
    assert "特困供养/五保 →" in rules["贫困类型"][2]
    assert "数学 →" in rules["薄弱科目"][2]
    assert rules["是否残疾生"][2] == "是 / 否"


def test_filled_xlsx_template_imports_cleanly(admin, school_a, term):
    template = admin.get(TEMPLATE_URL).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    sheet = workbook["花名册"]
    for n in range(1, 4):
        row = roster_row(n, school_a)
        sheet.append([row.get(header) for header in HEADERS])
    filled = io.BytesIO()
    workbook.save(filled)

    response = send(admin, SimpleUploadedFile("花名册.xlsx", filled.getvalue()), term)

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 3
    assert row_counts() == (3, 3, 6)


def test_filled_csv_template_imports_cleanly(admin, school_a, term):
    response = admin.get(TEMPLATE_URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    header = response.content.decode("utf-8-sig").strip()
    assert header.split(",") == HEADERS
    filled = response.content + csv_bytes([roster_row(1, school_a)]).split(b"\r\n", 1)[1]

    imported = send(admin, SimpleUploadedFile("roster.csv", filled), term)

    assert imported.status_code == 200, imported.json()
    assert Student.objects.get().name == "学生1"


def test_unknown_template_format_is_refused_naming_format(admin):
    response = admin.get(TEMPLATE_URL, {"format": "pdf"}, **EN)

    assert response.status_code == 400
    assert "format" in response.json()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_template_is_for_administrators(role, school_a):
    response = client_for(member(role, school_a)).get(TEMPLATE_URL, {"format": "csv"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_template_needs_a_login(api):
    assert api.get(TEMPLATE_URL).status_code == 401


def test_platform_administrator_downloads_the_template(db):
    root = UserFactory(is_superuser=True)

    assert client_for(root).get(TEMPLATE_URL, {"format": "csv"}).status_code == 200


# Encodings


def test_gb18030_csv_from_chinese_excel_imports(admin, school_a, term):
    rows = [roster_row(1, school_a, 姓名="欧阳娜娜", 监护人="欧阳𠀀")]
    upload = SimpleUploadedFile("roster.csv", csv_bytes(rows, encoding="gb18030"))

    response = send(admin, upload, term)

    assert response.status_code == 200, response.json()
    student = Student.objects.get()
    assert (student.name, student.guardian_name) == ("欧阳娜娜", "欧阳𠀀")


def test_utf8_csv_with_byte_order_mark_imports(admin, school_a, term):
    upload = SimpleUploadedFile(
        "roster.csv", b"\xef\xbb\xbf" + csv_bytes([roster_row(1, school_a)])
    )

    response = send(admin, upload, term)

    assert response.status_code == 200, response.json()


def test_xlsx_sent_with_a_csv_name_is_read_as_xlsx(admin, school_a, term):
    upload = SimpleUploadedFile("roster.csv", xlsx_bytes([roster_row(1, school_a)]))

    assert send(admin, upload, term).status_code == 200


def test_id_number_turned_into_a_number_by_excel_is_explained(admin, school_a, term):
    row = roster_row(1, school_a, 身份证号码=float(id_for(1)))
    upload = SimpleUploadedFile("roster.xlsx", xlsx_bytes([row]))

    response = send(admin, upload, term)

    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "身份证号码"
    assert "format the column as text" in response.json()["errors"][0]["message"]


# Refused files: nothing written, 400 under `file`


def test_file_over_the_size_limit_is_refused(admin, school_a, term, settings):
    settings.ROSTER_MAX_BYTES = 500
    rows = [roster_row(n, school_a) for n in range(1, 6)]

    message = refused_file(send(admin, csv_file(rows), term))

    assert "larger than the limit of 500 bytes" in message
    assert row_counts() == (0, 0, 0)


def test_more_than_20000_rows_are_refused(admin, school_a, term):
    lines = [",".join(HEADERS)] + [f"{school_a.code},G{n}" for n in range(20_001)]
    upload = SimpleUploadedFile("big.csv", "\n".join(lines).encode())

    message = refused_file(send(admin, upload, term))

    assert "more than 20000 student rows" in message
    assert row_counts() == (0, 0, 0)


def test_zip_bomb_is_refused_before_it_is_unpacked(admin, school_a, term, settings):
    settings.ROSTER_MAX_BYTES = 200_000
    roster = xlsx_bytes([roster_row(1, school_a)])
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(roster)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            target.writestr(part, source.read(part.filename))
        # 8 MB of zeros packs into a few kilobytes.
        target.writestr("xl/media/padding.bin", b"\0" * 8_000_000)
    assert len(bomb.getvalue()) < 200_000

    message = refused_file(send(admin, SimpleUploadedFile("bomb.xlsx", bomb.getvalue()), term))

    assert "unpacks to far more data" in message
    assert row_counts() == (0, 0, 0)


BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol9;</t></si></sst>"""


SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _with_part(xlsx: bytes, name: str, content: str) -> bytes:
    """The workbook with one part replaced, or added (a shared-strings part is declared too)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        adding = name not in source.namelist()
        for part in source.infolist():
            data = content.encode() if part.filename == name else source.read(part.filename)
            if adding and part.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE.encode())
            target.writestr(part, data)
        if adding:
            target.writestr(name, content)
    return out.getvalue()


def test_xml_bomb_in_shared_strings_is_refused(admin, school_a, term):
    bomb = _with_part(xlsx_bytes([roster_row(1, school_a)]), "xl/sharedStrings.xml", BILLION_LAUGHS)
    assert b"sharedStrings" in zipfile.ZipFile(io.BytesIO(bomb)).read("[Content_Types].xml")

    message = refused_file(send(admin, SimpleUploadedFile("bomb.xlsx", bomb), term))

    assert "XML that is not allowed" in message
    assert row_counts() == (0, 0, 0)


def test_xml_bomb_in_the_worksheet_is_refused(admin, school_a, term):
    sheet = BILLION_LAUGHS.replace(
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1">\n<si><t>&lol9;</t></si></sst>',
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>",
    )
    bomb = _with_part(xlsx_bytes([roster_row(1, school_a)]), "xl/worksheets/sheet1.xml", sheet)

    message = refused_file(send(admin, SimpleUploadedFile("bomb.xlsx", bomb), term))

    assert "XML that is not allowed" in message


def test_openpyxl_parses_with_defusedxml():
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.png", PNG, ".xlsx or .csv"),
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xlsx or .csv"),
        ("roster.xlsx", PNG, "not an .xlsx file"),
        ("roster.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "not an .xlsx file"),
        ("roster.csv", PNG, "not a CSV text file"),
        ("roster.xlsx", b"PK\x03\x04 broken zip", "cannot be read"),
        ("roster.csv", "学校代码,学籍号\n".encode("utf-16"), "not a CSV text file"),
        ("roster.csv", b"abc\xff\xff not text", "neither UTF-8 nor GB18030"),
        ("roster.csv", b"\n\n", "no header row"),
    ],
)
def test_wrong_or_broken_file_is_refused_naming_file(admin, term, name, content, message):
    response = send(admin, SimpleUploadedFile(name, content), term)

    assert message in refused_file(response)
    assert row_counts() == (0, 0, 0)


def test_zip_that_is_not_a_workbook_is_refused(admin, term):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("hello.txt", "not a workbook")

    message = refused_file(send(admin, SimpleUploadedFile("r.xlsx", archive.getvalue()), term))

    assert "cannot be read" in message


def test_header_only_file_has_no_student_rows(admin, term):
    upload = SimpleUploadedFile("r.csv", ",".join(HEADERS).encode())

    assert "no student rows" in refused_file(send(admin, upload, term))


def test_empty_upload_is_refused_naming_file(admin, term):
    response = send(admin, SimpleUploadedFile("r.csv", b""), term)

    assert response.status_code == 400
    assert "file" in response.json()


def test_control_characters_are_refused_in_text_cells(admin, school_a, term):
    response = send(admin, csv_file([roster_row(1, school_a, 姓名="张\x1b三")]), term)

    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "姓名"
    assert row_counts() == (0, 0, 0)


# The management command


def _write_roster(tmp_path, rows, name="roster.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def test_command_imports_and_prints_the_counts(tmp_path, school_a, term, district):
    path = _write_roster(tmp_path, [roster_row(n, school_a) for n in range(1, 4)])
    out = StringIO()

    call_command("import_roster", str(path), term=term.code, district=district.code, stdout=out)

    assert "rows 3, created 3, updated 0, unchanged 0" in out.getvalue()
    assert row_counts() == (3, 3, 6)
    assert Student.objects.first().history.get().history_user is None


def test_command_reimport_and_dry_run(tmp_path, school_a, term, district):
    path = _write_roster(tmp_path, [roster_row(n, school_a) for n in range(1, 3)])
    call_command(
        "import_roster", str(path), term=term.code, district=district.code, stdout=StringIO()
    )
    changed = _write_roster(
        tmp_path, [roster_row(1, school_a, 年级="5"), roster_row(2, school_a)], "changed.csv"
    )
    out = StringIO()

    call_command(
        "import_roster",
        str(changed),
        term=term.code,
        district=district.code,
        dry_run=True,
        stdout=out,
    )

    assert "Dry run" in out.getvalue()
    assert "created 0, updated 1, unchanged 1" in out.getvalue()
    assert set(Student.objects.values_list("records__grade", flat=True)) == {3}


def test_command_with_a_school_for_a_file_without_codes(tmp_path, school_a, term, district):
    headers = [header for header in HEADERS if header != "学校代码"]
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([roster_row(1, school_a)], headers=headers))

    call_command(
        "import_roster",
        str(path),
        term=term.code,
        district=district.code,
        school=school_a.code,
        stdout=StringIO(),
    )

    assert Student.objects.get().school == school_a


def test_command_lists_row_errors_and_writes_nothing(tmp_path, school_a, term, district):
    path = _write_roster(tmp_path, [roster_row(1, school_a, 性别="X", 年级="12")])
    err = StringIO()

    with pytest.raises(CommandError, match="2 errors; nothing was imported"):
        call_command("import_roster", str(path), term=term.code, district=district.code, stderr=err)

    assert "row 2, 性别:" in err.getvalue()
    assert "row 2, 年级:" in err.getvalue()
    assert id_for(1) not in err.getvalue()
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"term": "2026-autumn", "district": "NOPE"}, "No district"),
        ({"term": "1999-spring"}, "No term"),
        ({"term": "2026-autumn", "school": "NOPE"}, "No school"),
    ],
)
def test_command_refuses_unknown_codes(tmp_path, school_a, term, district, options, message):
    path = _write_roster(tmp_path, [roster_row(1, school_a)])
    options = {"district": district.code, **options}

    with pytest.raises(CommandError, match=message):
        call_command("import_roster", str(path), **options)

    assert row_counts() == (0, 0, 0)


def test_command_masks_id_numbers_in_errors(tmp_path, school_a, term, district):
    rows = [roster_row(1, school_a), roster_row(2, school_a, 身份证号码=id_for(1))]
    path = _write_roster(tmp_path, rows)
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_roster", str(path), term=term.code, district=district.code, stderr=err)

    assert idnumbers.mask(id_for(1)) in err.getvalue()
    assert id_for(1) not in err.getvalue()
