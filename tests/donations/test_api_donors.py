"""donors/: administrators register donors; a donor changes its own name and anonymity only."""

import pytest

from donations.models import Donor
from tests.conftest import client_for
from workers.factories import DistrictFactory, SchoolFactory, member

URL = "/api/v1/donors/"


@pytest.fixture
def donor_user(school_a):
    return member("donor", school_a)


@pytest.fixture
def donor(district, donor_user):
    return Donor.objects.create(
        district=district, kind="organisation", name="县报社", user=donor_user
    )


def test_an_administrator_registers_a_donor_and_links_its_account(district, admin_a, school_a):
    account = member("donor", school_a)
    response = client_for(admin_a).post(
        URL,
        {"district": district.code, "kind": "staff", "name": "张老师", "user": account.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    donor = Donor.objects.get(pk=response.json()["id"])
    assert (donor.name, donor.kind, donor.user, donor.anonymous) == (
        "张老师",
        "staff",
        account,
        False,
    )


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_only_administrators_register_donors(district, school_a, role):
    response = client_for(member(role, school_a)).post(
        URL, {"district": district.code, "kind": "individual", "name": "某人"}, format="json"
    )
    assert response.status_code == 403
    assert not Donor.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"district": "NOPE", "kind": "individual", "name": "某人"}, "district"),
        ({"kind": "individual", "name": "某人"}, "district"),
        ({"district": "HERE", "kind": "alien", "name": "某人"}, "kind"),
        ({"district": "HERE", "kind": "individual", "name": "   "}, "name"),
        ({"district": "HERE", "kind": "individual", "name": "某人", "user": 999_999}, "user"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(district, admin_a, body, field):
    if body.get("district") == "HERE":
        body = body | {"district": district.code}
    response = client_for(admin_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Donor.objects.exists()


def test_an_administrator_of_another_district_cannot_register_here(district):
    elsewhere = member("administrator", SchoolFactory(district=DistrictFactory()))
    response = client_for(elsewhere).post(
        URL, {"district": district.code, "kind": "individual", "name": "某人"}, format="json"
    )
    assert response.status_code == 400
    assert "district" in response.json()


def test_a_donor_changes_its_own_name_and_anonymity(donor, donor_user):
    response = client_for(donor_user).patch(
        f"{URL}{donor.pk}/", {"anonymous": True, "name": "县日报社"}, format="json"
    )
    assert response.status_code == 200, response.content
    donor.refresh_from_db()
    assert (donor.anonymous, donor.name) == (True, "县日报社")


def test_a_donor_cannot_change_its_kind_or_account(donor, donor_user, school_a):
    client = client_for(donor_user)
    assert client.patch(f"{URL}{donor.pk}/", {"kind": "staff"}, format="json").status_code == 400
    other = member("donor", school_a)
    assert client.patch(f"{URL}{donor.pk}/", {"user": other.pk}, format="json").status_code == 400
    donor.refresh_from_db()
    assert (donor.kind, donor.user) == ("organisation", donor_user)


def test_a_donor_cannot_see_or_change_another_donor(donor, school_a):
    stranger = member("donor", school_a)
    client = client_for(stranger)
    assert client.get(f"{URL}{donor.pk}/").status_code == 404
    assert client.patch(f"{URL}{donor.pk}/", {"anonymous": True}, format="json").status_code == 404
    donor.refresh_from_db()
    assert donor.anonymous is False


def test_one_account_belongs_to_one_donor(district, donor, donor_user, admin_a):
    response = client_for(admin_a).post(
        URL,
        {"district": district.code, "kind": "individual", "name": "某人", "user": donor_user.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "user" in response.json()
    assert Donor.objects.count() == 1
