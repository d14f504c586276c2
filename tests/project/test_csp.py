"""Every page answers with the Content-Security-Policy (settings CONTENT_SECURITY_POLICY).

Each named URL of the URL conf is requested with sample arguments, as a
platform administrator and as nobody; whatever the answer (a page, JSON, a
redirect, 404, 405), it carries the policy. tests/project/test_csp_browser.py shows
the pages working under it in a real browser.
"""

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

from workers.factories import UserFactory

POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
SAMPLES = ["1", "mentoring"]  # an id, or an app label where the admin wants one


def named_urls(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_urls(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name, list(pattern.pattern.regex.groupindex)


def every_page() -> list[str]:
    paths = set()
    for name, arguments in named_urls(get_resolver().url_patterns):
        if "format" in arguments:  # REST framework's `.json` twins of each path
            continue
        for sample in SAMPLES:
            try:
                paths.add(reverse(name, kwargs=dict.fromkeys(arguments, sample)))
                break
            except NoReverseMatch:
                continue
    return sorted(paths)


def test_the_url_conf_has_the_pages_this_test_expects():
    pages = every_page()
    assert len(pages) > 200
    for path in [
        "/teacher/",
        "/admin/",
        "/admin/login/",
        "/admin/mentoring/student/1/change/",
        "/api/docs/",
        "/api/v1/reports/1/export/",
        "/api/v1/access-log/",
        "/healthz",
    ]:
        assert path in pages


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["platform administrator", "anonymous"])
def test_every_page_answers_with_the_policy(who):
    client = Client(raise_request_exception=False)
    if who != "anonymous":
        client.force_login(UserFactory(is_superuser=True, is_staff=True))
    missing = {}
    for path in [*every_page(), "/no/such/page/", "/static/mentoring/teacher.css"]:
        response = client.get(path)
        header = response.get("Content-Security-Policy", "")
        absent = [directive for directive in POLICY if directive not in header]
        if absent or "unsafe-eval" in header or "unsafe-inline" in header:
            missing[path] = (response.status_code, header)
    assert missing == {}
