"""The reversal of an appropriation through ledger/{id}/reverse/: once, with a memo, by a
district administrator only.
"""

import pytest

from donations.models import AidProject, FundAccount, LedgerEntry, LedgerKind
from donations.services.ledger import fund_account_of, ledger_post
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    EN,
    LEDGER,
    allocate,
    approved,
    receive,
    received_of,
    rows,
)
from workers.factories import member

pytestmark = pytest.mark.django_db


# -- reversal of an appropriation ----------------------------------------------------------


def reverse(user, entry_id, memo="录入错误"):
    return client_for(user).post(
        f"{LEDGER}{entry_id}/reverse/", {"memo": memo}, format="json", **EN
    )


def test_reversing_an_appropriation_lowers_what_was_received(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    response = reverse(district_admin, entry.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"], body["reverses"], body["balance_after"]) == (
        "reversal",
        "-9100.00",
        entry.pk,
        "18900.00",
    )
    assert received_of(district_admin, scene["id"]) == {
        "provincial": "18900.00",
        "county": "0.00",
    }
    assert FundAccount.objects.get(project_id=scene["id"]).balance_fen == 1_890_000
    # The money may now be received again, in full and no more.
    again = receive(district_admin, scene["id"], scene["term"], "county", "9100.01")
    assert again.status_code == 400
    again = receive(district_admin, scene["id"], scene["term"], "county", "9100.00")
    assert again.status_code == 201
    assert received_of(district_admin, scene["id"])["county"] == "9100.00"


def test_reversing_twice_answers_409(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    assert reverse(district_admin, entry.pk).status_code == 201
    before = rows()
    second = reverse(district_admin, entry.pk, memo="again")
    assert second.status_code == 409
    assert "entry" in second.json()
    assert rows() == before
    assert received_of(district_admin, scene["id"])["county"] == "0.00"


def test_only_an_appropriation_can_be_reversed(scene, district_admin, school_a):
    approved(school_a, scene["term"], [50])
    allocate(district_admin, scene["id"], scene["term"])
    account = fund_account_of(AidProject.objects.get(pk=scene["id"]))
    paid = ledger_post(
        account_id=account.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-100, by=None, memo="m"
    )
    given = ledger_post(
        account_id=account.pk, kind=LedgerKind.CONTRIBUTION, amount_fen=500, by=None, memo="m"
    )
    reversal = reverse(district_admin, LedgerEntry.objects.get(funding__source="county").pk)
    assert reversal.status_code == 201
    before = rows()
    for entry_id in (paid.pk, given.pk, reversal.json()["id"]):
        response = reverse(district_admin, entry_id)
        assert response.status_code == 400, response.json()
        assert "entry" in response.json()
    assert rows() == before


def test_a_reversal_needs_a_memo(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    for memo in ("", "   "):
        response = reverse(district_admin, entry.pk, memo=memo)
        assert response.status_code == 400
        assert "memo" in response.json()
    response = client_for(district_admin).post(f"{LEDGER}{entry.pk}/reverse/", {}, format="json")
    assert response.status_code == 400
    assert "memo" in response.json()
    assert rows() == before


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor", "donor"])
def test_other_roles_may_not_reverse(scene, school_a, role):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(member(role, school_a), entry.pk).status_code == 403
    assert rows() == before


def test_a_single_school_admin_may_not_reverse(scene, admin_a, admin_b):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(admin_a, entry.pk).status_code == 403
    assert reverse(admin_b, entry.pk).status_code == 403
    assert rows() == before
    assert received_of(admin_a, scene["id"])["county"] == "9100.00"


def test_an_admin_of_another_district_may_not_reverse(scene, elsewhere):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(elsewhere["admin"], entry.pk).status_code == 404
    assert rows() == before
