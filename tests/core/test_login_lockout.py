"""One count of failed logins for every login path, the lockout's answer on each, and the unlock.

The API's token, the mentor's page, the Django admin and the browsable API
all go through django-axes (core.logins): failures on one count on all.
"""

import html as html_lib
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.test import Client
from rest_framework.test import APIClient

from mentoring.models import User
from mentoring.services.accounts import UNLOCK_CHANGE_REASON
from tests.conftest import client_for
from workers.factories import DEFAULT_PASSWORD, member

TOKEN_URL = "/api/v1/auth/token/"
TEACHER_LOGIN = "/teacher/login/"
ADMIN_LOGIN = "/admin/login/"
API_AUTH_LOGIN = "/api-auth/login/"
PAGE_LOGINS = [TEACHER_LOGIN, ADMIN_LOGIN, API_AUTH_LOGIN]
# `/`: the sign-in page of every role (mentoring.web.start).
START = "/"
ACCOUNT_LIMIT = 5


@pytest.fixture(autouse=True)
def documented_limits(settings):
    settings.AXES_FAILURE_LIMIT = ACCOUNT_LIMIT
    settings.LOGIN_FAILURES_PER_ADDRESS = 50
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", DEFAULT_PASSWORD)


@pytest.fixture
def teacher(school_a):
    return member("teacher", school_a, username="li.hua")


def page_login(url: str, username: str, password: str, client: Client | None = None, **extra):
    client = client or Client()
    response = client.post(url, {"username": username, "password": password}, **extra)
    return client, response


def api_login(username: str, password: str, **extra):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", **extra
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


@pytest.mark.parametrize("url", [ADMIN_LOGIN, API_AUTH_LOGIN, TEACHER_LOGIN, START])
def test_eleven_wrong_passwords_then_the_right_one_give_no_session(url, root):
    client = Client()
    for _ in range(11):
        page_login(url, "root", "wrong", client)

    _, response = page_login(url, "root", DEFAULT_PASSWORD, client)

    assert response.status_code == 429
    assert not logged_in(client)


@pytest.mark.parametrize("url", [*PAGE_LOGINS, START])
def test_a_locked_out_page_login_shows_the_lockout_on_its_form(url, root):
    for n in range(ACCOUNT_LIMIT - 1):
        _, response = page_login(url, "root", "wrong")
        assert response.status_code == 200, n

    client, response = page_login(url, "root", DEFAULT_PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302  # the fifth attempt is right: logged in
    _, response = page_login(url, "root", "wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the owner's typos were forgotten at the login
    for _ in range(ACCOUNT_LIMIT - 1):
        _, response = page_login(url, "root", "wrong", HTTP_ACCEPT_LANGUAGE="en")

    client, response = page_login(url, "root", DEFAULT_PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert response["Content-Type"].startswith("text/html")
    body = text(response)
    assert "Too many failed logins for this account. Try again in 15 minutes" in body
    assert 'name="password"' in body  # the form, to try again later
    assert "Please enter a correct username and password" not in body
    assert not logged_in(client)


def test_the_teachers_page_tells_the_lockout_in_chinese_by_default(teacher):
    for _ in range(ACCOUNT_LIMIT):
        page_login(TEACHER_LOGIN, "li.hua", "wrong")

    client, response = page_login(TEACHER_LOGIN, "li.hua", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "该账号登录失败次数过多。请 15 分钟后再试，或请管理员解锁该账号。" in text(response)
    assert not logged_in(client)


def test_failures_on_every_login_path_count_together(teacher):
    assert api_login("li.hua", "wrong").status_code == 401
    for url in PAGE_LOGINS:
        assert page_login(url, "li.hua", "wrong")[1].status_code == 200, url
    # Four failures so far, one on each path; the fifth locks the account.
    assert api_login("li.hua", "wrong").status_code == 429

    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 429
    for url in PAGE_LOGINS:
        client, response = page_login(url, "li.hua", DEFAULT_PASSWORD)
        assert response.status_code == 429, url
        assert not logged_in(client)


def test_a_page_login_behind_a_proxy_is_counted_by_the_address_the_proxy_saw(settings, teacher):
    settings.NUM_PROXIES = 1
    page_login(
        TEACHER_LOGIN,
        "li.hua",
        "wrong",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5",
    )

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]


def test_the_django_admin_lists_and_clears_access_attempts(root, teacher):
    for _ in range(ACCOUNT_LIMIT):
        api_login("li.hua", "wrong")
    assert admin.site.is_registered(AccessAttempt)
    client = Client()
    client.force_login(root)

    listing = client.get("/admin/axes/accessattempt/")
    attempt = AccessAttempt.objects.get()
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert "li.hua" in text(listing)
    assert deleted.status_code == 302
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 200


# POST /api/v1/users/{id}/unlock/


def unlock(by, user):
    return client_for(by).post(f"/api/v1/users/{user.pk}/unlock/", HTTP_ACCEPT_LANGUAGE="en")


def locked(user) -> None:
    for _ in range(ACCOUNT_LIMIT):
        api_login(user.username, "wrong")
    assert api_login(user.username, DEFAULT_PASSWORD).status_code == 429


def test_an_administrator_of_the_school_unlocks_an_account(admin_a, teacher):
    locked(teacher)

    response = unlock(admin_a, teacher)

    assert response.status_code == 200
    assert response.json() == {"failures_cleared": ACCOUNT_LIMIT}
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 200
    record = teacher.history.get(history_change_reason=UNLOCK_CHANGE_REASON)
    assert record.history_user == admin_a


def test_unlocking_an_account_that_is_not_locked_changes_nothing(admin_a, teacher):
    before = teacher.history.count()

    response = unlock(admin_a, teacher)

    assert response.json() == {"failures_cleared": 0}
    assert teacher.history.count() == before


def test_the_unlock_clears_every_spelling_of_the_username(admin_a, teacher):
    for spelling in ["LI.HUA", " li.hua", "Li.Hua", "li.hua", "li.hua "]:
        api_login(spelling, "wrong")

    assert unlock(admin_a, teacher).json() == {"failures_cleared": ACCOUNT_LIMIT}
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 200


def test_an_account_of_another_school_answers_404(admin_b, teacher):
    locked(teacher)

    response = unlock(admin_b, teacher)

    assert response.status_code == 404
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 429


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_only_administrators_unlock(role, school_a, teacher):
    colleague = member(role, school_a)
    locked(teacher)

    assert unlock(colleague, teacher).status_code == 403
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 429


def test_anonymous_cannot_unlock(teacher):
    response = APIClient().post(f"/api/v1/users/{teacher.pk}/unlock/")

    assert response.status_code == 401


def test_a_district_administrator_unlocks_an_account_of_any_of_its_schools(
    district_admin, school_b
):
    other = member("teacher", school_b)
    locked(other)

    assert unlock(district_admin, other).status_code == 200
    assert api_login(other.username, DEFAULT_PASSWORD).status_code == 200


def test_only_a_platform_administrator_unlocks_a_platform_administrator(admin_a, school_a, root):
    other_root = User.objects.create_superuser("root2", "root2@example.org", DEFAULT_PASSWORD)
    member("teacher", school_a, username="unused")
    from mentoring.models import Membership

    Membership.objects.create(user=other_root, school=school_a, role="teacher")
    locked(other_root)

    refused = unlock(admin_a, other_root)
    allowed = unlock(root, other_root)

    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert api_login("root2", DEFAULT_PASSWORD).status_code == 200


def test_logins_and_lockouts_need_no_cache(settings, teacher):
    # The count lives in the database: with Redis gone (nothing listens on
    # port 1) a login still works and a lockout still holds.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 200
    for _ in range(ACCOUNT_LIMIT):
        api_login("li.hua", "wrong")
    assert api_login("li.hua", DEFAULT_PASSWORD).status_code == 429
    client, response = page_login(TEACHER_LOGIN, "li.hua", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
