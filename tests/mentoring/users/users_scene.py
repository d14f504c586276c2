"""Accounts for the users/ tests: teachers of school A, of school B, and of both."""

import pytest

from mentoring.models import Membership, Role, User
from workers.factories import MembershipFactory, UserFactory, member

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
