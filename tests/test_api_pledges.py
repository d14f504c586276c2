"""pledges/: donors pledge through the API, retries are safe, each sees only its own."""

import datetime

import pytest
from django.utils import timezone

from donations.models import AidProject, Donor, DonorKind, FundSource, Pledge, PledgeInstalment
from tests.conftest import client_for
from tests.factories import DistrictFactory, SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/pledges/"


def later(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def donors(district, school_a):
    project = AidProject.objects.create(
        district=district, code="GIRLS", name="春蕾计划", source=FundSource.SOCIAL, purpose="girls"
    )
    newspaper = member("donor", school_a)
    person = member("donor", school_a)
    return {
        "project": project,
        "newspaper": newspaper,
        "person": person,
        "newspaper_donor": Donor.objects.create(
            district=district, kind=DonorKind.ORGANISATION, name="县报社", user=newspaper
        ),
        "person_donor": Donor.objects.create(
            district=district, kind=DonorKind.INDIVIDUAL, name="赵女士", user=person, anonymous=True
        ),
    }


def money(donors, **overrides):
    values = {
        "kind": "money",
        "schedule": "instalments",
        "project": donors["project"].pk,
        "instalments": [
            {"due_on": later(10), "amount": "5000.00"},
            {"due_on": later(120), "amount": "5000.50"},
        ],
    }
    values.update(overrides)
    return values


def test_a_donor_pledges_money_in_instalments(donors):
    response = client_for(donors["newspaper"]).post(URL, money(donors), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["donor_name"], body["project"], body["status"]) == ("县报社", "GIRLS", "pledged")
    assert [i["amount"] for i in body["instalments"]] == ["5000.00", "5000.50"]
    assert list(PledgeInstalment.objects.values_list("amount", flat=True)) == [500_000, 500_050]


def test_a_donor_pledges_items_to_a_purpose(donors):
    body = {
        "kind": "items",
        "schedule": "per_term",
        "purpose": "36名贫困学生每学期",
        "item_name": "课外读物",
        "item_unit": "本",
        "unit_value": "25.00",
        "instalments": [{"due_on": later(30), "amount": "36"}],
    }
    response = client_for(donors["person"]).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["instalments"][0]["amount"] == 36


def test_a_retried_pledge_is_recorded_once_and_a_reused_key_is_refused(donors):
    client = client_for(donors["newspaper"])
    first = client.post(URL, money(donors), format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = client.post(URL, money(donors), format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    other = client.post(
        URL, money(donors, note="changed"), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotency-Key" in other.json()
    assert Pledge.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"instalments": [{"due_on": later(-1), "amount": "10.00"}]}, "instalments"),
        ({"instalments": [{"due_on": later(5), "amount": "10.001"}]}, "instalments"),
        ({"instalments": [{"due_on": later(5), "amount": "-10"}]}, "instalments"),
        ({"instalments": []}, "instalments"),
        ({"schedule": "once"}, "instalments"),
        ({"project": 999_999}, "project"),
        ({"project": None}, "purpose"),
        ({"kind": "gold"}, "kind"),
        (
            {
                "kind": "items",
                "item_name": "书",
                "item_unit": "本",
                "instalments": [{"due_on": later(5), "amount": "1.5"}],
            },
            "instalments",
        ),
        ({"kind": "items", "instalments": [{"due_on": later(5), "amount": "3"}]}, "item_name"),
    ],
)
def test_bad_pledges_answer_400_naming_the_field_and_write_nothing(donors, overrides, field):
    response = client_for(donors["newspaper"]).post(URL, money(donors, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Pledge.objects.count() == 0
    assert PledgeInstalment.objects.count() == 0


def test_a_donor_sees_only_its_own_pledges(donors):
    client_for(donors["newspaper"]).post(URL, money(donors), format="json")
    assert client_for(donors["person"]).get(URL).json()["count"] == 0
    pledge = Pledge.objects.get()
    assert client_for(donors["person"]).get(f"{URL}{pledge.pk}/").status_code == 404
    # Nor can it pledge in another donor's name.
    response = client_for(donors["person"]).post(
        URL, money(donors, donor=donors["newspaper_donor"].pk), format="json"
    )
    assert response.status_code == 400
    assert "donor" in response.json()


def test_administrators_see_their_districts_pledges_and_others_do_not(donors, admin_a, school_a):
    client_for(donors["newspaper"]).post(URL, money(donors), format="json")
    assert client_for(admin_a).get(URL).json()["count"] == 1
    outsider = member("administrator", SchoolFactory(district=DistrictFactory()))
    assert client_for(outsider).get(URL).json()["count"] == 0
    for role in ["teacher", "volunteer", "supervisor"]:
        assert client_for(member(role, school_a)).get(URL).json()["count"] == 0


def test_a_user_without_a_donor_profile_cannot_pledge(donors, school_a):
    teacher = member("teacher", school_a)
    response = client_for(teacher).post(URL, money(donors), format="json")
    assert response.status_code == 400
    assert "donor" in response.json()


def test_anonymous_401_and_superuser_sees_all(api, donors):
    client_for(donors["newspaper"]).post(URL, money(donors), format="json")
    assert api.get(URL).status_code == 401
    assert client_for(UserFactory(is_superuser=True)).get(URL).json()["count"] == 1


def test_list_query_count_does_not_grow(donors, admin_a, django_assert_max_num_queries):
    client = client_for(donors["newspaper"])

    def listed(n):
        with django_assert_max_num_queries(6):
            assert client_for(admin_a).get(URL, {"page_size": 1000}).json()["count"] == n

    client.post(URL, money(donors), format="json")
    listed(1)
    for _ in range(15):
        client.post(URL, money(donors), format="json")
    listed(16)


def test_a_donor_or_administrator_cancels_a_pledge_with_a_reason_once(donors, admin_a):
    pledge_id = client_for(donors["newspaper"]).post(URL, money(donors), format="json").json()["id"]
    cancel = f"{URL}{pledge_id}/cancel/"
    assert client_for(donors["person"]).post(cancel, {"reason": "x"}).status_code == 404
    assert client_for(donors["newspaper"]).post(cancel, {"reason": ""}).status_code == 400
    done = client_for(donors["newspaper"]).post(cancel, {"reason": "预算调整"})
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")
    assert client_for(admin_a).post(cancel, {"reason": "again"}).status_code == 409
