"""Bodies too deep, too large or too many, and bad Host headers: JSON errors naming the limit.

Before, 100,000 nested arrays raised RecursionError inside the JSON decoder
(500, without login), and Django answered an oversized body or a bad Host
header with its HTML 400 page, on API paths too.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from config import api
from mentoring.models import Role, TutoringSession, User
from tests.conftest import client_for
from workers.factories import MentorFactory, PairingFactory, TermFactory, member

ROOT = Path(__file__).resolve().parents[2]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def nested(depth: int, inner="0") -> str:
    return "[" * depth + inner + "]" * depth


def post_json(client, url, raw: str, method="post"):
    return getattr(client, method)(url, raw, content_type="application/json", **EN)


# Depth


def test_deeply_nested_json_answers_400_naming_the_limit_without_login(db):
    response = post_json(Client(), "/api/v1/auth/token/", nested(100_000))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON body is nested deeper than the limit of 32 levels."
    }


@pytest.fixture
def pairing(school_a, district):
    term = TermFactory(district=district)
    mentor = MentorFactory(user=member(Role.TEACHER, school_a), schools=[school_a])
    return PairingFactory(student__school=school_a, term=term, mentor=mentor)


def test_deeply_nested_json_answers_400_on_sessions_and_users(pairing, admin_a, school_a):
    mentor = client_for(pairing.mentor.user)
    teacher = member(Role.TEACHER, school_a)
    before = (TutoringSession.objects.count(), User.objects.get(pk=teacher.pk).first_name)

    sessions = post_json(mentor, "/api/v1/sessions/", nested(100_000))
    users = post_json(client_for(admin_a), f"/api/v1/users/{teacher.pk}/", nested(100_000), "patch")

    for response in (sessions, users):
        assert response.status_code == 400
        assert "32 levels" in response.json()["detail"]
    assert (TutoringSession.objects.count(), User.objects.get(pk=teacher.pk).first_name) == before


def test_a_body_one_level_too_deep_is_refused_and_one_at_the_limit_is_read(pairing):
    mentor = client_for(pairing.mentor.user)
    at_limit = json.dumps({"content": json.loads(nested(31))})
    too_deep = json.dumps({"content": json.loads(nested(32))})

    read = post_json(mentor, "/api/v1/sessions/", at_limit)
    refused = post_json(mentor, "/api/v1/sessions/", too_deep)

    # At the limit the body reaches the serializer, which names the bad field.
    assert read.status_code == 400
    assert "content" in read.json()
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "The JSON body is nested deeper than the limit of 32 levels."
    }


def test_the_depth_limit_is_a_setting(pairing, settings):
    settings.API_JSON_MAX_DEPTH = 4
    mentor = client_for(pairing.mentor.user)

    response = post_json(mentor, "/api/v1/sessions/", json.dumps({"content": [[[[1]]]]}))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON body is nested deeper than the limit of 4 levels."
    }


def test_malformed_json_answers_400_in_json(pairing):
    response = post_json(client_for(pairing.mentor.user), "/api/v1/sessions/", '{"date": ')

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


# Size and count


def test_a_json_body_over_the_limit_answers_413_naming_it(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = json.dumps({"username": "x" * 4096, "password": "y"})

    response = post_json(Client(), "/api/v1/auth/token/", body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the limit of 2048 bytes."}


def test_the_default_body_limit_refuses_30_megabytes_in_json(db):
    body = json.dumps({"username": "x" * (30 * 1024 * 1024), "password": "y"})

    response = post_json(Client(), "/api/v1/auth/token/", body)

    assert response.status_code == 413
    assert "2621440 bytes" in response.json()["detail"]


@pytest.fixture
def roster_post(admin_a, district):
    term = TermFactory(district=district)

    def post(fields=None, content=b"\xe5\xad\xa6\xe7\xb1\x8d\xe5\x8f\xb7\n"):
        data = {"term": term.pk, "file": SimpleUploadedFile("r.csv", content), **(fields or {})}
        return client_for(admin_a).post("/api/v1/students/import/", data, format="multipart", **EN)

    return post


def test_an_upload_over_its_limit_answers_413_before_it_is_read(roster_post, settings):
    settings.API_UPLOAD_MAX_BYTES = 4096

    response = roster_post(content=b"x" * 8192)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the limit of 4096 bytes."}


def test_too_many_form_fields_answer_400_naming_the_limit(roster_post, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = roster_post({f"f{n}": "1" for n in range(20)})

    assert response.status_code == 400
    assert response.json() == {"detail": "The request has more than the limit of 10 fields."}


def test_a_form_field_over_the_memory_limit_answers_413(roster_post, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = roster_post({"dry_run": "x" * 4096})

    assert response.status_code == 413
    assert "2048 bytes" in response.json()["detail"]


def test_a_form_body_where_json_is_expected_answers_415_in_json(db):
    response = Client().post("/api/v1/auth/token/", {"username": "a", "password": "b"}, **EN)

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"


def test_the_limits_are_read_from_the_environment(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "JSON_MAX_DEPTH": "8",
        "REQUEST_MAX_BYTES": "100000",
        "REQUEST_MAX_FIELDS": "50",
        "UPLOAD_MAX_BYTES": "20000000",
    }
    code = (
        "from django.conf import settings as s; print(s.API_JSON_MAX_DEPTH, "
        "s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.DATA_UPLOAD_MAX_NUMBER_FIELDS, s.API_UPLOAD_MAX_BYTES)"
    )
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "UPLOAD_MAX_BYTES": "1000"},
        capture_output=True,
        text=True,
    )

    assert shown.stdout.splitlines()[-1].split() == ["8", "100000", "50", "20000000"], shown.stderr
    assert refused.returncode != 0
    assert "UPLOAD_MAX_BYTES must be at least ROSTER_MAX_BYTES" in refused.stderr


# Bad hosts and Django's own refusals


def test_a_bad_host_on_an_api_path_answers_400_in_json(db):
    response = Client().get("/api/v1/me/", HTTP_HOST="evil.example", **EN)

    assert response.status_code == 400
    assert response.json() == {"detail": "This host name is not served here."}


def test_a_bad_host_on_a_page_answers_django_plain_400_page(db):
    response = Client().get("/teacher/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"Bad Request (400)" in response.content
    assert b"Traceback" not in response.content
    assert b"evil.example" not in response.content


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (lambda request: api.permission_denied(request, None), 403),
        (lambda request: api.csrf_failure(request, "CSRF token missing."), 403),
        (lambda request: api.bad_request(request, None), 400),
    ],
)
def test_django_error_views_answer_json_on_api_paths_and_html_elsewhere(db, handler, status):
    on_api = handler(RequestFactory().post("/api/v1/sessions/"))
    on_page = handler(RequestFactory().post("/teacher/sessions/"))

    assert on_api.status_code == on_page.status_code == status
    assert on_api["Content-Type"] == "application/json"
    assert "detail" in json.loads(on_api.content)
    assert on_page["Content-Type"].startswith("text/html")
