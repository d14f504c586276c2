"""core.permissions: one home for "an active account" and for each administrator rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from core.errors import FieldErrors, checked
from core.permissions import (
    AdministratorsWrite,
    IsAdministrator,
    is_active_account,
)
from workers.factories import UserFactory, member


def _allowed(permission, user, method="post") -> bool:
    request = getattr(APIRequestFactory(), method)("/")
    request.user = user
    return permission().has_permission(request, view=None)


@pytest.mark.django_db
def test_the_administrator_rule_lets_in_active_administrators_only(school_a):
    platform = UserFactory(is_superuser=True)
    administrator = member("administrator", school_a)
    teacher = member("teacher", school_a)
    retired = member("administrator", school_a)
    retired.is_active = False
    retired.save()
    inactive_platform = UserFactory(is_superuser=True, is_active=False)
    expected = {
        platform: True,
        administrator: True,
        teacher: False,
        retired: False,
        inactive_platform: False,
        AnonymousUser(): False,
    }
    for user, allowed in expected.items():
        assert _allowed(IsAdministrator, user) == allowed, user
        assert _allowed(AdministratorsWrite, user) == allowed, user


@pytest.mark.django_db
def test_the_administrator_rule_costs_a_platform_administrator_no_query(
    school_a, django_assert_num_queries
):
    platform = UserFactory(is_superuser=True)
    administrator = member("administrator", school_a)
    with django_assert_num_queries(0):
        assert _allowed(IsAdministrator, platform)
    with django_assert_num_queries(1):
        assert _allowed(IsAdministrator, administrator)


@pytest.mark.django_db
def test_anyone_signed_in_reads_where_administrators_write(school_a):
    teacher = member("teacher", school_a)
    administrator = member("administrator", school_a)
    assert _allowed(AdministratorsWrite, teacher, "get")
    assert not _allowed(AdministratorsWrite, AnonymousUser(), "get")
    assert not _allowed(AdministratorsWrite, teacher, "post")
    assert _allowed(AdministratorsWrite, administrator, "post")


@pytest.mark.django_db
def test_an_active_account_is_signed_in_and_not_deactivated():
    assert is_active_account(UserFactory())
    assert not is_active_account(UserFactory(is_active=False))
    assert not is_active_account(AnonymousUser())
    assert not is_active_account(None)


def test_checked_raises_every_problem_at_once_or_returns_what_was_found():
    def problems(errors, row, *, amount):
        if amount <= 0:
            errors.add("amount", "Give a positive amount.")
        if row is None:
            errors.add("row", "No such row.")
        return row

    assert checked(problems, "the row", amount=5) == "the row"
    with pytest.raises(FieldErrors) as refused:
        checked(problems, None, amount=0)
    assert refused.value.errors == {
        "amount": ["Give a positive amount."],
        "row": ["No such row."],
    }
