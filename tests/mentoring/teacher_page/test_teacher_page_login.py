"""/teacher/: the CSRF token on every form, logging in (with the API's lockout) and out."""

import datetime

from django.test import Client
from rest_framework.test import APIClient

from tests.mentoring.pairings.pairing_world import clock  # noqa: F401
from tests.mentoring.teacher_page.page_scene import (
    HOME,
    LOGIN,
    REMINDERS,
    _notification,
    form,
    html,
    logged_in,
    page_of,
    session_count,
)
from workers.factories import DEFAULT_PASSWORD

# CSRF


def _csrf_token(client, url) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_logging_a_session_needs_the_csrf_token(world):
    client = logged_in(world.owner, enforce_csrf_checks=True)

    refused = client.post(page_of(world.owned), form())
    assert refused.status_code == 403
    assert session_count() == 0

    token = _csrf_token(client, page_of(world.owned))
    accepted = client.post(page_of(world.owned), form(csrfmiddlewaretoken=token))
    assert accepted.status_code == 302
    assert session_count() == 1


def test_login_and_marking_read_need_the_csrf_token(world):
    reminder = _notification(world.owner)
    anonymous = Client(enforce_csrf_checks=True)
    refused_login = anonymous.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD})
    assert refused_login.status_code == 403
    assert "_auth_user_id" not in anonymous.session

    client = logged_in(world.owner, enforce_csrf_checks=True)
    refused = client.post(f"{REMINDERS}{reminder.pk}/read/")
    reminder.refresh_from_db()
    assert refused.status_code == 403
    assert reminder.read_at is None


def test_the_page_forms_carry_the_csrf_token(world):
    page = html(logged_in(world.owner).get(page_of(world.owned)))

    # The session and score forms, the logout button and the language switch.
    assert page.count('name="csrfmiddlewaretoken"') == 4


# Logging in and out


def test_teacher_logs_in_and_lands_on_their_mentees(client, world):
    response = client.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == HOME
    assert world.owned.student.name in html(response)


def test_login_keeps_the_page_asked_for(client, world):
    response = client.post(
        f"{LOGIN}?next={page_of(world.owned)}",
        {"username": "owner", "password": DEFAULT_PASSWORD, "next": page_of(world.owned)},
    )

    assert response.status_code == 302
    assert response["Location"] == page_of(world.owned)


def test_a_wrong_password_is_refused(client, world):
    response = client.post(LOGIN, {"username": "owner", "password": "not-the-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'class="error"' in html(response)


def test_login_failures_lock_the_account_as_on_the_api(client, world, settings, clock):  # noqa: F811
    # The lockout counted for every login (core.logins): five failures lock
    # the account, on this page as through the API, whatever the address.
    settings.AXES_FAILURE_LIMIT = 5
    # django-axes reads the time both through timezone.now and its own
    # import of it, which the frozen clock does not reach: unfreeze.
    clock.return_value = datetime.datetime.now(datetime.UTC)
    for n in range(4):
        response = client.post(LOGIN, {"username": "owner", "password": "wrong"})
        assert response.status_code == 200, n
    api = APIClient(REMOTE_ADDR="192.0.2.99")
    fifth = api.post("/api/v1/auth/token/", {"username": "owner", "password": "wrong"})
    assert fifth.status_code == 429

    locked = client.post(LOGIN, {"username": "owner", "password": DEFAULT_PASSWORD})

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert "该账号登录失败次数过多" in html(locked)
    other = Client().post(LOGIN, {"username": "colleague", "password": DEFAULT_PASSWORD})
    assert other.status_code == 302


def test_logout_is_a_post_and_ends_the_session(world):
    client = logged_in(world.owner)

    response = client.post("/teacher/logout/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(HOME).status_code == 302
