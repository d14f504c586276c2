"""POST /api/v1/users/: administrators create accounts in the schools they administer only."""

import pytest
from rest_framework.test import APIClient

from mentoring.models import Membership, Role, User
from tests.conftest import client_for
from tests.mentoring.users.users_scene import (
    NEW_PASSWORD,
    TOKEN_URL,
    USERS_URL,
    new_account,
    row_counts,
)
from workers.factories import DEFAULT_PASSWORD

# Create


def test_admin_of_school_a_creates_a_teacher_in_school_a(school_a, admin_a):
    response = client_for(admin_a).post(USERS_URL, new_account(school_a), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zhang.wei"
    assert body["email"] == "zhang.wei@example.org"
    assert body["is_active"] is True
    assert "password" not in body
    assert body["memberships"] == [
        {
            "school": school_a.pk,
            "school_code": school_a.code,
            "school_name": school_a.name,
            "role": Role.TEACHER,
        }
    ]
    user = User.objects.get(username="zhang.wei")
    assert body["id"] == user.pk
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_superuser
    assert not user.is_staff
    assert list(user.memberships.values_list("school_id", "role")) == [(school_a.pk, Role.TEACHER)]


def test_created_account_can_obtain_a_token_with_its_password(school_a, admin_a):
    client_for(admin_a).post(USERS_URL, new_account(school_a), format="json")

    response = APIClient().post(
        TOKEN_URL, {"username": "zhang.wei", "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    me = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["username"] == "zhang.wei"
    assert me.json()["roles"] == [Role.TEACHER]


def test_admin_of_school_a_cannot_create_user_in_school_b(school_b, admin_a):
    before = row_counts()

    response = client_for(admin_a).post(USERS_URL, new_account(school_b), format="json")

    assert response.status_code == 403
    assert "schools" in response.json()
    assert row_counts() == before
    assert not User.objects.filter(username="zhang.wei").exists()


def test_admin_of_school_a_cannot_create_user_in_schools_a_and_b(school_a, school_b, admin_a):
    before = row_counts()

    response = client_for(admin_a).post(USERS_URL, new_account(school_a, school_b), format="json")

    assert response.status_code == 403
    assert list(response.json()) == ["schools"]
    # Not even the school A membership is written.
    assert row_counts() == before


def test_unknown_school_answers_exactly_like_a_foreign_school(school_b, admin_a):
    missing_id = school_b.pk + 1000
    client = client_for(admin_a)
    before = row_counts()

    foreign = client.post(
        USERS_URL, new_account(school_b), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    missing = client.post(
        USERS_URL,
        new_account(username="other.name", schools=[missing_id]),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert foreign.status_code == missing.status_code == 403
    assert list(foreign.json()) == list(missing.json()) == ["schools"]
    foreign_message = foreign.json()["schools"][0].replace(str(school_b.pk), "<id>")
    missing_message = missing.json()["schools"][0].replace(str(missing_id), "<id>")
    assert foreign_message == missing_message
    assert "schools you administer" in foreign_message
    assert row_counts() == before


def test_district_admin_creates_an_account_in_both_schools(school_a, school_b, district_admin):
    response = client_for(district_admin).post(
        USERS_URL, new_account(school_a, school_b, role=Role.VOLUNTEER), format="json"
    )

    assert response.status_code == 201
    assert {(m["school"], m["role"]) for m in response.json()["memberships"]} == {
        (school_a.pk, Role.VOLUNTEER),
        (school_b.pk, Role.VOLUNTEER),
    }
    user = User.objects.get(username="zhang.wei")
    assert user.memberships.count() == 2


def test_platform_admin_without_memberships_creates_in_any_school(school_a, school_b, superuser):
    assert superuser.memberships.count() == 0

    response = client_for(superuser).post(
        USERS_URL, new_account(school_b, role=Role.ADMINISTRATOR), format="json"
    )

    assert response.status_code == 201
    assert [(m["school"], m["role"]) for m in response.json()["memberships"]] == [
        (school_b.pk, Role.ADMINISTRATOR)
    ]


def test_repeated_school_id_gives_one_membership(school_a, admin_a):
    response = client_for(admin_a).post(
        USERS_URL, new_account(schools=[school_a.pk, school_a.pk]), format="json"
    )

    assert response.status_code == 201
    assert Membership.objects.filter(user__username="zhang.wei").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": None}, "username"),
        ({"password": None}, "password"),
        ({"role": None}, "role"),
        ({"schools": None}, "schools"),
        ({"role": "janitor"}, "role"),
        ({"schools": []}, "schools"),
        ({"schools": ["first"]}, "schools"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"password": "zhang.wei"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "zhang wei"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
    ],
    ids=[
        "missing-username",
        "missing-password",
        "missing-role",
        "missing-schools",
        "bad-role",
        "empty-schools",
        "non-integer-school",
        "numeric-short-password",
        "common-password",
        "password-like-username",
        "bad-email",
        "username-with-space",
        "blank-username",
        "too-long-username",
    ],
)
def test_invalid_account_answers_400_naming_the_field_and_writes_nothing(
    school_a, admin_a, change, field
):
    payload = new_account(school_a)
    for key, value in change.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    before = row_counts()

    response = client_for(admin_a).post(
        USERS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    body = response.json()
    assert field in body
    assert body[field]
    assert row_counts() == before


def test_missing_fields_are_all_named_at_once(admin_a):
    response = client_for(admin_a).post(USERS_URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.json()
    assert {"username", "password", "role", "schools"} <= set(body)
    assert body["username"] == ["This field is required."]


def test_duplicate_username_answers_400_and_writes_nothing(school_a, admin_a, only_a):
    before = row_counts()

    response = client_for(admin_a).post(
        USERS_URL,
        new_account(school_a, username="only.a"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"username": ["This username is taken."]}
    assert row_counts() == before
    only_a.refresh_from_db()
    assert only_a.check_password(DEFAULT_PASSWORD)


def test_weak_password_message_explains_the_rule(school_a, admin_a):
    response = client_for(admin_a).post(
        USERS_URL, new_account(school_a, password="123"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "too short" in response.json()["password"][0]
