"""PATCH /api/v1/users/{id}/: what administrators may change, the list's query count, and the
history of every creation and change, with the requesting administrator.
"""

import pytest
from rest_framework.test import APIClient

from mentoring.models import Membership, Role, User
from tests.conftest import client_for
from tests.mentoring.users.users_scene import (
    TOKEN_URL,
    USERS_URL,
    detail_url,
    new_account,
    row_counts,
)
from workers.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory, member

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
