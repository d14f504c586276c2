"""GET /api/v1/me/: the signed-in user, their roles and their schools."""

import pytest

from mentoring.models import Role
from tests.conftest import client_for
from workers.factories import SchoolFactory, UserFactory, member

ME_URL = "/api/v1/me/"


def test_anonymous_request_answers_401(api):
    response = api.get(ME_URL)

    assert response.status_code == 401
    assert "username" not in response.json()


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_own_account_roles_and_schools(role, school_a, school_b):
    user = member(role, school_a, username=f"own.{role}")
    # A colleague in the same school and somebody in another school.
    colleague = member(Role.TEACHER, school_a, username="colleague.teacher")
    outsider = member(Role.ADMINISTRATOR, school_b, username="outsider.admin")

    response = client_for(user).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["username"] == f"own.{role}"
    assert body["roles"] == [role]
    assert body["is_platform_admin"] is False
    assert body["memberships"] == [
        {
            "school": school_a.pk,
            "school_code": school_a.code,
            "school_name": school_a.name,
            "role": role,
        }
    ]
    text = response.content.decode()
    assert colleague.username not in text
    assert outsider.username not in text
    assert school_b.code not in text


def test_user_with_several_roles_and_schools_sees_all_of_their_own(school_a, school_b):
    user = member(Role.ADMINISTRATOR, school_a, school_b)
    member_of_a_as_teacher = user.memberships.create(school=school_a, role=Role.TEACHER)

    body = client_for(user).get(ME_URL).json()

    assert body["roles"] == [Role.ADMINISTRATOR, Role.TEACHER]
    assert sorted((m["school_code"], m["role"]) for m in body["memberships"]) == sorted(
        [
            (school_a.code, Role.ADMINISTRATOR),
            (school_a.code, member_of_a_as_teacher.role),
            (school_b.code, Role.ADMINISTRATOR),
        ]
    )


def test_memberships_are_ordered_by_school_code(district):
    later = SchoolFactory(code="Z-LAST", district=district)
    earlier = SchoolFactory(code="A-FIRST", district=district)
    user = member(Role.VOLUNTEER, later, earlier)

    body = client_for(user).get(ME_URL).json()

    assert [m["school_code"] for m in body["memberships"]] == ["A-FIRST", "Z-LAST"]


def test_superuser_without_memberships_is_platform_admin(db):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    body = client_for(root).get(ME_URL).json()

    assert body["username"] == "root"
    assert body["is_platform_admin"] is True
    assert body["roles"] == []
    assert body["memberships"] == []


def test_school_administrator_is_not_platform_admin(admin_a):
    body = client_for(admin_a).get(ME_URL).json()

    assert body["is_platform_admin"] is False
    assert body["roles"] == [Role.ADMINISTRATOR]


def test_me_does_not_expose_the_password_hash(admin_a):
    body = client_for(admin_a).get(ME_URL).json()

    assert "password" not in body
    assert set(body) == {
        "id", "username", "first_name", "last_name", "email",
        "is_platform_admin", "roles", "memberships",
    }  # fmt: skip


def test_me_is_read_only(admin_a):
    client = client_for(admin_a)

    assert client.post(ME_URL, {"username": "x"}, format="json").status_code == 405
    assert client.patch(ME_URL, {"username": "x"}, format="json").status_code == 405
    admin_a.refresh_from_db()
    assert admin_a.username != "x"


@pytest.mark.parametrize("n_schools", [1, 10])
def test_query_count_does_not_grow_with_memberships(
    n_schools, district, django_assert_max_num_queries
):
    schools = SchoolFactory.create_batch(n_schools, district=district)
    user = member(Role.ADMINISTRATOR, *schools)
    client = client_for(user)

    with django_assert_max_num_queries(2):
        response = client.get(ME_URL)

    assert response.status_code == 200
    assert len(response.json()["memberships"]) == n_schools
