"""POST /api/v1/auth/token/ and /api/v1/auth/token/refresh/: JWT login, and its rate limits."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from mentoring.models import User
from tests.factories import DEFAULT_PASSWORD, member

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/me/"

# The documented login limits (DESIGN §4, settings REST_FRAMEWORK): pinned here
# so that an environment override of LOGIN_RATE_* cannot change what is tested.
DOCUMENTED_RATES = {"login": "20/min", "login_username": "5/min"}


@pytest.fixture
def documented_rates(monkeypatch):
    # DRF binds THROTTLE_RATES on the class at import time, so overriding the
    # settings would not reach it; patching the class attribute does.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", dict(DOCUMENTED_RATES))


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


def test_configured_login_rates_are_the_documented_ones():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == DOCUMENTED_RATES


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


def test_sixth_attempt_for_one_username_is_refused_even_from_other_addresses(
    documented_rates, teacher
):
    # Five wrong guesses, each from a different address.
    for n in range(5):
        response = login(APIClient(), "li.hua", "wrong", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert response.status_code == 401, n

    sixth = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.99")

    # Refused even with the right password: the limit is on attempts.
    assert sixth.status_code == 429
    assert "access" not in sixth.json()
    assert int(sixth["Retry-After"]) > 0


def test_username_limit_ignores_case_and_surrounding_spaces(documented_rates, teacher):
    spellings = ["li.hua", "LI.HUA", "Li.Hua", " li.hua", "li.hua "]
    for n, spelling in enumerate(spellings):
        response = login(APIClient(), spelling, "wrong", REMOTE_ADDR=f"10.0.1.{n + 1}")
        assert response.status_code == 401, spelling

    sixth = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.1.99")

    assert sixth.status_code == 429


def test_username_limit_does_not_lock_out_other_users(documented_rates, teacher, school_a):
    member("teacher", school_a, username="wang.fang")
    for n in range(6):
        login(APIClient(), "li.hua", "wrong", REMOTE_ADDR=f"10.0.2.{n + 1}")
    assert login(APIClient(), "li.hua", "wrong", REMOTE_ADDR="10.0.2.50").status_code == 429

    other = login(APIClient(), "wang.fang", DEFAULT_PASSWORD, REMOTE_ADDR="10.0.2.60")

    assert other.status_code == 200
    assert "access" in other.json()


def test_successful_logins_count_towards_the_username_limit(documented_rates, teacher):
    for n in range(5):
        response = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR=f"10.0.3.{n + 1}")
        assert response.status_code == 200, n

    assert login(APIClient(), "li.hua", DEFAULT_PASSWORD).status_code == 429


def test_twenty_first_attempt_from_one_address_is_refused(documented_rates, teacher):
    # Twenty different usernames, so that only the per-address limit applies.
    for n in range(20):
        response = login(APIClient(), f"guess{n}", "wrong", REMOTE_ADDR="192.0.2.7")
        assert response.status_code == 401, n

    refused = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.7")
    other_address = login(APIClient(), "li.hua", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.8")

    assert refused.status_code == 429
    assert "access" not in refused.json()
    assert other_address.status_code == 200


def test_address_limit_applies_with_a_lowered_rate(monkeypatch, teacher):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"login": "3/min", "login_username": "100/min"}
    )
    statuses = [
        login(APIClient(), f"guess{n}", "wrong", REMOTE_ADDR="192.0.2.9").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_login_without_username_is_still_limited_per_address(monkeypatch, teacher):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"login": "2/min", "login_username": "100/min"}
    )
    statuses = [
        APIClient()
        .post(TOKEN_URL, {"password": "x"}, format="json", REMOTE_ADDR="192.0.2.10")
        .status_code
        for _ in range(3)
    ]

    assert statuses == [400, 400, 429]


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(documented_rates, teacher):
    # With no proxy configured (NUM_PROXIES=0) only the socket address counts.
    for n in range(20):
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
        DEFAULT_PASSWORD,
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert refused.status_code == 429


def test_behind_one_proxy_the_forwarded_client_address_is_limited(
    documented_rates, teacher, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # Every request arrives from the proxy; the client is the last forwarded hop.
    for n in range(20):
        response = login(
            APIClient(),
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
        assert response.status_code == 401, n

    same_client = login(
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
    assert same_client.status_code == 429
    assert other_client.status_code == 200
