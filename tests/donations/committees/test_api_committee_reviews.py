"""/api/v1/committee-reviews/: the committee's review recorded, the district's approval, payment
held until then; projects without committees paid as before."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import Award, CommitteeReview, Disbursement
from donations.services.allocation import allocate
from tests.conftest import client_for
from tests.donations.committees.committee_scene import (
    EN,
    PAY,
    REVIEWS,
    approved_student,
    build,
    living_subsidy,
)
from workers.factories import member

pytestmark = pytest.mark.django_db

AGREE = {"reviewers": ["王主任", "李委员"], "reviewed_on": "2026-10-09", "decision": "agree"}


@pytest.fixture
def scene():
    scene = build()
    project = living_subsidy(scene, places=[5, 5])
    approved_student(scene, school=0, committee=0, need=90)
    approved_student(scene, school=1, committee=1, need=80)
    allocate(by=scene.district_admin, project=project, term=scene.term)
    scene.awards = {
        award.student.school_id: award
        for award in Award.objects.filter(project=project).select_related("student")
    }
    return scene


def award_of(scene, school: int) -> Award:
    return scene.awards[scene.schools[school].pk]


def review(client, award, body=AGREE, **extra):
    return client.post(f"{REVIEWS}{award.pk}/review/", body, format="json", **extra)


def approve(client, award, **extra):
    return client.post(f"{REVIEWS}{award.pk}/approve/", {}, format="json", **extra)


def pay(client, award, **extra):
    body = {
        "award": award.pk,
        "method": "bank_transfer",
        "paid_on": str(timezone.localdate()),
        "bank_reference": "BANK-1",
    }
    return client.post(PAY, body, format="json", **extra)


def test_a_school_administrator_records_the_review_and_the_district_approves(scene):
    award = award_of(scene, 0)
    school_admin = client_for(scene.admins[0])

    recorded = review(school_admin, award, {**AGREE, "note": "村委会联审通过"})

    assert recorded.status_code == 200, recorded.content
    data = recorded.json()
    assert (data["id"], data["state"], data["decision"]) == (award.pk, "agreed", "agree")
    assert data["reviewers"] == ["王主任", "李委员"]
    assert data["reviewed_on"] == "2026-10-09"
    assert data["committee"] == scene.committees[0].pk
    assert data["recorded_by"] == scene.admins[0].username
    assert approve(school_admin, award).status_code == 403

    approved = approve(client_for(scene.district_admin), award)

    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_by"] == scene.district_admin.username


def test_payment_waits_for_the_districts_approval(scene):
    award = award_of(scene, 0)
    district = client_for(scene.district_admin)

    before = pay(district, award, **EN)
    review(district, award)
    agreed = pay(district, award, **EN)
    approve(district, award)
    paid = pay(district, award)

    for refused in (before, agreed):
        assert refused.status_code == 409, refused.content
        assert "district's approval come before payment" in refused.json()["award"][0]
    assert paid.status_code == 201, paid.content
    assert Disbursement.objects.filter(award=award).count() == 1


def test_a_project_without_committees_is_paid_as_before_and_has_no_review(scene):
    project = living_subsidy(scene, uses_committees=False, code="OTHER")
    student = approved_student(scene, committee=None)
    allocate(by=scene.district_admin, project=project, term=scene.term)
    award = Award.objects.get(project=project, student=student)
    client = client_for(scene.district_admin)

    assert pay(client, award).status_code == 201
    assert client.get(f"{REVIEWS}{award.pk}/").status_code == 404
    assert [row["id"] for row in client.get(REVIEWS).json()["results"]] == sorted(
        a.pk for a in scene.awards.values()
    )


def test_a_disagreement_needs_its_reason_and_blocks_the_approval(scene):
    award = award_of(scene, 0)
    client = client_for(scene.district_admin)

    no_reason = review(client, award, {**AGREE, "decision": "disagree"}, **EN)
    disagreed = review(client, award, {**AGREE, "decision": "disagree", "note": "收入超标"})
    refused = approve(client, award, **EN)

    assert no_reason.status_code == 400
    assert no_reason.json() == {"note": ["Say why the committee does not agree."]}
    assert disagreed.status_code == 200 and disagreed.json()["state"] == "disagreed"
    assert refused.status_code == 409
    assert refused.json()["award"] == [
        "The committee did not agree to this award; it cannot be approved."
    ]
    # The committee meets again and agrees: the district may now approve.
    assert review(client, award).json()["state"] == "agreed"
    assert approve(client, award).json()["state"] == "approved"
    assert review(client, award, **EN).status_code == 409


def test_bad_input_names_every_bad_field_and_writes_nothing(scene):
    award = award_of(scene, 0)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = {
        "reviewers": ["王主任", "  "],
        "reviewed_on": str(tomorrow),
        "decision": "maybe",
        "note": "x" * 2001,
        "committee": 3,
    }

    response = review(client_for(scene.admins[0]), award, body, **EN)

    assert response.status_code == 400
    assert set(response.json()) == {"reviewers[1]", "reviewed_on", "decision", "note", "committee"}
    assert response.json()["reviewed_on"] == ["A review cannot be dated in the future."]
    assert not CommitteeReview.objects.exists()


def test_an_empty_review_and_a_body_on_approve_are_refused_by_name(scene):
    award = award_of(scene, 0)
    client = client_for(scene.district_admin)

    empty = review(client, award, {}, **EN)
    with_body = client.post(f"{REVIEWS}{award.pk}/approve/", {"state": "approved"}, format="json")

    assert empty.status_code == 400
    assert set(empty.json()) == {"reviewers", "reviewed_on", "decision"}
    assert with_body.status_code == 400 and "state" in with_body.json()
    assert not CommitteeReview.objects.exists()


def test_each_administrator_sees_only_their_schools_awards_and_others_get_404(scene):
    own, other = award_of(scene, 0), award_of(scene, 1)
    school_admin = client_for(scene.admins[0])
    outsider = client_for(member("administrator", build().schools[0]))

    listed = school_admin.get(REVIEWS).json()["results"]

    assert [row["id"] for row in listed] == [own.pk]
    assert school_admin.get(f"{REVIEWS}{other.pk}/").status_code == 404
    assert review(school_admin, other).status_code == 404
    assert outsider.get(f"{REVIEWS}{own.pk}/").status_code == 404
    assert approve(outsider, own).status_code == 404
    assert not CommitteeReview.objects.exists()


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_roles_other_than_administrators_are_refused(scene, role):
    client = client_for(member(role, scene.schools[0]))

    assert client.get(REVIEWS).status_code == 403
    assert review(client, award_of(scene, 0)).status_code == 403
    assert not CommitteeReview.objects.exists()


def test_the_state_filter_finds_pending_and_reviewed_awards(scene):
    client = client_for(scene.district_admin)
    review(client, award_of(scene, 0))

    pending = client.get(REVIEWS, {"state": "pending"}).json()["results"]
    agreed = client.get(REVIEWS, {"state": "agreed"}).json()["results"]
    of_committee = client.get(REVIEWS, {"committee": scene.committees[1].pk}).json()["results"]

    assert [row["id"] for row in pending] == [award_of(scene, 1).pk]
    assert [row["id"] for row in agreed] == [award_of(scene, 0).pk]
    assert [row["id"] for row in of_committee] == [award_of(scene, 1).pk]


def test_the_list_reads_in_a_number_of_queries_that_does_not_grow(scene):
    client = client_for(scene.district_admin)
    for award in scene.awards.values():
        review(client, award)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(REVIEWS).json()["results"]) == 2

    project = living_subsidy(scene, code="MORE", places=[20, 20])
    for n in range(8):
        approved_student(scene, school=n % 2, committee=n % 2)
    allocate(by=scene.district_admin, project=project, term=scene.term)
    for award in Award.objects.filter(project=project):
        review(client, award)
    with CaptureQueriesContext(connection) as many:
        # The first two students are aided by the new project too.
        assert len(client.get(REVIEWS).json()["results"]) == 12

    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_student_without_a_committee_cannot_be_reviewed(scene):
    award = award_of(scene, 0)
    award.student.committee = None
    award.student.save(update_fields=["committee"])

    response = review(client_for(scene.district_admin), award, **EN)

    assert response.status_code == 409
    assert response.json()["award"] == [
        "The student has no village committee on record; give it first."
    ]
