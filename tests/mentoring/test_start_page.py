"""`/`: a short sign-in page, then each role's own page (issue 17, item 3)."""

import pytest
from django.test import Client

from mentoring.models import MentorKind, Role
from workers.factories import DEFAULT_PASSWORD, MentorFactory, SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return SchoolFactory()


def test_anonymous_visitors_get_a_sign_in_page_in_chinese():
    response = Client().get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert "登录" in page
    assert response["Content-Security-Policy"]


def test_signing_in_at_the_root_takes_a_teacher_to_the_mentors_page(school):
    teacher = member(Role.TEACHER, school, username="wang.laoshi")
    MentorFactory(user=teacher, kind=MentorKind.TEACHER, schools=[school])
    client = Client()

    signed_in = client.post("/", {"username": "wang.laoshi", "password": DEFAULT_PASSWORD})
    landed = client.get(signed_in["Location"])

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert (landed.status_code, landed["Location"]) == (302, "/teacher/")


def test_a_wrong_password_shows_the_form_again_with_its_error(school):
    member(Role.TEACHER, school, username="wang.laoshi")

    response = Client().post("/", {"username": "wang.laoshi", "password": "wrong"})

    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.parametrize(
    ("role", "page"),
    [
        # An administrator has the console (tests/console/test_console_access.py).
        (Role.ADMINISTRATOR, "/console/"),
        (Role.DONOR, "/api/docs/"),  # a donor's page needs a donor profile
        # A supervisor has its own page (tests/console/test_supervisor_page.py).
        (Role.SUPERVISOR, "/supervisor/"),
        (Role.TEACHER, "/api/docs/"),  # a teacher without a mentor profile has no mentees
    ],
)
def test_roles_without_a_page_of_their_own_are_taken_to_the_api_documentation(role, page, school):
    client = Client()
    client.force_login(member(role, school))

    assert client.get("/")["Location"] == page


def test_an_administrator_who_mentors_is_taken_to_the_mentors_page(school):
    leader = member(Role.ADMINISTRATOR, school)
    MentorFactory(user=leader, kind=MentorKind.LEADER, schools=[school])
    client = Client()
    client.force_login(leader)

    assert client.get("/")["Location"] == "/teacher/"


def test_a_platform_administrator_is_taken_to_the_admin_whose_view_site_leads_back():
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert client.get("/")["Location"] == "/admin/"
    assert 'href="/"' in client.get("/admin/").content.decode()


def test_the_sign_in_form_is_refused_without_its_csrf_token(school):
    member(Role.TEACHER, school, username="wang.laoshi")
    client = Client(enforce_csrf_checks=True)
    form = client.get("/")
    token = form.cookies["csrftoken"].value

    refused = client.post("/", {"username": "wang.laoshi", "password": DEFAULT_PASSWORD})
    signed_in = client.post(
        "/",
        {"username": "wang.laoshi", "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert 'name="csrfmiddlewaretoken"' in form.content.decode()
    assert refused.status_code == 403
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")


def test_the_sign_in_page_is_in_english_for_who_asks_for_it():
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Sign in to Bangfu: each role is then taken to its own page." in page


def test_a_deactivated_account_is_not_signed_in_at_the_root(school):
    member(Role.TEACHER, school, username="wang.laoshi", is_active=False)

    response = Client().post("/", {"username": "wang.laoshi", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session
