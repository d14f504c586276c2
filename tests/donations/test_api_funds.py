"""fund-accounts/ and ledger/: who reads money, in yuan with two decimals, with fixed queries."""

import pytest

from donations.models import AidProject, FundSource, LedgerEntry, LedgerKind
from donations.services.ledger import fund_account_of, ledger_post
from tests.conftest import client_for
from workers.factories import DistrictFactory, SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/fund-accounts/"
LEDGER = "/api/v1/ledger/"


def project_with_money(district, code="BOARDING", moves=(2_800_000, -31_250)):
    project = AidProject.objects.create(
        district=district,
        code=code,
        name="寄宿生生活补助",
        source=FundSource.PROVINCIAL,
        purpose="boarding",
    )
    account = fund_account_of(project)
    for amount in moves:
        kind = LedgerKind.APPROPRIATION if amount > 0 else LedgerKind.DISBURSEMENT
        ledger_post(account_id=account.pk, kind=kind, amount_fen=amount, by=None, memo="m")
    return account


@pytest.fixture
def county(district, school_a):
    other = DistrictFactory()
    return {
        "own": project_with_money(district),
        "foreign": project_with_money(other, code="OTHER"),
        "foreign_school": SchoolFactory(district=other),
    }


def test_administrator_reads_accounts_of_their_district_in_yuan(county, admin_a):
    body = client_for(admin_a).get(ACCOUNTS).json()
    assert body["count"] == 1
    account = body["results"][0]
    assert (account["project"], account["balance"]) == ("BOARDING", "27687.50")
    assert (account["received"], account["paid_out"], account["reversed"]) == (
        "28000.00",
        "-312.50",
        "0.00",
    )


def test_administrator_reads_the_ledger_of_their_district_only(county, admin_a):
    body = client_for(admin_a).get(LEDGER).json()
    assert [(e["project"], e["amount"], e["balance_after"]) for e in body["results"]] == [
        ("BOARDING", "28000.00", "28000.00"),
        ("BOARDING", "-312.50", "27687.50"),
    ]
    foreign = LedgerEntry.objects.filter(account=county["foreign"]).first()
    assert client_for(admin_a).get(f"{LEDGER}{foreign.pk}/").status_code == 404
    assert client_for(admin_a).get(f"{ACCOUNTS}{county['foreign'].pk}/").status_code == 404


def test_supervisor_sees_totals_but_no_ledger_lines(county, school_a):
    supervisor = member("supervisor", school_a)
    accounts = client_for(supervisor).get(ACCOUNTS)
    assert accounts.status_code == 200
    assert accounts.json()["results"][0]["balance"] == "27687.50"
    assert client_for(supervisor).get(LEDGER).status_code == 403


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor"])
def test_teachers_volunteers_and_donors_see_no_accounts_or_ledger(role, county, school_a):
    user = member(role, school_a)
    assert client_for(user).get(ACCOUNTS).status_code == 403
    assert client_for(user).get(LEDGER).status_code == 403


def test_anonymous_is_asked_to_log_in(api, county):
    assert api.get(ACCOUNTS).status_code == 401
    assert api.get(LEDGER).status_code == 401


def test_administrator_of_another_district_sees_nothing_of_this_one(county):
    outsider = member("administrator", county["foreign_school"])
    accounts = client_for(outsider).get(ACCOUNTS).json()["results"]
    assert [a["project"] for a in accounts] == ["OTHER"]
    own = LedgerEntry.objects.filter(account=county["own"]).first()
    assert client_for(outsider).get(f"{LEDGER}{own.pk}/").status_code == 404


def test_platform_administrator_sees_every_account(county):
    superuser = UserFactory(is_superuser=True)
    assert client_for(superuser).get(ACCOUNTS).json()["count"] == 2
    assert client_for(superuser).get(LEDGER).json()["count"] == 4


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_accounts_and_ledger_cannot_be_written_through_the_api(method, county, admin_a):
    entry = LedgerEntry.objects.filter(account=county["own"]).first()
    client = client_for(admin_a)
    for url in [f"{LEDGER}{entry.pk}/", f"{ACCOUNTS}{county['own'].pk}/", LEDGER, ACCOUNTS]:
        assert getattr(client, method)(url, {}, format="json").status_code in (403, 405), url
    assert LedgerEntry.objects.count() == 4


def test_a_bad_filter_answers_400(county, admin_a):
    response = client_for(admin_a).get(LEDGER, {"kind": "theft"})
    assert response.status_code == 400
    assert "kind" in response.json()


@pytest.mark.parametrize("url", [ACCOUNTS, LEDGER])
def test_query_count_does_not_grow_with_rows(url, district, admin_a, django_assert_max_num_queries):
    def count_queries():
        with django_assert_max_num_queries(6):
            assert client_for(admin_a).get(url, {"page_size": 1000}).status_code == 200

    project_with_money(district, code="P0")
    count_queries()
    for n in range(1, 20):
        project_with_money(district, code=f"P{n}", moves=(1000, -10, 500))
    count_queries()
