"""/api/v1/users/: administrators manage accounts within the schools they administer."""

import pytest
from rest_framework.test import APIClient

from mentoring.models import Membership, Role, User
from tests.conftest import client_for
from workers.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory, member

USERS_URL = "/api/v1/users/"
TOKEN_URL = "/api/v1/auth/token/"
NEW_PASSWORD = "Qiu-feng-2026-autumn"


def detail_url(user) -> str:
    return f"{USERS_URL}{user.pk}/"


def new_account(*schools, **overrides) -> dict:
    payload = {
        "username": "zhang.wei",
        "password": NEW_PASSWORD,
        "role": Role.TEACHER,
        "schools": [school.pk for school in schools],
        "email": "zhang.wei@example.org",
        "first_name": "Wei",
        "last_name": "Zhang",
    }
    payload.update(overrides)
    return payload


def row_counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Membership.objects.count(),
        User.history.count(),
        Membership.history.count(),
    )


def usernames(response) -> set[str]:
    return {row["username"] for row in response.json()["results"]}


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


@pytest.fixture
def only_a(school_a):
    return member(Role.TEACHER, school_a, username="only.a")


@pytest.fixture
def only_b(school_b):
    return member(Role.TEACHER, school_b, username="only.b")


@pytest.fixture
def in_both(school_a, school_b):
    """A teacher in school A who volunteers in school B."""
    user = member(Role.TEACHER, school_a, username="in.both")
    MembershipFactory(user=user, school=school_b, role=Role.VOLUNTEER)
    return user


# Permissions


def test_anonymous_request_answers_401(api, school_a):
    before = row_counts()

    assert api.get(USERS_URL).status_code == 401
    assert api.post(USERS_URL, new_account(school_a), format="json").status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_non_administrators_cannot_list_or_create_users(role, school_a, only_a):
    client = client_for(member(role, school_a))
    before = row_counts()

    listed = client.get(USERS_URL)
    retrieved = client.get(detail_url(only_a))
    created = client.post(USERS_URL, new_account(school_a), format="json")
    patched = client.patch(detail_url(only_a), {"first_name": "Changed"}, format="json")

    assert listed.status_code == 403
    assert "results" not in listed.json()
    assert retrieved.status_code == 403
    assert created.status_code == 403
    assert patched.status_code == 403
    assert row_counts() == before
    only_a.refresh_from_db()
    assert only_a.first_name != "Changed"


def test_admin_of_school_a_lists_only_accounts_with_a_role_in_school_a(
    admin_a, admin_b, only_a, only_b, in_both
):
    UserFactory(username="no.school")

    response = client_for(admin_a).get(USERS_URL)

    assert response.status_code == 200
    assert usernames(response) == {admin_a.username, "only.a", "in.both"}
    assert response.json()["count"] == 3


def test_account_shared_with_school_b_shows_only_its_school_a_membership(
    school_a, school_b, admin_a, in_both
):
    response = client_for(admin_a).get(USERS_URL)

    row = next(r for r in response.json()["results"] if r["username"] == "in.both")
    assert row["memberships"] == [
        {
            "school": school_a.pk,
            "school_code": school_a.code,
            "school_name": school_a.name,
            "role": Role.TEACHER,
        }
    ]
    assert school_b.code not in response.content.decode()
    assert school_b.name not in response.content.decode()


def test_admin_of_school_a_retrieving_a_school_b_account_gets_404(admin_a, only_b):
    response = client_for(admin_a).get(detail_url(only_b))

    assert response.status_code == 404
    assert "username" not in response.json()


def test_admin_of_school_a_retrieves_shared_account_without_school_b(
    school_a, school_b, admin_a, in_both
):
    response = client_for(admin_a).get(detail_url(in_both))

    assert response.status_code == 200
    assert response.json()["username"] == "in.both"
    assert [m["school"] for m in response.json()["memberships"]] == [school_a.pk]


def test_administrator_in_b_who_teaches_in_a_sees_only_school_b_accounts(
    school_a, school_b, only_a, only_b
):
    viewer = member(Role.ADMINISTRATOR, school_b, username="admin.b.teacher.a")
    MembershipFactory(user=viewer, school=school_a, role=Role.TEACHER)

    response = client_for(viewer).get(USERS_URL)

    assert usernames(response) == {"admin.b.teacher.a", "only.b"}
    assert client_for(viewer).get(detail_url(only_a)).status_code == 404


def test_district_admin_sees_accounts_of_both_schools_with_both_memberships(
    school_a, school_b, district_admin, only_a, only_b, in_both
):
    response = client_for(district_admin).get(USERS_URL)

    assert usernames(response) == {district_admin.username, "only.a", "only.b", "in.both"}
    row = next(r for r in response.json()["results"] if r["username"] == "in.both")
    assert {(m["school"], m["role"]) for m in row["memberships"]} == {
        (school_a.pk, Role.TEACHER),
        (school_b.pk, Role.VOLUNTEER),
    }


def test_platform_admin_sees_every_account(superuser, admin_a, only_a, only_b, in_both):
    UserFactory(username="no.school")

    response = client_for(superuser).get(USERS_URL)

    assert response.status_code == 200
    assert usernames(response) == {
        "platform.root", admin_a.username, "only.a", "only.b", "in.both", "no.school",
    }  # fmt: skip
    row = next(r for r in response.json()["results"] if r["username"] == "in.both")
    assert len(row["memberships"]) == 2


def test_list_is_ordered_by_username_and_paginated(school_a, admin_a):
    for name in ["c.teacher", "a.teacher", "b.teacher"]:
        member(Role.TEACHER, school_a, username=name)

    response = client_for(admin_a).get(USERS_URL, {"page_size": 2})

    body = response.json()
    assert body["count"] == 4
    assert [r["username"] for r in body["results"]] == ["a.teacher", "b.teacher"]
    assert body["next"] is not None
    assert body["previous"] is None


def test_list_does_not_expose_password_hashes(admin_a, only_a):
    response = client_for(admin_a).get(USERS_URL)

    assert "password" not in response.json()["results"][0]
    assert "md5$" not in response.content.decode()


# Filters


def test_filter_by_school_of_another_school_reveals_nothing(school_b, admin_a, in_both):
    response = client_for(admin_a).get(USERS_URL, {"school": school_b.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_filter_by_role_only_looks_at_roles_in_administered_schools(
    school_a, admin_a, in_both, superuser
):
    # in.both volunteers in school B only.
    as_admin_a = client_for(admin_a).get(USERS_URL, {"role": Role.VOLUNTEER})
    as_platform_admin = client_for(superuser).get(USERS_URL, {"role": Role.VOLUNTEER})

    assert usernames(as_admin_a) == set()
    assert usernames(as_platform_admin) == {"in.both"}


def test_filter_by_role_and_school_matches_one_membership(
    school_a, school_b, district_admin, in_both, only_b
):
    client = client_for(district_admin)

    teachers_in_b = client.get(USERS_URL, {"role": Role.TEACHER, "school": school_b.pk})
    volunteers_in_b = client.get(USERS_URL, {"role": Role.VOLUNTEER, "school": school_b.pk})
    in_a = client.get(USERS_URL, {"school": school_a.pk})

    assert usernames(teachers_in_b) == {"only.b"}
    assert usernames(volunteers_in_b) == {"in.both"}
    assert usernames(in_a) == {district_admin.username, "in.both"}


def test_filter_by_is_active(school_a, admin_a, only_a):
    member(Role.TEACHER, school_a, username="left.school", is_active=False)

    inactive = client_for(admin_a).get(USERS_URL, {"is_active": "false"})

    assert usernames(inactive) == {"left.school"}


def test_filter_with_a_bad_role_answers_400(admin_a):
    response = client_for(admin_a).get(USERS_URL, {"role": "janitor"})

    assert response.status_code == 400
    assert "role" in response.json()


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


# Update


def test_admin_changes_name_and_deactivates_an_account_of_their_school(admin_a, only_a):
    response = client_for(admin_a).patch(
        detail_url(only_a), {"first_name": "Hua", "is_active": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Hua"
    assert response.json()["is_active"] is False
    only_a.refresh_from_db()
    assert only_a.first_name == "Hua"
    assert only_a.is_active is False


def test_deactivated_account_cannot_obtain_a_token(admin_a, only_a):
    client_for(admin_a).patch(detail_url(only_a), {"is_active": False}, format="json")

    response = APIClient().post(
        TOKEN_URL, {"username": "only.a", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401


def test_admin_cannot_change_an_account_that_also_belongs_to_another_school(admin_a, in_both):
    response = client_for(admin_a).patch(
        detail_url(in_both), {"first_name": "Changed", "is_active": False}, format="json"
    )

    assert response.status_code == 403
    in_both.refresh_from_db()
    assert in_both.first_name != "Changed"
    assert in_both.is_active is True


def test_district_admin_can_change_an_account_of_both_schools(district_admin, in_both):
    response = client_for(district_admin).patch(
        detail_url(in_both), {"last_name": "Li"}, format="json"
    )

    assert response.status_code == 200
    in_both.refresh_from_db()
    assert in_both.last_name == "Li"


def test_admin_of_school_a_changing_a_school_b_account_gets_404(admin_a, only_b):
    response = client_for(admin_a).patch(
        detail_url(only_b), {"first_name": "Changed"}, format="json"
    )

    assert response.status_code == 404
    only_b.refresh_from_db()
    assert only_b.first_name != "Changed"


def test_school_admin_cannot_change_a_platform_admin_in_their_school(school_a, admin_a):
    root = UserFactory(username="root.in.a", is_superuser=True)
    MembershipFactory(user=root, school=school_a, role=Role.TEACHER)

    response = client_for(admin_a).patch(detail_url(root), {"is_active": False}, format="json")

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.is_active is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "renamed"), ("is_superuser", True), ("is_staff", True), ("password", "x")],
)
def test_changing_a_field_that_is_not_editable_answers_400_and_changes_nothing(
    admin_a, only_a, field, value
):
    response = client_for(admin_a).patch(
        detail_url(only_a), {field: value, "first_name": "Changed"}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    only_a.refresh_from_db()
    assert only_a.username == "only.a"
    assert only_a.first_name != "Changed"
    assert only_a.is_superuser is False
    assert only_a.is_staff is False
    assert only_a.check_password(DEFAULT_PASSWORD)


def test_bad_email_in_update_answers_400(admin_a, only_a):
    response = client_for(admin_a).patch(detail_url(only_a), {"email": "nope"}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    only_a.refresh_from_db()
    assert only_a.email == "only.a@example.org"


def test_admin_cannot_deactivate_themselves(admin_a):
    response = client_for(admin_a).patch(
        detail_url(admin_a), {"is_active": False}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"is_active": ["You cannot deactivate your own account."]}
    admin_a.refresh_from_db()
    assert admin_a.is_active is True


def test_admin_can_change_their_own_name(admin_a):
    response = client_for(admin_a).patch(detail_url(admin_a), {"first_name": "Self"}, format="json")

    assert response.status_code == 200
    admin_a.refresh_from_db()
    assert admin_a.first_name == "Self"


def test_put_is_not_allowed(admin_a, only_a):
    response = client_for(admin_a).put(
        detail_url(only_a),
        {"first_name": "Changed", "last_name": "X", "email": "", "is_active": True},
        format="json",
    )

    assert response.status_code == 405
    only_a.refresh_from_db()
    assert only_a.first_name != "Changed"


def test_delete_is_not_allowed(admin_a, only_a):
    before = row_counts()

    response = client_for(admin_a).delete(detail_url(only_a))

    assert response.status_code == 405
    assert row_counts() == before


# Query count


@pytest.mark.parametrize("n_users", [3, 30])
def test_list_query_count_does_not_grow_with_accounts(
    n_users, school_a, school_b, admin_a, django_assert_max_num_queries
):
    for n in range(n_users):
        user = member(Role.TEACHER, school_a, username=f"teacher{n:02d}")
        MembershipFactory(user=user, school=school_a, role=Role.VOLUNTEER)
        MembershipFactory(user=user, school=school_b, role=Role.TEACHER)
    client = client_for(admin_a)

    with django_assert_max_num_queries(5):
        response = client.get(USERS_URL, {"page_size": 100})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == n_users + 1
    assert all(len(r["memberships"]) == 2 for r in results if r["username"] != admin_a.username)


# Audit history


def test_creating_an_account_records_history_by_the_requesting_admin(school_a, admin_a):
    token = (
        APIClient()
        .post(
            TOKEN_URL, {"username": admin_a.username, "password": DEFAULT_PASSWORD}, format="json"
        )
        .json()["access"]
    )

    response = APIClient().post(
        USERS_URL,
        new_account(school_a),
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201
    user = User.objects.get(username="zhang.wei")
    user_history = list(User.history.filter(id=user.pk))
    assert [(h.history_type, h.history_user_id) for h in user_history] == [("+", admin_a.pk)]
    membership = user.memberships.get()
    membership_history = list(Membership.history.filter(id=membership.pk))
    assert [(h.history_type, h.history_user_id) for h in membership_history] == [("+", admin_a.pk)]
    assert membership_history[0].school_id == school_a.pk
    assert membership_history[0].role == Role.TEACHER


def test_updating_an_account_records_history_by_the_requesting_admin(admin_a, only_a):
    client_for(admin_a).patch(detail_url(only_a), {"first_name": "Hua"}, format="json")

    latest = User.history.filter(id=only_a.pk).latest("history_date")
    assert latest.history_type == "~"
    assert latest.first_name == "Hua"
    assert latest.history_user_id == admin_a.pk
