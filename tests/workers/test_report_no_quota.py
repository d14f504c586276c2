"""A figure that does not apply says why (issue 16, item 4): the kindergarten's children are not
"left out" of a project that gives the kindergarten no places; its row says so instead."""

import pytest
from django.utils.translation import override

from donations.models import AidProject, Allocation, FundSource
from tests.report_scene import kindergarten_scene
from tests.workers.test_reports import build
from workers.reporting import tables_aid
from workers.reports import ReportReader, for_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def kg_left_out(django_capture_on_commit_callbacks):
    """The seeds' kindergarten, and a primary-school project whose allocation named 30 of its
    children "no places for the school" and 2 "quota full"."""
    scene = kindergarten_scene()
    kg = scene.schools["kg"]
    project = AidProject.objects.create(
        district=scene.district,
        code="NEWS-AID",
        name="县报社爱心助学",
        source=FundSource.SOCIAL,
        purpose="sponsorship",
    )
    children = list(kg.students.order_by("pk"))
    Allocation.objects.create(
        project=project,
        term=scene.term,
        left_out=[
            {"student": child.pk, "school": kg.pk, "tier": "hardship", "rank": n, "reason": reason}
            for n, (child, reason) in enumerate(
                [(c, "no_quota") for c in children[:30]]
                + [(c, "quota_full") for c in children[30:32]]
            )
        ],
        created_by=scene.admin,
    )
    scene.report = build(scene, django_capture_on_commit_callbacks, school=kg)
    return scene


def test_children_of_a_school_without_places_are_not_counted_as_left_out(kg_left_out):
    data = kg_left_out.report.data
    [row] = [p for p in data["aid"]["projects"] if p["code"] == "NEWS-AID"]
    kg = row["schools"]["SEED-KG"]

    assert (kg["left_out"], kg["no_quota"]) == (2, True)
    assert row["left_out_by_reason"] == {"quota_full": 2}
    # The school's and the report's totals count the two the quota left out, not the thirty.
    assert data["aid"]["schools"]["SEED-KG"]["left_out"] == 2
    assert data["aid"]["total"]["left_out"] == 2
    # Nor are the thirty listed among the records of students left unfunded.
    assert [r["reason"] for r in data["details"]["left_out"]] == ["quota_full", "quota_full"]


def test_the_kindergartens_row_says_it_has_no_places(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    kg = scene.schools["kg"]
    project = AidProject.objects.create(
        district=scene.district,
        code="NEWS-AID",
        name="县报社爱心助学",
        source=FundSource.SOCIAL,
        purpose="sponsorship",
    )
    Allocation.objects.create(
        project=project,
        term=scene.term,
        left_out=[
            {"student": c.pk, "school": kg.pk, "tier": "hardship", "rank": n, "reason": "no_quota"}
            for n, c in enumerate(kg.students.order_by("pk")[:5])
        ],
        created_by=scene.admin,
    )
    report = build(scene, django_capture_on_commit_callbacks, school=kg)
    data = for_files(report, ReportReader(scene.admin).data(report))

    with override("en"):
        awards = tables_aid.aid(data).tables[1]
    left_out = awards.columns.index("Left out")
    [row] = [r for r in awards.rows if r[1] == "县报社爱心助学"]
    assert row[left_out] == "The kindergarten has no quota for this project"
    # The school's own total and the report's count nobody left out, and the note says why.
    assert [r[left_out] for r in awards.rows[awards.total_from :]] == [0, 0]
    assert "gives no places are not counted as left out" in awards.note
