"""/api/v1/users/: administrators see and filter the accounts of the schools they administer.

The accounts are made in users_scene.py, next to this file; creating, and updating (with the
history of both and the list's query count), have files of their own in this folder.
"""

import pytest

from mentoring.models import Role
from tests.conftest import client_for
from tests.mentoring.users.users_scene import (
    USERS_URL,
    detail_url,
    new_account,
    row_counts,
    usernames,
)
from workers.factories import MembershipFactory, UserFactory, member

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
