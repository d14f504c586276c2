"""item-donations/ and item-distributions/: administrators move stock, donors read their gifts."""

import pytest

from donations.models import Donor, DonorKind, ItemDistribution, ItemDonation, ItemKind
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import StudentFactory, UserFactory, member

pytestmark = pytest.mark.django_db

GIFTS, GIVE = "/api/v1/item-donations/", "/api/v1/item-distributions/"


@pytest.fixture
def room(district, school_a, admin_a):
    donor_user = member("donor", school_a)
    return {
        "books": ItemKind.objects.create(district=district, name="课外读物", unit="本"),
        "donor": Donor.objects.create(
            district=district, kind=DonorKind.ORGANISATION, name="新华书店", user=donor_user
        ),
        "donor_user": donor_user,
        "student": StudentFactory(school=school_a, name="李小红"),
        "admin": admin_a,
    }


def gift(room, **overrides):
    values = {
        "donor": room["donor"].pk,
        "item_kind": room["books"].pk,
        "quantity": 10,
        "value": "250.00",
        "received_on": "2026-11-20",
    }
    values.update(overrides)
    return values


def giving(room, **overrides):
    values = {
        "item_kind": room["books"].pk,
        "student": room["student"].pk,
        "quantity": 4,
        "given_on": "2026-11-21",
        "signed_by_student": True,
        "signed_by_guardian": True,
    }
    values.update(overrides)
    return values


def test_stock_in_and_out_through_the_api(room):
    client = client_for(room["admin"])
    received = client.post(GIFTS, gift(room), format="json")
    assert received.status_code == 201
    assert received.json()["value"] == "250.00"
    given = client.post(GIVE, giving(room), format="json")
    assert given.status_code == 201
    assert given.json()["student_name"] == "李小红"
    room["books"].refresh_from_db()
    assert room["books"].stock == 6


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 7}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"signed_by_guardian": False}, "signed_by_guardian"),
        ({"student": 999_999}, "student"),
    ],
)
def test_distribution_beyond_stock_or_unsigned_answers_400(room, overrides, field):
    client = client_for(room["admin"])
    client.post(GIFTS, gift(room, quantity=6), format="json")
    response = client.post(GIVE, giving(room, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ItemDistribution.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"value": "1.001"}, "value"),
        ({"quantity": -1}, "quantity"),
        ({"item_kind": 999_999}, "item_kind"),
        ({"received_on": "2999-01-01"}, "received_on"),
    ],
)
def test_bad_item_donations_answer_400(room, overrides, field):
    response = client_for(room["admin"]).post(GIFTS, gift(room, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ItemDonation.objects.count() == 0


def test_a_donor_reads_its_gifts_but_not_who_received_them(room):
    client_for(room["admin"]).post(GIFTS, gift(room), format="json")
    client_for(room["admin"]).post(GIVE, giving(room), format="json")
    donor = client_for(room["donor_user"])
    assert donor.get(GIFTS).json()["count"] == 1
    assert donor.get(GIVE).status_code == 403
    assert donor.post(GIFTS, gift(room), format="json").status_code == 403


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor"])
def test_other_roles_cannot_move_stock(room, school_a, role):
    user = client_for(member(role, school_a))
    assert user.post(GIFTS, gift(room), format="json").status_code == 403
    assert user.post(GIVE, giving(room), format="json").status_code == 403
    assert user.get(GIFTS).json()["count"] == 0
    assert ItemDonation.objects.count() == 0


def test_administrator_of_another_school_sees_no_distributions(room, admin_b):
    client_for(room["admin"]).post(GIFTS, gift(room), format="json")
    client_for(room["admin"]).post(GIVE, giving(room), format="json")
    assert client_for(admin_b).get(GIVE).json()["count"] == 0


def test_anonymous_401_and_superuser_sees_all(api, room):
    client_for(room["admin"]).post(GIFTS, gift(room), format="json")
    assert api.get(GIFTS).status_code == 401
    assert client_for(UserFactory(is_superuser=True)).get(GIFTS).json()["count"] == 1


def test_query_counts_do_not_grow(room, django_assert_max_num_queries):
    client = client_for(room["admin"])

    def listed(url, n):
        # Items given name their students: that list is recorded in the access log.
        logged = ACCESS_LOG_QUERIES if url == GIVE else 0
        with django_assert_max_num_queries(6 + logged):
            assert client.get(url, {"page_size": 1000}).json()["count"] == n

    client.post(GIFTS, gift(room, quantity=100), format="json")
    client.post(GIVE, giving(room, quantity=1), format="json")
    listed(GIFTS, 1)
    listed(GIVE, 1)
    for _ in range(15):
        client.post(GIFTS, gift(room), format="json")
        client.post(GIVE, giving(room, quantity=1), format="json")
    listed(GIFTS, 16)
    listed(GIVE, 16)
