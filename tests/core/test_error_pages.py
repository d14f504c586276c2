"""Errors on pages are pages; errors on the API stay JSON (issue 17).

Before, handler404 and handler500 answered JSON on every path, so a mistyped
console address showed `{"detail": "Not found."}`, and a 403 outside the API was
Django's bare "403 Forbidden". Now every path outside /api/ gets the pages' error
page (core/error_page.html), in the pages' language, with a way back to "/".

This module is also the URLconf of its 403 and 500 tests: the project's routes,
plus views that refuse or raise, on a page path and on an API path.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from tests.conftest import client_for
from workers.factories import member

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _refuse(request):
    raise PermissionDenied


def _raise(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("console/refused/", _refuse),
    path("api/v1/refused/", _refuse),
    path("console/broken/", _raise),
    path("api/v1/broken/", _raise),
    *project_urlpatterns,
]
handler403 = "config.api.permission_denied"
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"

this_urlconf = pytest.mark.urls(__name__)


def assert_error_page(response, status: int, title: str):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert body.startswith("<!DOCTYPE html>")
    assert f"<h1>{title}</h1>" in body
    assert 'href="/"' in body
    assert "/static/mentoring/teacher.css" in body  # the pages' sheet: the site's look
    assert '"detail"' not in body
    assert "Traceback" not in body


# 404


def test_an_unknown_console_address_answers_the_html_error_page_with_404(db):
    response = Client().get("/console/nope/", **EN)

    assert_error_page(response, 404, "Page not found")


def test_a_signed_in_administrator_gets_the_same_page_for_a_missing_record(school_a):
    client = Client()
    client.force_login(member("administrator", school_a))

    response = client.get("/console/aid/999999/", **EN)

    assert_error_page(response, 404, "Page not found")


def test_the_error_page_is_in_the_pages_language_chinese_by_default(db):
    response = Client().get("/console/nope/")

    assert response.status_code == 404
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/nope/", "/api/v1/students/999999/", "/api/nope"])
def test_an_unknown_api_address_still_answers_json(db, url):
    client = client_for(member("administrator"))

    response = client.get(url, **EN)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "Not found."}


# 403


@this_urlconf
def test_a_refused_page_answers_the_html_error_page_with_403(db):
    response = Client().get("/console/refused/", **EN)

    assert_error_page(response, 403, "Not allowed")


@this_urlconf
def test_a_refused_api_call_still_answers_json(db):
    response = Client().get("/api/v1/refused/", **EN)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "You do not have permission to perform this action."
    }


# 500, as in production: DEBUG off, the exception not re-raised into the test


@this_urlconf
def test_a_view_that_raises_answers_the_html_error_page_with_500(db, settings):
    settings.DEBUG = False

    response = Client(raise_request_exception=False).get("/console/broken/", **EN)

    assert_error_page(response, 500, "Something went wrong")
    assert "a bug in a view" not in response.content.decode()


@this_urlconf
def test_an_api_view_that_raises_still_answers_json_500(db, settings):
    settings.DEBUG = False

    response = Client(raise_request_exception=False).get("/api/v1/broken/", **EN)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "Internal server error."}
