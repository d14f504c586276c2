"""Allocation by rank of need over HTTP: the kindergarten case, standards per term, running
short of funds, and duplicate aid left out and recorded.
"""

from decimal import Decimal

import pytest

from donations.models import AidRefusal, Allocation, Award, FundAccount
from mentoring.models import AssessmentStatus, SchoolLevel
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    AWARDS,
    EN,
    allocate,
    approved,
    detail,
    left_out_students,
    make_project,
    money,
    receive,
)
from workers.factories import AssessmentFactory, StudentFactory, StudentRecordFactory

pytestmark = pytest.mark.django_db


# -- behaviour -----------------------------------------------------------------------------


def test_the_kindergarten_case(scene, district_admin, school_a):
    children = approved(school_a, scene["term"], list(range(130, 100, -1)))
    assert len(children) == 30
    response = allocate(district_admin, scene["id"], scene["term"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["project"], body["term"], body["awarded"], body["amount"]) == (
        "PRESCHOOL",
        scene["term"].code,
        28,
        "28000.00",
    )
    awards = Award.objects.filter(project_id=scene["id"])
    assert awards.count() == 28
    assert set(awards.values_list("amount_fen", flat=True)) == {100_000}
    # The 28 neediest are aided; the two least needy are left out for the quota.
    assert set(awards.values_list("student_id", flat=True)) == {s.pk for s in children[:28]}
    assert [(r["student"], r["reason"], r["rank"]) for r in body["left_out"]] == [
        (children[28].pk, "quota_full", 29),
        (children[29].pk, "quota_full", 30),
    ]
    assert all(r["student_name"] for r in body["left_out"])

    project = client_for(district_admin).get(detail(scene["id"])).json()
    received = {f["source"]: (f["amount"], f["received"]) for f in project["funding"]}
    assert received == {
        "provincial": ("18900.00", "18900.00"),
        "county": ("9100.00", "9100.00"),
    }
    assert money(project["standards"][0]["per_term"]) == Decimal("1000.00")
    account = FundAccount.objects.get(project_id=scene["id"])
    assert account.balance_fen == 2_800_000


def test_per_term_is_shown_like_every_other_amount(district, school_a, district_admin, term):
    project = make_project(
        district_admin, district, term, school_a, standards=[{"yearly": "625.00"}]
    )
    assert [(s["yearly"], s["per_term"]) for s in project["standards"]] == [("625.00", "312.50")]


def test_a_yearly_standard_of_625_pays_312_50_a_term(
    district, school_a, district_admin, term, admin_a
):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        standards=[{"yearly": "625.00"}],
        funding=[{"term": term.pk, "source": "provincial", "amount": "1000.00"}],
    )
    assert [(s["yearly"], money(s["per_term"])) for s in project["standards"]] == [
        ("625.00", Decimal("312.50"))
    ]
    receive(district_admin, project["id"], term, "provincial", "1000.00")
    approved(school_a, term, [5, 4, 3, 2])
    body = allocate(admin_a, project["id"], term).json()
    # 1000.00 pays three terms of 312.50 (937.50); the fourth child finds 62.50 left.
    assert (body["awarded"], body["amount"]) == (3, "937.50")
    assert [r["reason"] for r in body["left_out"]] == ["funds_exhausted"]
    assert set(Award.objects.values_list("amount_fen", flat=True)) == {31_250}


def test_when_funds_run_out_the_ranking_is_kept(district, school_a, district_admin, term):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        levels=[],
        quotas=[],
        standards=[
            {"tier": "special_hardship", "yearly": "4000.00"},  # 2000.00 a term
            {"tier": "hardship", "yearly": "1000.00"},  # 500.00 a term
        ],
        funding=[{"term": term.pk, "source": "provincial", "amount": "2500.00"}],
    )
    receive(district_admin, project["id"], term, "provincial", "2500.00")
    # Tier first, then need score: the hardship child with the highest score still comes last.
    neediest, second = approved(school_a, term, [50, 40], tier="special_hardship")
    [hardship] = approved(school_a, term, [99], tier="hardship")
    body = allocate(district_admin, project["id"], term).json()
    assert list(Award.objects.values_list("student_id", flat=True)) == [neediest.pk]
    # 500.00 are left, enough for the hardship child, but the second special-hardship child
    # could not be funded, so nobody ranked below is funded ahead of them.
    assert [(r["student"], r["rank"], r["reason"]) for r in body["left_out"]] == [
        (second.pk, 2, "funds_exhausted"),
        (hardship.pk, 3, "funds_exhausted"),
    ]
    assert FundAccount.objects.get(project_id=project["id"]).balance_fen == 250_000


def test_need_score_ranks_within_a_tier(district, school_a, district_admin, term):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        funding=[{"term": term.pk, "source": "provincial", "amount": "2000.00"}],
    )
    receive(district_admin, project["id"], term, "provincial", "2000.00")
    low, high, middle = approved(school_a, term, [10, 90, 50])
    body = allocate(district_admin, project["id"], term).json()
    assert set(Award.objects.values_list("student_id", flat=True)) == {high.pk, middle.pk}
    assert [(r["student"], r["reason"]) for r in body["left_out"]] == [(low.pk, "funds_exhausted")]


def test_only_eligible_students_are_candidates(district, school_a, district_admin, term):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [10])
    approved(school_a, term, [99], level=SchoolLevel.PRIMARY)  # not preschool
    pending = StudentFactory(school=school_a)
    StudentRecordFactory(student=pending, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(student=pending, term=term, status=AssessmentStatus.SUBMITTED, tier="")
    body = allocate(district_admin, project["id"], term).json()
    assert (body["awarded"], body["left_out"]) == (1, [])
    assert list(Award.objects.values_list("student_id", flat=True)) == [child.pk]


def test_allocating_twice_awards_nobody_twice(scene, district_admin, admin_a, school_a):
    children = approved(school_a, scene["term"], list(range(130, 100, -1)))
    first = allocate(district_admin, scene["id"], scene["term"]).json()
    second = allocate(admin_a, scene["id"], scene["term"])
    assert second.status_code == 201
    assert (second.json()["awarded"], second.json()["amount"]) == (0, "0.00")
    assert Award.objects.count() == 28
    assert Award.objects.values("student").distinct().count() == 28
    # Those already awarded keep their places in the quota: the same two are still left out.
    assert (
        left_out_students(second.json())
        == left_out_students(first)
        == {
            children[28].pk,
            children[29].pk,
        }
    )
    assert Allocation.objects.count() == 2


def test_a_new_student_after_an_allocation_is_awarded_by_the_next_one(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    approved(school_a, term, [50, 40])
    assert allocate(district_admin, project["id"], term).json()["awarded"] == 2
    [late] = approved(school_a, term, [99])
    again = allocate(district_admin, project["id"], term).json()
    assert again["awarded"] == 1
    assert Award.objects.filter(student=late).count() == 1
    assert Award.objects.count() == 3


def test_duplicate_aid_across_projects_and_schools_is_left_out_and_recorded(
    district, school_a, school_b, district_admin, admin_a, admin_b, term
):
    first = make_project(district_admin, district, term, school_a, code="P1", quotas=[])
    second = make_project(
        district_admin,
        district,
        term,
        school_b,
        code="P2",
        source="county",
        quotas=[],
        funding=[{"term": term.pk, "source": "county", "amount": "9100.00"}],
    )
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    receive(district_admin, second["id"], term, "county", "9100.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    assert allocate(admin_a, first["id"], term).json()["awarded"] == 1
    award = Award.objects.get(student=child)

    body = allocate(admin_b, second["id"], term).json()
    assert body["awarded"] == 0
    [row] = body["left_out"]
    assert (row["student"], row["reason"]) == (twin.pk, "duplicate_aid")
    assert f"#{award.pk}" in row["detail"] and "P1" in row["detail"]
    refusal = AidRefusal.objects.get()
    assert (refusal.project_id, refusal.student_id, refusal.other_award_id, refusal.via) == (
        second["id"],
        twin.pk,
        award.pk,
        "allocation",
    )
    assert Award.objects.count() == 1


def test_a_project_of_another_purpose_is_no_duplicate(district, school_a, district_admin, term):
    first = make_project(district_admin, district, term, school_a, code="P1")
    other = make_project(district_admin, district, term, school_a, code="P2", purpose="books")
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    receive(district_admin, other["id"], term, "provincial", "18900.00")
    approved(school_a, term, [80])
    assert allocate(district_admin, first["id"], term).json()["awarded"] == 1
    assert allocate(district_admin, other["id"], term).json()["awarded"] == 1
    assert AidRefusal.objects.count() == 0


def test_a_manual_duplicate_award_is_refused_and_recorded(
    district, school_a, district_admin, admin_a, term
):
    first = make_project(district_admin, district, term, school_a, code="P1")
    second = make_project(district_admin, district, term, school_a, code="P2", source="county")
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    allocate(admin_a, first["id"], term)
    award = Award.objects.get()
    response = client_for(admin_a).post(
        AWARDS,
        {"project": second["id"], "student": child.pk, "term": term.pk, "amount": "1000.00"},
        format="json",
        **EN,
    )
    assert response.status_code == 400
    assert f"#{award.pk}" in response.json()["student"][0]
    assert response.json()["other_award"] == award.pk
    assert Award.objects.count() == 1
    refusal = AidRefusal.objects.get()
    assert (refusal.project_id, refusal.student_id, refusal.other_award_id, refusal.via) == (
        second["id"],
        child.pk,
        award.pk,
        "manual",
    )


def test_the_same_child_at_two_schools_is_aided_once_by_one_project(
    district, school_a, school_b, district_admin, term
):
    project = make_project(district_admin, district, term, school_a, quotas=[])
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    response = allocate(district_admin, project["id"], term)
    assert response.status_code == 201, response.json()
    assert response.json()["awarded"] == 1
    assert [r["reason"] for r in response.json()["left_out"]] == ["duplicate_aid"]
    assert Award.objects.count() == 1


def test_the_same_child_at_two_schools_over_two_runs_is_left_out_not_409(
    district, school_a, school_b, district_admin, admin_a, admin_b, term
):
    project = make_project(district_admin, district, term, school_a, quotas=[])
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    assert allocate(admin_a, project["id"], term).json()["awarded"] == 1
    response = allocate(admin_b, project["id"], term)
    assert response.status_code == 201, response.json()
    assert [r["reason"] for r in response.json()["left_out"]] == ["duplicate_aid"]
