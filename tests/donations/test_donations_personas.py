"""Every donations endpoint, read by a donor, a teacher and a supervisor: no child is named.

The one exception is a donor's own outcomes, which name a student whose
guardian consented. A donor never sees another donor's pledges.
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import AidProject, Donor, FundSource, ItemKind, PaymentMethod
from donations.services.awards import award_create
from donations.services.contributions import contribution_record
from donations.services.disbursements import disbursement_pay
from donations.services.items import item_distribute, item_donation_record
from donations.services.pledges import pledge_create
from tests.conftest import client_for
from workers.factories import StudentFactory, TermFactory, member

ENDPOINTS = [
    "/api/v1/projects/",
    "/api/v1/fund-accounts/",
    "/api/v1/ledger/",
    "/api/v1/donors/",
    "/api/v1/pledges/",
    "/api/v1/contributions/",
    "/api/v1/awards/",
    "/api/v1/disbursements/",
    "/api/v1/item-donations/",
    "/api/v1/item-distributions/",
]

SECRET_NAME = "欧阳保密"
CONSENTING_NAME = "司马同意"


@pytest.fixture
def scene(district, school_a, district_admin, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    term = TermFactory(district=district)
    project = AidProject.objects.create(
        district=district, code="NEWS", name="报社助学", source=FundSource.SOCIAL, purpose="news"
    )
    mine = member("donor", school_a)
    theirs = member("donor", school_a)
    donor = Donor.objects.create(district=district, kind="organisation", name="报社", user=mine)
    other = Donor.objects.create(district=district, kind="individual", name="钱先生", user=theirs)
    for giver in (donor, other):
        pledge_create(
            by=district_admin,
            donor_id=giver.pk,
            kind="money",
            schedule="once",
            project_id=project.pk,
            instalments=[(today + datetime.timedelta(days=30), 10_000)],
            note=f"pledge of {giver.name}",
        )
    with django_capture_on_commit_callbacks(execute=True):
        contribution_record(
            by=district_admin,
            donor_id=donor.pk,
            project_id=project.pk,
            amount_fen=300_000,
            received_on=today,
        )
    books = ItemKind.objects.create(district=district, name="图书", unit="本")
    item_donation_record(
        by=district_admin,
        donor_id=donor.pk,
        item_kind_id=books.pk,
        quantity=10,
        value_fen=0,
        received_on=today,
    )
    for name, consent in [(SECRET_NAME, False), (CONSENTING_NAME, True)]:
        student = StudentFactory(school=school_a, name=name, guardian_consents_to_name=consent)
        award = award_create(
            by=district_admin,
            project_id=project.pk,
            student_id=student.pk,
            term_id=term.pk,
            amount_fen=100_000,
        )
        disbursement_pay(
            by=district_admin,
            award_id=award.pk,
            method=PaymentMethod.CASH,
            paid_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )
        item_distribute(
            by=district_admin,
            item_kind_id=books.pk,
            student_id=student.pk,
            quantity=1,
            given_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )
    return {"donor": donor, "mine": mine, "other": other}


@pytest.mark.parametrize("role", ["donor", "teacher", "supervisor", "volunteer"])
def test_no_endpoint_names_a_child_to_a_non_administrator(scene, school_a, role):
    client = client_for(scene["mine"] if role == "donor" else member(role, school_a))
    for url in ENDPOINTS:
        response = client.get(url)
        assert response.status_code in (200, 403), url
        body = response.content.decode()
        assert SECRET_NAME not in body, url
        assert CONSENTING_NAME not in body, url


def test_the_administrator_does_see_the_names_so_the_check_above_can_fail(scene, district_admin):
    body = client_for(district_admin).get("/api/v1/awards/").content.decode()
    assert SECRET_NAME in body and CONSENTING_NAME in body


def test_a_donor_sees_its_own_pledges_only_and_names_only_with_consent(scene):
    client = client_for(scene["mine"])
    pledges = client.get("/api/v1/pledges/").json()["results"]
    assert [p["donor_name"] for p in pledges] == ["报社"]
    assert "钱先生" not in client.get("/api/v1/pledges/").content.decode()
    outcomes = client.get(f"/api/v1/donors/{scene['donor'].pk}/outcomes/").content.decode()
    assert CONSENTING_NAME in outcomes
    assert SECRET_NAME not in outcomes
    assert client.get(f"/api/v1/donors/{scene['other'].pk}/outcomes/").status_code == 404


def test_a_teacher_sees_no_ledger_and_a_supervisor_only_totals(scene, school_a):
    teacher = client_for(member("teacher", school_a))
    assert teacher.get("/api/v1/ledger/").status_code == 403
    assert teacher.get("/api/v1/fund-accounts/").status_code == 403
    supervisor = client_for(member("supervisor", school_a))
    assert supervisor.get("/api/v1/ledger/").status_code == 403
    [account] = supervisor.get("/api/v1/fund-accounts/").json()["results"]
    assert (account["received"], account["paid_out"], account["balance"]) == (
        "3000.00",
        "-2000.00",
        "1000.00",
    )
    for url in ["/api/v1/awards/", "/api/v1/disbursements/", "/api/v1/item-distributions/"]:
        response = supervisor.get(url)
        assert response.status_code == 403 or response.json()["count"] == 0, url
