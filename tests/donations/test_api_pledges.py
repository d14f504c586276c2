"""pledges/: donors pledge through the API, retries are safe, each sees only its own."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import FieldErrors
from core.exception_handler import exception_handler
from donations.models import AidProject, Donor, DonorKind, FundSource, Pledge, PledgeInstalment
from donations.services.pledges import pledge_create
from tests.conftest import client_for
from workers.factories import DistrictFactory, SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/pledges/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


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
    # The reason is the pledge's own field, read by the API as by the donor's page.
    assert done.json()["cancel_reason"] == "预算调整"
    assert client_for(admin_a).post(cancel, {"reason": "again"}).status_code == 409


def test_the_database_refuses_a_cancelled_pledge_without_its_reason(donors):
    pledge_id = client_for(donors["newspaper"]).post(URL, money(donors), format="json").json()["id"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=pledge_id).update(status="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=pledge_id).update(cancel_reason="预算调整")
    assert Pledge.objects.get(pk=pledge_id).status == "pledged"


# Who cancels: the donor, or an administrator of the whole district


@pytest.fixture
def pledge_id(donors, school_b):
    """A pledge of the newspaper, in a district of two schools (A and B)."""
    response = client_for(donors["newspaper"]).post(URL, money(donors), format="json")
    return response.json()["id"]


def cancel(user, pledge_id):
    return client_for(user).post(
        f"{URL}{pledge_id}/cancel/", {"reason": "预算调整"}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_a_school_administrator_cannot_cancel_a_district_donors_pledge(pledge_id, admin_a):
    # Before, any administrator of one school of the district could.
    response = cancel(admin_a, pledge_id)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the donor, or an administrator of every school of its district, "
        "may cancel this pledge."
    }
    assert Pledge.objects.get(pk=pledge_id).status == "pledged"


@pytest.mark.parametrize("who", ["district_admin", "superuser", "newspaper"])
def test_the_donor_a_district_administrator_or_the_platform_cancels(
    pledge_id, donors, district_admin, who
):
    user = {
        "district_admin": district_admin,
        "superuser": UserFactory(is_superuser=True),
        "newspaper": donors["newspaper"],
    }[who]

    response = cancel(user, pledge_id)

    assert response.status_code == 200, response.json()
    assert Pledge.objects.get(pk=pledge_id).status == "cancelled"


@pytest.mark.parametrize("who", ["person", "teacher", "elsewhere"])
def test_another_donor_or_anyone_outside_cannot_even_see_the_pledge(
    pledge_id, donors, school_a, who
):
    user = {
        "person": donors["person"],
        "teacher": member("teacher", school_a),
        "elsewhere": member("administrator", SchoolFactory(district=DistrictFactory())),
    }[who]

    assert cancel(user, pledge_id).status_code == 404
    assert Pledge.objects.get(pk=pledge_id).status == "pledged"


# How far ahead a pledge may fall due


def years_ahead(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year + years) + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "due_on", ["9999-12-31", years_ahead(5, days=1), years_ahead(50)], ids=["9999", "5y+1d", "50y"]
)
def test_a_pledge_falling_due_beyond_five_years_is_refused(donors, due_on):
    body = money(donors)
    body["instalments"] = [
        {"due_on": later(10), "amount": "1.00"},
        {"due_on": later(40), "amount": "1.00"},
        {"due_on": due_on, "amount": "1.00"},
    ]

    response = client_for(donors["newspaper"]).post(URL, body, format="json", **EN)

    assert response.status_code == 400
    # Nested errors are keyed by the instalment's index (counted from 0).
    errors = response.json()["instalments"]
    assert set(errors) == {"2"}
    assert errors["2"]["due_on"][0].startswith("A pledge falls due by ")
    assert Pledge.objects.count() == PledgeInstalment.objects.count() == 0


def test_a_pledge_falling_due_in_exactly_five_years_is_taken(donors):
    body = money(donors, instalments=[{"due_on": years_ahead(5), "amount": "1.00"}])

    response = client_for(donors["newspaper"]).post(URL, body, format="json")

    assert response.status_code == 201, response.json()


def test_the_bound_is_a_setting(donors, settings):
    settings.PLEDGE_MAX_YEARS_AHEAD = 1
    body = money(donors, instalments=[{"due_on": years_ahead(2), "amount": "1.00"}])

    response = client_for(donors["newspaper"]).post(URL, body, format="json", **EN)

    assert response.status_code == 400
    assert "(1 year ahead)" in response.json()["instalments"]["0"]["due_on"][0]


def test_every_bad_field_of_a_pledge_is_named_in_one_answer(donors):
    body = money(
        donors,
        kind="gold",
        instalments=[
            {"due_on": later(-1), "amount": "1.00"},
            {"due_on": later(10), "amount": "-1"},
            {"due_on": "9999-01-01", "amount": "1.00"},
        ],
        unknown="x",
    )

    response = client_for(donors["newspaper"]).post(URL, body, format="json", **EN)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"kind", "instalments", "unknown"}
    assert {index: set(row) for index, row in body["instalments"].items()} == {
        "0": {"due_on"},
        "1": {"amount"},
        "2": {"due_on"},
    }
    assert Pledge.objects.count() == 0


def items(rows: list[dict], **overrides) -> dict:
    values = {
        "kind": "items",
        "schedule": "instalments",
        "purpose": "图书角",
        "item_name": "课外读物",
        "item_unit": "册",
        "instalments": rows,
    }
    values.update(overrides)
    return values


def test_every_bad_field_of_every_items_row_is_named_in_one_answer(donors):
    # Issue 17: the API named the first row's whole-number error only, and none
    # once any other field of a row was wrong; the donor's page names them all.
    rows = [
        {"due_on": later(-1), "amount": "2.5"},  # in the past, and half an item
        {"due_on": "9999-01-01", "amount": "0"},  # too far ahead, and nothing
        {"due_on": later(10), "amount": "3"},  # a good row
        {"due_on": "next spring", "amount": "1.25"},  # no date, and a quarter of an item
        {"due_on": later(40), "amount": "7.5"},  # only half an item
    ]

    response = client_for(donors["newspaper"]).post(
        URL, items(rows, item_unit=""), format="json", **EN
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"instalments", "item_name"}
    assert {index: set(row) for index, row in body["instalments"].items()} == {
        "0": {"due_on", "amount"},
        "1": {"due_on", "amount"},
        "3": {"due_on", "amount"},
        "4": {"amount"},
    }
    whole = ["Items are counted in whole numbers."]
    assert [body["instalments"][n]["amount"] for n in ("0", "3", "4")] == [whole] * 3
    assert body["instalments"]["0"]["due_on"] == ["A pledge cannot fall due in the past."]
    assert Pledge.objects.count() == 0
    assert PledgeInstalment.objects.count() == 0


def test_items_rows_broken_only_by_fractions_are_each_named_by_their_row(donors):
    rows = [
        {"due_on": later(10), "amount": "1.5"},
        {"due_on": later(20), "amount": "4"},
        {"due_on": later(30), "amount": "0.5"},
    ]

    response = client_for(donors["newspaper"]).post(URL, items(rows), format="json", **EN)

    assert response.status_code == 400
    assert response.json() == {
        "instalments": {
            "0": {"amount": ["Items are counted in whole numbers."]},
            "2": {"amount": ["Items are counted in whole numbers."]},
        }
    }
    assert Pledge.objects.count() == 0
    # The same fractions of money are yuan and fen, and taken.
    taken = client_for(donors["newspaper"]).post(
        URL, money(donors, instalments=rows), format="json"
    )
    assert taken.status_code == 201, taken.json()


def test_the_service_names_each_bad_instalment_by_its_path(donors):
    today = timezone.localdate()
    instalments = [
        (today - datetime.timedelta(days=1), 100),
        (today + datetime.timedelta(days=10), 0),
        (datetime.date(9999, 1, 1), 100),
    ]

    with pytest.raises(FieldErrors) as refused:
        pledge_create(
            by=donors["newspaper"],
            donor_id=donors["newspaper_donor"].pk,
            kind="money",
            schedule="instalments",
            instalments=instalments,
            purpose="books",
        )

    assert set(refused.value.errors) == {
        "instalments[0].due_on",
        "instalments[1].amount",
        "instalments[2].due_on",
    }
    assert Pledge.objects.count() == 0


def test_several_refused_fields_are_answered_together():
    response = exception_handler(
        FieldErrors({"instalments[0].due_on": ["past"], "instalments[2].amount": ["zero"]}), {}
    )

    assert response.status_code == 400
    assert response.data == {"instalments[0].due_on": ["past"], "instalments[2].amount": ["zero"]}
