"""Revocable JWTs: rotation, logout, and every change that must end an account's tokens.

Every token carries the account's token generation (mentoring.authentication);
raising it (User.revoke_tokens) ends access and refresh tokens alike.
"""

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from rest_framework.test import APIClient

from mentoring.authentication import RefreshToken
from mentoring.models import Membership, Role, User
from mentoring.services.accounts import user_update
from workers.factories import DEFAULT_PASSWORD, member

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "another-long-pass-2027"


@pytest.fixture
def teacher(school_a):
    return member("teacher", school_a, username="li.hua")


def tokens_of(user, password=DEFAULT_PASSWORD) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"username": user.username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def me_status(access: str) -> int:
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def refresh_status(refresh: str) -> int:
    return APIClient().post(REFRESH_URL, {"refresh": refresh}, format="json").status_code


def assert_revoked(tokens: dict):
    assert me_status(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]) == 401


# Rotation


def test_a_refresh_answers_a_new_refresh_token_that_works(teacher):
    first = tokens_of(teacher)

    response = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != first["refresh"]
    assert me_status(body["access"]) == 200
    assert refresh_status(body["refresh"]) == 200


def test_a_used_refresh_token_is_refused(teacher):
    refresh = tokens_of(teacher)["refresh"]
    assert refresh_status(refresh) == 200

    again = APIClient().post(REFRESH_URL, {"refresh": refresh}, format="json")

    assert again.status_code == 401
    assert "access" not in again.json()


def test_of_two_refreshes_racing_with_one_token_only_one_is_answered(teacher, monkeypatch):
    refresh = tokens_of(teacher)["refresh"]
    # Both requests have passed the blacklist check before either writes.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)

    statuses = [refresh_status(refresh), refresh_status(refresh)]

    assert statuses == [200, 401]


# Logout


def test_logout_ends_the_refresh_and_the_access_token(teacher):
    tokens = tokens_of(teacher)

    response = APIClient().post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert_revoked(tokens)


def test_logout_ends_the_accounts_other_tokens_too_but_not_a_colleagues(teacher, school_a):
    colleague = member("teacher", school_a)
    phone, laptop, theirs = tokens_of(teacher), tokens_of(teacher), tokens_of(colleague)

    APIClient().post(LOGOUT_URL, {"refresh": laptop["refresh"]}, format="json")

    assert_revoked(phone)
    assert me_status(theirs["access"]) == 200


def test_logout_works_with_an_expired_access_token(teacher):
    # No access token is needed: the refresh token names the account.
    tokens = tokens_of(teacher)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    assert client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert_revoked(tokens)


def test_logout_refuses_a_missing_or_invalid_refresh_token(teacher):
    tokens = tokens_of(teacher)

    missing = APIClient().post(LOGOUT_URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    garbage = APIClient().post(LOGOUT_URL, {"refresh": "not.a.token"}, format="json")
    access = APIClient().post(LOGOUT_URL, {"refresh": tokens["access"]}, format="json")

    assert missing.status_code == 400
    assert missing.json() == {"refresh": ["This field is required."]}
    assert garbage.status_code == access.status_code == 401
    assert me_status(tokens["access"]) == 200


def test_a_fresh_login_works_after_logout(teacher):
    tokens = tokens_of(teacher)
    APIClient().post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")

    fresh = tokens_of(teacher)

    assert me_status(fresh["access"]) == 200
    assert refresh_status(fresh["refresh"]) == 200


@pytest.mark.parametrize(
    ("logout", "answer"),
    [("/teacher/logout/", 302), ("/admin/logout/", 200), ("/api-auth/logout/", 200)],
)
def test_logging_out_of_a_page_ends_the_accounts_tokens(db, logout, answer):
    root = User.objects.create_superuser("root", "root@example.org", DEFAULT_PASSWORD)
    tokens = tokens_of(root)
    page = Client()
    page.force_login(root)

    assert page.post(logout).status_code == answer

    assert "_auth_user_id" not in page.session
    assert_revoked(tokens)


# Changes to the account


def test_a_new_password_ends_every_earlier_token(teacher):
    tokens = tokens_of(teacher)

    teacher.set_password(NEW_PASSWORD)
    teacher.save()

    assert_revoked(tokens)
    assert me_status(tokens_of(teacher, NEW_PASSWORD)["access"]) == 200


def test_a_password_set_in_the_admin_ends_every_earlier_token(teacher):
    tokens = tokens_of(teacher)
    form = AdminPasswordChangeForm(
        User.objects.get(pk=teacher.pk), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert form.is_valid(), form.errors

    form.save()

    assert_revoked(tokens)


def test_changepassword_ends_every_earlier_token(teacher, monkeypatch):
    from django.contrib.auth.management.commands import changepassword

    tokens = tokens_of(teacher)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)

    call_command("changepassword", "li.hua", stdout=None)

    assert_revoked(tokens)


def test_a_password_hash_upgraded_at_login_keeps_the_new_tokens_working(teacher, settings):
    # The stored hash (MD5 in tests) is rehashed with the first hasher at
    # login: the password is the same, and the tokens answered must work.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    tokens = tokens_of(teacher)

    teacher.refresh_from_db()
    assert teacher.password.startswith("pbkdf2_sha256$")
    assert me_status(tokens["access"]) == 200
    assert refresh_status(tokens["refresh"]) == 200


def test_deactivation_ends_every_earlier_token_even_after_reactivation(admin_a, teacher):
    tokens = tokens_of(teacher)

    user_update(by=admin_a, user=teacher, is_active=False)
    user_update(by=admin_a, user=teacher, is_active=True)

    assert_revoked(tokens)
    assert me_status(tokens_of(teacher)["access"]) == 200


def test_deactivation_through_the_api_ends_every_earlier_token(admin_a, teacher):
    tokens = tokens_of(teacher)
    client = APIClient()
    client.force_authenticate(admin_a)

    response = client.patch(f"/api/v1/users/{teacher.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200
    User.objects.filter(pk=teacher.pk).update(is_active=True)
    assert_revoked(tokens)


def test_losing_the_platform_administrator_flag_ends_every_earlier_token(db):
    admin = User.objects.create_superuser("root", "root@example.org", DEFAULT_PASSWORD)
    tokens = tokens_of(admin)

    admin.is_superuser = False
    admin.save()

    assert_revoked(tokens)


def test_a_removed_role_ends_every_earlier_token(admin_a, school_a):
    tokens = tokens_of(admin_a)

    Membership.objects.filter(user=admin_a, role=Role.ADMINISTRATOR).delete()

    assert_revoked(tokens)


def test_a_changed_role_ends_every_earlier_token(admin_a):
    tokens = tokens_of(admin_a)
    membership = Membership.objects.get(user=admin_a)

    membership.role = Role.TEACHER
    membership.save()

    assert_revoked(tokens)


def test_a_deleted_account_s_tokens_are_refused(teacher):
    tokens = tokens_of(teacher)

    User.objects.filter(pk=teacher.pk).delete()

    assert_revoked(tokens)


def test_changes_that_take_nothing_away_keep_the_tokens(teacher, school_a, school_b):
    tokens = tokens_of(teacher)

    teacher.first_name = "Hua"
    teacher.save()
    Membership.objects.create(user=teacher, school=school_b, role=Role.TEACHER)

    assert me_status(tokens["access"]) == 200
    assert refresh_status(tokens["refresh"]) == 200


def test_saving_an_account_loaded_before_a_logout_does_not_revive_its_tokens(teacher):
    tokens = tokens_of(teacher)
    loaded_before = User.objects.get(pk=teacher.pk)
    APIClient().post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")

    loaded_before.first_name = "Hua"
    loaded_before.save()

    assert_revoked(tokens)


def test_tokens_issued_before_revocation_existed_are_refused(teacher):
    # Tokens without the generation claim (issued before this release).
    from rest_framework_simplejwt import tokens

    old = tokens.RefreshToken.for_user(teacher)

    assert_revoked({"access": str(old.access_token), "refresh": str(old)})


def test_an_authenticated_request_costs_no_extra_query(teacher, django_assert_num_queries):
    access = tokens_of(teacher)["access"]
    client = APIClient()

    # The account (loaded anyway) and its memberships, as before revocation.
    with django_assert_num_queries(2):
        response = client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200


def test_a_session_login_still_works_after_the_tokens_are_revoked(teacher):
    teacher.revoke_tokens()

    assert Client().login(request=HttpRequest(), username="li.hua", password=DEFAULT_PASSWORD)


def test_the_nightly_task_forgets_expired_refresh_tokens_only(teacher, settings):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from workers.tasks import flush_expired_tokens_task

    expired, current = tokens_of(teacher), tokens_of(teacher)
    OutstandingToken.objects.filter(token=expired["refresh"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    flush_expired_tokens_task.delay()

    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [current["refresh"]]
    assert settings.CELERY_BEAT_SCHEDULE["flush-expired-tokens"]["task"] == (
        "workers.flush_expired_tokens"
    )
