"""The term report counts students aided and money per village committee, where a project uses
committees; without such a project the report has no committee section."""

import pytest
from django.utils import timezone
from django.utils.translation import override

from donations.models import Award
from donations.services.allocation import allocate
from donations.services.committee_reviews import committee_review_approve, committee_review_record
from donations.services.disbursements import disbursement_pay
from tests.donations.committees.committee_scene import approved_student, build, living_subsidy
from workers.reporting.exports import to_csv
from workers.reports import report_start

pytestmark = pytest.mark.django_db


def district_report(scene, capture):
    with capture(execute=True):
        report = report_start(
            by=scene.district_admin, term_id=scene.term.pk, district_id=scene.district.pk
        )
    report.refresh_from_db()
    assert report.status == "issued", report.error
    return report


def test_the_report_counts_students_and_money_per_committee(django_capture_on_commit_callbacks):
    scene = build(committees=3)
    living = living_subsidy(scene, places=[2, 2, 2])
    boarding = living_subsidy(scene, places=[2, 2, 2], code="BOARD")
    twice = approved_student(scene, committee=0, need=90)
    approved_student(scene, school=1, committee=1, need=80)
    approved_student(scene, committee=None, need=70)
    for project in (living, boarding):
        allocate(by=scene.district_admin, project=project, term=scene.term)
    award = Award.objects.get(project=living, student=twice)
    committee_review_record(
        by=scene.district_admin,
        award_id=award.pk,
        reviewers=["王主任"],
        reviewed_on=timezone.localdate(),
        decision="agree",
    )
    committee_review_approve(by=scene.district_admin, award_id=award.pk)
    disbursement_pay(
        by=scene.district_admin,
        award_id=award.pk,
        method="bank_transfer",
        paid_on=timezone.localdate(),
        bank_reference="B-1",
    )

    section = district_report(scene, django_capture_on_commit_callbacks).data["committees"]

    assert section["projects"] == ["BOARD", "LIVING"]
    first, second, third = section["committees"]
    # 100.00 a term from each project: the first committee's student has both.
    assert (first["students"], first["awards"], first["amount"], first["paid"]) == (
        1,
        2,
        "200.00",
        "100.00",
    )
    assert first["approved"] == 1
    assert (second["students"], second["awards"], second["amount"]) == (1, 2, "200.00")
    assert (third["students"], third["awards"], third["amount"]) == (0, 0, "0.00")
    assert section["without_committee"] is None  # left out: no committee, no place
    assert section["total"] == {
        "students": 2,
        "awards": 4,
        "amount": "400.00",
        "paid": "100.00",
        "approved": 1,
    }


def test_the_committee_table_is_in_the_exports_only_where_a_project_uses_committees(
    django_capture_on_commit_callbacks,
):
    with_committees = build()
    living_subsidy(with_committees, places=[1])
    approved_student(with_committees)
    without = build()
    living_subsidy(without, uses_committees=False)

    shown = district_report(with_committees, django_capture_on_commit_callbacks).data
    absent = district_report(without, django_capture_on_commit_callbacks).data

    with override("en"):
        assert "Aid per village committee" in to_csv(shown).decode("utf-8-sig")
        assert "Aid per village committee" not in to_csv(absent).decode("utf-8-sig")
    assert absent["committees"] is None
