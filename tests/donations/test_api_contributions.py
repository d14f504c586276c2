"""contributions/ and donors/: administrators record, donors read their own, nobody else."""

import pytest

from donations.models import AidProject, Contribution, Donor, DonorKind, FundSource, LedgerEntry
from tests.conftest import client_for
from workers.factories import DistrictFactory, SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/contributions/"


@pytest.fixture
def setup(district, school_a):
    project = AidProject.objects.create(
        district=district, code="LOVE", name="爱心助学", source=FundSource.SOCIAL, purpose="tuition"
    )
    donor_user = member("donor", school_a)
    donor = Donor.objects.create(
        district=district, kind=DonorKind.ORGANISATION, name="县报社", user=donor_user
    )
    other_donor = Donor.objects.create(district=district, kind=DonorKind.INDIVIDUAL, name="赵女士")
    return {
        "project": project,
        "donor": donor,
        "other_donor": other_donor,
        "donor_user": donor_user,
    }


def body(setup, **overrides):
    values = {
        "donor": setup["donor"].pk,
        "project": setup["project"].pk,
        "amount": "312.50",
        "received_on": "2026-11-20",
        "memo": "第一期",
    }
    values.update(overrides)
    return values


def test_administrator_records_a_contribution_that_is_then_posted(
    setup, admin_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_a).post(URL, body(setup), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "312.50"
    contribution = Contribution.objects.get()
    assert (contribution.amount_fen, contribution.status) == (31_250, "posted")
    detail = client_for(admin_a).get(f"{URL}{contribution.pk}/").json()
    assert detail["receipt_number"] == f"LOVE-{contribution.pk:08d}"


def test_a_retry_with_the_same_idempotency_key_records_once(setup, admin_a):
    client = client_for(admin_a)
    first = client.post(URL, body(setup), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, body(setup), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(URL, body(setup, amount="1.00"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json()["id"] == first.json()["id"]
    assert Contribution.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "312.505"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"project": 999_999}, "project"),
        ({"donor": 999_999}, "donor"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(
    setup, admin_a, overrides, field
):
    response = client_for(admin_a).post(URL, body(setup, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Contribution.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


def test_a_donor_reads_only_its_own_contributions(setup, admin_a):
    client_for(admin_a).post(URL, body(setup), format="json")
    client_for(admin_a).post(URL, body(setup, donor=setup["other_donor"].pk), format="json")
    own = client_for(setup["donor_user"]).get(URL).json()
    assert [c["donor_name"] for c in own["results"]] == ["县报社"]
    foreign = Contribution.objects.get(donor=setup["other_donor"])
    assert client_for(setup["donor_user"]).get(f"{URL}{foreign.pk}/").status_code == 404
    donors = client_for(setup["donor_user"]).get("/api/v1/donors/").json()["results"]
    assert [d["name"] for d in donors] == ["县报社"]


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor", "donor"])
def test_only_administrators_record_contributions(setup, school_a, role):
    user = setup["donor_user"] if role == "donor" else member(role, school_a)
    response = client_for(user).post(URL, body(setup), format="json")
    assert response.status_code == 403
    assert Contribution.objects.count() == 0


def test_teachers_and_supervisors_see_no_contributions(setup, admin_a, school_a):
    client_for(admin_a).post(URL, body(setup), format="json")
    for role in ["teacher", "supervisor", "volunteer"]:
        assert client_for(member(role, school_a)).get(URL).json()["count"] == 0


def test_administrator_of_another_district_sees_and_records_nothing_here(setup, admin_a):
    client_for(admin_a).post(URL, body(setup), format="json")
    outsider = member("administrator", SchoolFactory(district=DistrictFactory()))
    assert client_for(outsider).get(URL).json()["count"] == 0
    response = client_for(outsider).post(URL, body(setup), format="json")
    assert response.status_code == 400
    assert "project" in response.json()
    assert Contribution.objects.count() == 1


def test_anonymous_gets_401(api, setup):
    assert api.get(URL).status_code == 401
    assert api.post(URL, body(setup), format="json").status_code == 401


def test_platform_administrator_sees_all(setup, admin_a):
    client_for(admin_a).post(URL, body(setup), format="json")
    assert client_for(UserFactory(is_superuser=True)).get(URL).json()["count"] == 1


def test_list_query_count_does_not_grow(setup, admin_a, django_assert_max_num_queries):
    client = client_for(admin_a)

    def listed(n):
        with django_assert_max_num_queries(6):
            assert client.get(URL, {"page_size": 1000}).json()["count"] == n

    client.post(URL, body(setup), format="json")
    listed(1)
    for _ in range(30):
        client.post(URL, body(setup), format="json")
    listed(31)


def test_a_contribution_names_the_pledge_it_honours(setup, admin_a):
    from django.utils import timezone

    from donations.services.pledges import pledge_create

    pledge = pledge_create(
        by=admin_a,
        donor_id=setup["donor"].pk,
        kind="money",
        schedule="once",
        project_id=setup["project"].pk,
        instalments=[(timezone.localdate(), 31_250)],
    )
    response = client_for(admin_a).post(URL, body(setup, pledge=pledge.pk), format="json")
    assert response.status_code == 201
    assert response.json()["pledge"] == pledge.pk
    bad = client_for(admin_a).post(URL, body(setup, pledge=999_999), format="json")
    assert bad.status_code == 400
    assert "pledge" in bad.json()
