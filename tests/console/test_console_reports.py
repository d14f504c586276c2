"""/console/reports/: build through `report_start`, watch it, download it as the API does."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import AccessLogEntry, AssessmentStatus, Objection
from tests.console.console_world import EN, assessment, signed_in
from workers.models import Report, ReportScope, ReportStatus

pytestmark = pytest.mark.django_db


def test_a_report_is_built_by_the_job_and_each_format_downloads(
    world, django_capture_on_commit_callbacks
):
    a, term = world.schools["A"], world.terms["one"]
    today = timezone.localdate()
    # An unanswered objection is a record the report lists by its student.
    objected = assessment(
        a,
        term,
        "王小丽",
        AssessmentStatus.PUBLICIZED,
        tier="hardship",
        notice_starts_on=today,
        notice_ends_on=today + datetime.timedelta(days=6),
    )
    Objection.objects.create(assessment=objected, text="异议", filed_by=None)
    client = signed_in(world.users["school_admin"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/console/reports/", {"term": term.pk, "scope": f"school:{a.pk}"})

    report = Report.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/console/reports/{report.pk}/")
    assert (report.status, report.school, report.built_by) == (
        ReportStatus.ISSUED,
        a,
        world.users["school_admin"],
    )
    page = client.get(f"/console/reports/{report.pk}/", **EN).content.decode()
    assert 'data-status="issued"' in page and 'http-equiv="refresh"' not in page
    workbook = client.get(f"/console/reports/{report.pk}/export/", {"format": "xlsx"})
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert workbook["Content-Disposition"] == (
        f'attachment; filename="report-{term.code}-{a.code}-v1.xlsx"'
    )
    assert client.get(f"/console/reports/{report.pk}/export/", {"format": "csv"}).status_code == 200
    assert "阳光小学" in client.get(f"/console/reports/{report.pk}/export/").content.decode()
    exported = AccessLogEntry.objects.filter(action="export", object_kind="report")
    assert exported.count() == 3
    assert set(exported.values_list("students__student_id", flat=True)) == {objected.student_id}


@pytest.mark.parametrize("lang", ["fr", "zh-hant", "EN"])
def test_an_unsupported_language_is_refused_with_400_and_nothing_recorded(
    world, django_capture_on_commit_callbacks, lang
):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/console/reports/", {"term": term.pk, "scope": f"school:{a.pk}"})
    report = Report.objects.get()
    before = AccessLogEntry.objects.count()

    response = client.get(
        f"/console/reports/{report.pk}/export/", {"format": "html", "lang": lang}, **EN
    )

    assert response.status_code == 400
    assert f"Unknown language {lang}: a report is written in zh-hans, en." in (
        response.content.decode()
    )
    assert AccessLogEntry.objects.count() == before
    assert (
        client.get(
            f"/console/reports/{report.pk}/export/", {"format": "html", "lang": "en"}
        ).status_code
        == 200
    )


def test_a_version_still_building_reloads_itself_and_offers_no_file(world):
    report = Report.objects.create(
        term=world.terms["one"],
        scope=ReportScope.SCHOOL,
        district=world.schools["A"].district,
        school=world.schools["A"],
        version=1,
    )
    client = signed_in(world.users["school_admin"])

    page = client.get(f"/console/reports/{report.pk}/", **EN).content.decode()
    export = client.get(f"/console/reports/{report.pk}/export/", {"format": "xlsx"})

    assert 'http-equiv="refresh"' in page and "data-format" not in page
    assert (export.status_code, export["Location"]) == (302, f"/console/reports/{report.pk}/")


def test_a_build_with_nothing_chosen_names_both_and_starts_nothing(world):
    response = signed_in(world.users["school_admin"]).post("/console/reports/", {}, **EN)

    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a term." in body and "Choose a school or a district." in body
    assert not Report.objects.exists()


def test_a_school_the_administrator_does_not_run_is_refused_by_the_service_as_by_the_api(world):
    b, term = world.schools["B"], world.terms["one"]

    response = signed_in(world.users["school_admin"]).post(
        "/console/reports/", {"term": term.pk, "scope": f"school:{b.pk}"}, **EN
    )

    assert response.status_code == 403
    assert 'id="problem"' in response.content.decode()
    assert not Report.objects.exists()


def test_only_a_district_administrator_is_offered_the_districts_report(world):
    school = signed_in(world.users["school_admin"]).get("/console/reports/").content.decode()
    district = signed_in(world.users["district_admin"]).get("/console/reports/").content.decode()

    district_id = world.schools["A"].district_id
    assert f'value="district:{district_id}"' not in school
    assert f'value="district:{district_id}"' in district


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/console/reports/").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_or_many_versions(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["district_admin"])

    def version(n):
        Report.objects.create(
            term=term,
            scope=ReportScope.SCHOOL,
            district=a.district,
            school=a,
            version=n,
            status=ReportStatus.ISSUED,
            data={},
            built_at=timezone.now(),
        )

    version(1)
    few = _queries(client)
    for n in range(2, 12):
        version(n)

    assert _queries(client) == few
