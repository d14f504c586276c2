"""POST /api/v1/auth/token/ and /api/v1/auth/token/refresh/: JWT login, and its lockouts.

Failed logins are counted by django-axes for every login path (core.logins);
tests/core/test_login_lockout.py covers the pages and the unlock, these the API.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from rest_framework.test import APIClient

from mentoring.models import User
from workers.factories import DEFAULT_PASSWORD, member

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/me/"

# The documented lockout (README, config/settings/base.py): pinned here so
# that an environment override of LOGIN_* cannot change what is tested.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 50
LOCKOUT = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def documented_limits(settings):
    settings.AXES_FAILURE_LIMIT = ACCOUNT_LIMIT
    settings.LOGIN_FAILURES_PER_ADDRESS = ADDRESS_LIMIT
    settings.AXES_COOLOFF_TIME = LOCKOUT


@pytest.fixture
def teacher(school_a):
    return member("teacher", school_a, username="li.hua")


def login(client: APIClient, username, password, **extra):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def test_configured_lockout_is_the_documented_one():
    from config.settings import base

    assert base.AXES_FAILURE_LIMIT == ACCOUNT_LIMIT
    assert base.LOGIN_FAILURES_PER_ADDRESS == ADDRESS_LIMIT
    assert base.AXES_COOLOFF_TIME == LOCKOUT
    assert base.NUM_PROXIES == 0


def test_right_password_answers_access_and_refresh_tokens(api, teacher):
    response = login(api, "li.hua", DEFAULT_PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["access"] and body["refresh"]
    assert body["access"] != body["refresh"]


def test_access_token_authenticates_as_bearer_on_me(api, teacher):
    access = login(api, "li.hua", DEFAULT_PASSWORD).json()["access"]

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200
    assert response.json()["username"] == "li.hua"
    assert response.json()["id"] == teacher.pk


def test_refresh_token_is_not_accepted_as_access_token(api, teacher):
    refresh = login(api, "li.hua", DEFAULT_PASSWORD).json()["refresh"]

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert response.status_code == 401


def test_successful_login_records_last_login(api, teacher):
    assert teacher.last_login is None

    login(api, "li.hua", DEFAULT_PASSWORD)

    teacher.refresh_from_db()
    assert teacher.last_login is not None


def test_wrong_password_answers_401_without_tokens(api, teacher):
    response = login(api, "li.hua", "not-the-password")

    assert response.status_code == 401
    body = response.json()
    assert "access" not in body
    assert "refresh" not in body
    assert "detail" in body


def test_unknown_username_answers_like_a_wrong_password(api, teacher):
    wrong_password = login(api, "li.hua", "not-the-password")
    unknown_user = login(api, "nobody.here", "not-the-password")

    assert unknown_user.status_code == wrong_password.status_code == 401
    assert unknown_user.json() == wrong_password.json()


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({}, {"username", "password"}),
        ({"username": "li.hua"}, {"password"}),
        ({"password": DEFAULT_PASSWORD}, {"username"}),
    ],
)
def test_missing_fields_answer_400_naming_each_field(api, teacher, payload, missing):
    response = api.post(TOKEN_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == missing
    for field in missing:
        assert body[field] == ["This field is required."]


def test_inactive_user_cannot_obtain_a_token(api, teacher):
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    response = login(api, "li.hua", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert "access" not in response.json()


def test_access_token_stops_working_when_the_account_is_deactivated(api, teacher):
    access = login(api, "li.hua", DEFAULT_PASSWORD).json()["access"]
    User.objects.filter(pk=teacher.pk).update(is_active=False)

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_garbage_bearer_token_answers_401(api, teacher):
    response = api.get(ME_URL, HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 401


def test_refresh_endpoint_answers_a_working_access_token(api, teacher):
    refresh = login(api, "li.hua", DEFAULT_PASSWORD).json()["refresh"]

    response = api.post(REFRESH_URL, {"refresh": refresh}, format="json")

    assert response.status_code == 200
    access = response.json()["access"]
    me = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200
    assert me.json()["username"] == "li.hua"


def test_refresh_endpoint_refuses_an_invalid_token(api, teacher):
    response = api.post(REFRESH_URL, {"refresh": "not.a.token"}, format="json")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_refresh_endpoint_refuses_an_access_token(api, teacher):
    access = login(api, "li.hua", DEFAULT_PASSWORD).json()["access"]

    response = api.post(REFRESH_URL, {"refresh": access}, format="json")

    assert response.status_code == 401


def test_refresh_endpoint_requires_the_refresh_field(api):
    response = api.post(REFRESH_URL, {}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


# Lockouts


def wrong_logins(n: int, username="li.hua", **extra) -> list[int]:
    return [login(APIClient(), username, "wrong", **extra).status_code for _ in range(n)]


def test_fifth_failure_locks_the_account_even_from_other_addresses(teacher):
    # Four wrong guesses, each from a different address.
    for n in range(ACCOUNT_LIMIT - 1):
        response = login(APIClient(), "li.hua", "wrong", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert response.status_code == 401, n

    fifth = login(APIClient(), "li.hua", "wrong", REMOTE_ADDR="10.0.0.50")
    sixth = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.99")

    assert fifth.status_code == 429
    # Refused even with the right password: the account is locked.
    assert sixth.status_code == 429
    assert "access" not in sixth.json()
    assert sixth.json()["detail"] == (
        "Too many failed logins for this account. Try again in 15 minutes, "
        "or ask an administrator to unlock the account."
    )
    assert LOCKOUT.total_seconds() - 5 <= int(sixth["Retry-After"]) <= LOCKOUT.total_seconds()


def test_lockout_answers_in_chinese_by_default(teacher):
    wrong_logins(ACCOUNT_LIMIT)

    chinese = APIClient().post(
        TOKEN_URL, {"username": "li.hua", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert chinese.status_code == 429
    assert (
        chinese.json()["detail"]
        == "该账号登录失败次数过多。请 15 分钟后再试，或请管理员解锁该账号。"
    )
    assert chinese["Content-Type"] == "application/json"


def test_account_limit_ignores_case_and_surrounding_spaces(teacher):
    spellings = ["li.hua", "LI.HUA", "Li.Hua", " li.hua"]
    for n, spelling in enumerate(spellings):
        response = login(APIClient(), spelling, "wrong", REMOTE_ADDR=f"10.0.1.{n + 1}")
        assert response.status_code == 401, spelling

    fifth = login(APIClient(), "li.hua ", "wrong", REMOTE_ADDR="10.0.1.50")
    right = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.1.99")

    assert fifth.status_code == right.status_code == 429


def test_an_unknown_username_is_locked_like_an_account(teacher):
    # Otherwise the answer would tell which accounts exist.
    assert wrong_logins(ACCOUNT_LIMIT + 1, username="nobody.here") == [401] * 4 + [429] * 2


def test_account_lockout_does_not_lock_out_other_accounts(teacher, school_a):
    member("teacher", school_a, username="wang.fang")
    wrong_logins(ACCOUNT_LIMIT, REMOTE_ADDR="10.0.2.1")
    assert login(APIClient(), "li.hua", "wrong", REMOTE_ADDR="10.0.2.1").status_code == 429

    # A colleague behind the same school address logs in.
    other = login(APIClient(), "wang.fang", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.2.1")

    assert other.status_code == 200
    assert "access" in other.json()


def test_successful_logins_do_not_count_and_forget_the_owners_typos(teacher):
    for _ in range(3):
        assert wrong_logins(ACCOUNT_LIMIT - 1) == [401] * 4
        assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 200

    assert AccessAttempt.objects.filter(username="li.hua").count() == 0


def test_fiftieth_failure_from_one_address_locks_the_address(teacher):
    # Fifty different usernames, so that only the address's limit applies.
    for n in range(ADDRESS_LIMIT - 1):
        response = login(APIClient(), f"guess{n}", "wrong", REMOTE_ADDR="192.0.2.7")
        assert response.status_code == 401, n

    last = login(APIClient(), "guess-last", "wrong", REMOTE_ADDR="192.0.2.7")
    refused = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.7")
    other_address = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.8")

    assert last.status_code == refused.status_code == 429
    assert "access" not in refused.json()
    assert refused.json()["detail"] == (
        "Too many failed logins from your network address. Try again in 15 minutes."
    )
    assert other_address.status_code == 200


def test_address_limit_applies_with_a_lowered_limit(settings, teacher):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    statuses = [
        login(APIClient(), f"guess{n}", "wrong", REMOTE_ADDR="192.0.2.9").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 429, 429]


def test_a_login_without_username_or_password_is_refused_and_counts_nothing(teacher):
    # No password is tried, so nothing is guessed and nobody is locked out.
    statuses = [
        APIClient().post(TOKEN_URL, {"password": "x"}, format="json").status_code
        for _ in range(ACCOUNT_LIMIT + 1)
    ] + [
        APIClient().post(TOKEN_URL, {"username": "li.hua"}, format="json").status_code
        for _ in range(ACCOUNT_LIMIT + 1)
    ]

    assert statuses == [400] * (2 * ACCOUNT_LIMIT + 2)
    assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 200
    assert AccessAttempt.objects.count() == 0


def test_lockout_ends_after_the_cool_off(teacher):
    wrong_logins(ACCOUNT_LIMIT)
    assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - LOCKOUT - timedelta(seconds=1))

    assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 200


def test_attempts_during_a_lockout_do_not_extend_it(teacher):
    wrong_logins(ACCOUNT_LIMIT)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=10))

    # Trying again, even many times, does not move the end of the lockout.
    wrong_logins(3)
    refused = login(APIClient(), "li.hua", DEFAULT_PASSWORD)

    assert refused.status_code == 429
    assert 4 * 60 <= int(refused["Retry-After"]) <= 5 * 60
    assert "Try again in 5 minutes" in refused.json()["detail"]
    assert AccessAttempt.objects.get().failures_since_start == ACCOUNT_LIMIT


# Client addresses: only what the configured proxies wrote counts


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(settings, teacher):
    # With no proxy configured (NUM_PROXIES=0) only the socket address counts.
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    for n in range(9):
        response = login(
            APIClient(),
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="192.0.2.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}",
        )
        assert response.status_code == 401, n

    refused = login(
        APIClient(),
        "li.hua",
        "wrong",
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.7"}


def test_a_forged_forwarded_for_header_cannot_lock_out_another_address(settings, teacher):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    # The attacker names the school's address as theirs.
    for n in range(5):
        login(
            APIClient(),
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR="192.0.2.50",
        )

    school = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.50")

    assert school.status_code == 200


def test_behind_one_proxy_the_address_the_proxy_saw_is_limited(settings, teacher):
    settings.NUM_PROXIES = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    # Every request arrives from the proxy, which appends the client's
    # address; entries left of it are the client's own and change each time.
    for n in range(9):
        response = login(
            APIClient(),
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}, 203.0.113.5",
        )
        assert response.status_code == 401, n

    same_client = login(
        APIClient(),
        "li.hua",
        DEFAULT_PASSWORD,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.5",
    )
    assert same_client.status_code == 200  # nine failures: not yet locked
    login(
        APIClient(),
        "guess-last",
        "wrong",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )

    locked = login(
        APIClient(),
        "li.hua",
        DEFAULT_PASSWORD,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    other_client = login(
        APIClient(),
        "li.hua",
        DEFAULT_PASSWORD,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert locked.status_code == 429
    assert other_client.status_code == 200
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_a_login_records_its_time_without_a_history_row(teacher):
    """Every login used to add a row to the account's audit history (the last_login save)."""
    rows = teacher.history.count()
    assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 200
    page = APIClient()
    assert page.post("/api-auth/login/", {"username": "li.hua", "password": DEFAULT_PASSWORD})
    teacher.refresh_from_db()
    assert teacher.last_login is not None
    assert teacher.history.count() == rows
