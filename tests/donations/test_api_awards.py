"""awards/ and disbursements/ over HTTP: administrators only, 409 on a second payment."""

import threading

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from donations.models import AidProject, Award, Disbursement, FundSource, LedgerEntry, LedgerKind
from donations.services.ledger import fund_account_of, ledger_post
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import (
    GuardianAccountFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

AWARDS, PAY = "/api/v1/awards/", "/api/v1/disbursements/"


@pytest.fixture
def scene(district, school_a, admin_a):
    project = AidProject.objects.create(
        district=district,
        code="LIVING",
        name="生活补助",
        source=FundSource.PROVINCIAL,
        purpose="living",
    )
    ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=1_000_000,
        by=None,
    )
    return {
        "project": project,
        "term": TermFactory(district=district),
        "student": GuardianAccountFactory(student__school=school_a, student__name="王小明").student,
        "admin": admin_a,
    }


def award_body(scene, **overrides):
    values = {
        "project": scene["project"].pk,
        "student": scene["student"].pk,
        "term": scene["term"].pk,
        "amount": "312.50",
    }
    values.update(overrides)
    return values


def pay_body(award_id, **overrides):
    values = {
        "award": award_id,
        "method": "bank_transfer",
        # Today: the award was made today, and a payment is never dated before it.
        "paid_on": timezone.localdate().isoformat(),
        "bank_reference": "ICBC-1",
    }
    values.update(overrides)
    return values


@pytest.mark.django_db
def test_administrator_awards_and_pays_once(scene):
    client = client_for(scene["admin"])
    created = client.post(AWARDS, award_body(scene), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["amount"], created.json()["student_name"]) == ("312.50", "王小明")
    award_id = created.json()["id"]
    paid = client.post(PAY, pay_body(award_id), format="json")
    assert paid.status_code == 201
    assert paid.json()["amount"] == "312.50"
    again = client.post(PAY, pay_body(award_id, bank_reference="ICBC-2"), format="json")
    assert again.status_code == 409
    assert "award" in again.json()
    assert Disbursement.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_aid_over_http_names_the_other_award(scene, district):
    client = client_for(scene["admin"])
    first = client.post(AWARDS, award_body(scene), format="json").json()
    other = AidProject.objects.create(
        district=district, code="LIVING-2", name="x", source=FundSource.COUNTY, purpose="living"
    )
    response = client.post(
        AWARDS, award_body(scene, project=other.pk), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["other_award"] == first["id"]
    assert f"#{first['id']}" in response.json()["student"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "1.005"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"project": 999_999}, "project"),
        ({"student": 999_999}, "student"),
    ],
)
def test_bad_awards_answer_400_and_write_nothing(scene, overrides, field):
    response = client_for(scene["admin"]).post(
        AWARDS, award_body(scene, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Award.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"method": "cheque"}, "method"),
        ({"paid_on": "someday"}, "paid_on"),
        ({"method": "cash"}, "signed_by_guardian"),
        ({"bank_reference": ""}, "bank_reference"),
    ],
)
def test_bad_payments_answer_400_and_move_no_money(scene, overrides, field):
    client = client_for(scene["admin"])
    award_id = client.post(AWARDS, award_body(scene), format="json").json()["id"]
    response = client.post(PAY, pay_body(award_id, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_other_roles_neither_see_nor_make_awards_or_payments(scene, school_a, role):
    client = client_for(scene["admin"])
    award_id = client.post(AWARDS, award_body(scene), format="json").json()["id"]
    user = client_for(member(role, school_a))
    assert user.get(AWARDS).status_code == 403
    assert user.get(PAY).status_code == 403
    assert user.post(AWARDS, award_body(scene), format="json").status_code == 403
    assert user.post(PAY, pay_body(award_id), format="json").status_code == 403
    assert Disbursement.objects.count() == 0


@pytest.mark.django_db
def test_an_administrator_of_another_school_sees_nothing(scene, admin_b):
    client_for(scene["admin"]).post(AWARDS, award_body(scene), format="json")
    outsider = client_for(admin_b)
    assert outsider.get(AWARDS).json()["count"] == 0
    award = Award.objects.get()
    assert outsider.get(f"{AWARDS}{award.pk}/").status_code == 404
    assert outsider.post(PAY, pay_body(award.pk), format="json").status_code == 400


@pytest.mark.django_db
def test_anonymous_401_and_superuser_sees_all(api, scene):
    client_for(scene["admin"]).post(AWARDS, award_body(scene), format="json")
    assert api.get(AWARDS).status_code == 401
    assert client_for(UserFactory(is_superuser=True)).get(AWARDS).json()["count"] == 1


@pytest.mark.django_db
def test_award_list_query_count_does_not_grow(scene, school_a, django_assert_max_num_queries):
    client = client_for(scene["admin"])

    def listed(n):
        with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
            assert client.get(AWARDS, {"page_size": 1000}).json()["count"] == n

    client.post(AWARDS, award_body(scene), format="json")
    listed(1)
    for _ in range(20):
        student = StudentFactory(school=school_a)
        client.post(AWARDS, award_body(scene, student=student.pk), format="json")
    listed(21)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_payment_requests_pay_once(scene):
    award_id = (
        client_for(scene["admin"]).post(AWARDS, award_body(scene), format="json").json()["id"]
    )
    barrier = threading.Barrier(20)
    statuses = []

    def pay(n):
        client = APIClient()
        client.force_authenticate(scene["admin"])
        try:
            barrier.wait()
            response = client.post(PAY, pay_body(award_id, bank_reference=f"R{n}"), format="json")
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 19
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1
