"""The report as files: XLSX, CSV, HTML and PDF carry the same figures; supervisors no records."""

import csv
import io
import re

import openpyxl
import pytest
from django.utils.translation import gettext, override

from tests.conftest import client_for
from tests.report_scene import busy_school, kindergarten_scene
from tests.workers.test_reports import build
from workers.factories import member
from workers.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def kg(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    scene.report = build(scene, django_capture_on_commit_callbacks, school=scene.schools["kg"])
    return scene


def export(user, report, kind, **extra):
    return client_for(user).get(f"/api/v1/reports/{report.pk}/export/?format={kind}", **extra)


def cells(workbook) -> dict[str, list]:
    return {
        sheet.title: [
            cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None
        ]
        for sheet in workbook.worksheets
    }


def test_xlsx_has_the_seeds_figures_one_sheet_per_section(kg):
    response = export(kg.admin, kg.report, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="report-2026-autumn-SEED-KG-v1.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "总览",
        "在校生",
        "认定",
        "资助",
        "结对帮扶",
        "捐赠",
        "问题",
        "举报",
        "明细",
    ]
    values = cells(workbook)
    summary = values["总览"]
    # The seeds' figures, as numbers a spreadsheet can add up.
    assert 11.16 in summary
    assert 28000 in summary
    assert summary.count(100) == 2
    assert 18900 in summary and 9100 in summary
    aid = values["资助"]
    assert 11.16 in aid
    assert 2.8 in aid  # 万元, the bureau's unit
    assert "学前教育幼儿资助" in aid
    # The district bureau's summary table first, with the form's two header rows: stage and
    # project across both, each category (合计 first) over its 金额（万元）, 人数, 人次.
    sheet = workbook["资助"]
    top, under = [c.value for c in sheet[2]], [c.value for c in sheet[3]]
    with override("zh-hans"):
        every, amount = gettext("All categories"), gettext("Amount")
    assert top[:6] == ["教育阶段", "资助项目", every, None, None, "脱贫户（含监测户）"]
    assert under[:8] == [None, None, amount, "人数", "人次", amount, "人数", "人次"]
    assert top[-1] == "备注"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A2:A3", "B2:B3", "C2:E2", "F2:H2"} <= merged
    stage, project, amount, students, awards = [c.value for c in sheet[4]][:5]
    assert (stage, project, amount, students, awards) == ("学前", "学前教育幼儿资助", 2.8, 28, 28)
    # 低保 is the second category, 其他 the last, before 备注.
    assert top[8] == "低保" and top[-4] == "其他"
    assert [c.value for c in sheet[4]][8:10] == [0.5, 5]
    assert [c.value for c in sheet[4]][-3] == 23
    # 万元 with four places, yuan with two, as the bureau's form writes them.
    assert sheet["C4"].number_format == "#,##0.0000"
    assert sheet.freeze_panes == "B4"
    assert sheet.print_title_rows == "$2:$3"


def test_csv_carries_the_same_tables(kg):
    response = export(kg.admin, kg.report, "csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    flat = [cell for row in rows for cell in row]
    assert "11.16" in flat and "28000.00" in flat and flat.count("100.00") >= 2
    assert any(row[:1] == ["总览 / 总览"] for row in rows)


def test_html_in_chinese_by_default_and_in_english_on_request(kg):
    chinese = export(kg.admin, kg.report, "html")
    assert chinese.status_code == 200
    assert chinese["Content-Type"].startswith("text/html")
    page = chinese.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "11.16%" in page and "28,000.00" in page and "100.00%" in page
    assert "在校生" in page
    assert page.count('<svg class="chart') == 3
    english = export(kg.admin, kg.report, "html", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Students enrolled" in english and "在校生" not in english
    by_parameter = client_for(kg.admin).get(
        f"/api/v1/reports/{kg.report.pk}/export/?format=html&lang=en"
    )
    assert "Students enrolled" in by_parameter.content.decode()


@pytest.mark.pdf
def test_pdf_is_rendered_from_the_html(kg):
    response = export(kg.admin, kg.report, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 10_000


def test_supervisor_files_have_totals_and_no_records(
    django_capture_on_commit_callbacks,
):
    scene = kindergarten_scene()
    school = busy_school(scene, "BUSY", 40)
    report = build(scene, django_capture_on_commit_callbacks, school=school)
    supervisor = member("supervisor", school)
    admin_book = openpyxl.load_workbook(io.BytesIO(export(scene.admin, report, "xlsx").content))
    assert "明细" in admin_book.sheetnames
    for kind in ["html", "csv", "xlsx"]:
        response = export(supervisor, report, kind)
        assert response.status_code == 200
        body = response.content
        if kind == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(body))
            assert "明细" not in book.sheetnames
            body = str(cells(book)).encode()
        text = body.decode("utf-8-sig")
        assert "/api/v1/" not in text
        # No student's name (the scene names them 学生<n>), no ID number; the written
        # summary's counts ("受助学生3人": 3 students aided) are not names.
        assert not re.search(r"学生\d+(?![\d,]*人)", text)
        assert "****" not in text


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor"])
def test_others_open_no_file(kg, role):
    user = member(role, kg.schools["kg"])
    assert export(user, kg.report, "html").status_code == 404


def test_unknown_format_is_refused(kg):
    response = export(kg.admin, kg.report, "docx")
    assert response.status_code == 400
    assert "format" in response.json()


def test_a_version_not_issued_is_not_exported(kg):
    Report.objects.filter(pk=kg.report.pk).update(status=ReportStatus.FAILED, data=None)
    response = export(kg.admin, kg.report, "xlsx")
    assert response.status_code == 409
    assert response.json()["status"] == "failed"


def test_text_that_looks_like_a_formula_is_kept_as_text(kg):
    from workers.reporting.exports import to_csv

    data = dict(kg.report.data)
    data["donations"] = {
        **data["donations"],
        "by_donor": [
            {
                "donor": "=HYPERLINK(1)",
                "kind": "organisation",
                "anonymous": False,
                "amount": "1.00",
                "contributions": 1,
                "projects": [],
            }
        ],
    }
    assert "'=HYPERLINK(1)" in to_csv(data).decode("utf-8-sig")
