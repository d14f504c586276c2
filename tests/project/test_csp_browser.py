"""The Content-Security-Policy in a real browser: every page works under it, with no violation.

Debian's Chromium, driven by Playwright, opens the mentor's page, the admin's
login and index, Swagger UI (which must render its operations) and a report's
HTML page, and records every CSP violation the page reports and every console
error. Screenshots are kept in var/test-artifacts/csp/ (ignored by git).
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from mentoring.models import Role
from tests.project.test_csp import POLICY
from tests.report_scene import kindergarten_scene
from workers.factories import (
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    member,
)
from workers.models import ReportStatus
from workers.reports import report_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "csp"
# Each violation the page sees, from the page itself (an init script is not under the CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + event.sourceFile + ":" + event.lineNumber
  );
});
"""


class Visit:
    """One browser context, logged in as `user` (or anonymous), collecting what goes wrong."""

    def __init__(self, browser, live_server, user=None):
        self.base = live_server.url
        self.context = browser.new_context(locale="zh-CN")
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies["sessionid"].value
            self.context.add_cookies([{"name": "sessionid", "value": session, "url": self.base}])
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.console, self.errors = [], []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # A resource of the page that failed (the browser's own /favicon.ico is not one).
        self.page.on(
            "response",
            lambda answer: (
                answer.status >= 400 and self.errors.append(f"{answer.status} {answer.url}")
            ),
        )

    def open(self, path, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        header = response.headers.get("content-security-policy", "")
        return response, header

    def problems(self) -> list[str]:
        """Violations (as the page saw them and as the console told them), errors, failures."""
        refused = [
            text
            for text in self.console
            if "Content Security Policy" in text or text.startswith("Refused to")
        ]
        return [*self.page.evaluate("window.__violations"), *refused, *self.errors]


def assert_policy(header: str):
    for directive in POLICY:
        assert directive in header, header
    assert "unsafe-eval" not in header and "unsafe-inline" not in header


def test_the_mentors_page_runs_under_the_policy(browser_page, live_server):
    today = timezone.localdate()
    school = SchoolFactory(name="阳光小学")
    term = TermFactory(
        district=school.district,
        code="live-term",
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=60),
        holiday_weeks=[],
    )
    teacher = member(Role.TEACHER, school, username="csp_teacher")
    pairing = PairingFactory(
        mentor=MentorFactory(user=teacher, schools=[school]),
        student__school=school,
        student__name="王小明",
        term=term,
        started_on=term.start_date,
    )
    StudentRecordFactory(student=pairing.student, term=term)
    visit = Visit(browser_page, live_server, teacher)

    response, header = visit.open("/teacher/", "teacher-home")
    assert response.status == 200
    assert_policy(header)
    assert "王小明" in visit.page.content()
    # The page's own stylesheet applied: the language form sits in the footer, styled.
    response, header = visit.open(f"/teacher/mentees/{pairing.pk}/", "teacher-mentee")
    assert response.status == 200
    assert visit.page.locator("form").count() >= 2

    assert visit.problems() == []


def test_the_admin_login_and_index_run_under_the_policy(browser_page, live_server):
    anonymous = Visit(browser_page, live_server)
    response, header = anonymous.open("/admin/login/", "admin-login")
    assert response.status == 200
    assert_policy(header)
    assert anonymous.page.locator("#login-form").is_visible()
    assert anonymous.problems() == []

    root = UserFactory(username="csp_root", is_superuser=True, is_staff=True)
    visit = Visit(browser_page, live_server, root)
    response, header = visit.open("/admin/", "admin-index")
    assert response.status == 200
    assert_policy(header)
    assert visit.page.locator("#content-main .module").count() >= 3
    response, _header = visit.open("/admin/mentoring/student/", "admin-students")
    assert response.status == 200

    assert visit.problems() == []


def test_swagger_ui_renders_its_operations_under_the_policy(browser_page, live_server):
    visit = Visit(browser_page, live_server, UserFactory(is_superuser=True, is_staff=True))

    response, header = visit.open("/api/docs/", "swagger-ui")

    assert response.status == 200
    assert_policy(header)
    assert "style-src 'self' 'nonce-" in header
    visit.page.wait_for_selector(".opblock", timeout=30_000)
    # Swagger UI virtualizes a long list: only the operations near the viewport
    # are in the page, so they are collected while scrolling to the end.
    seen = set()
    for _ in range(400):
        seen.update(
            visit.page.locator(".opblock-summary-path").evaluate_all(
                "paths => paths.map(p => p.dataset.path)"
            )
        )
        at_end = visit.page.evaluate(
            "() => { window.scrollBy(0, window.innerHeight);"
            " return window.innerHeight + window.scrollY >= document.body.scrollHeight; }"
        )
        visit.page.wait_for_timeout(50)
        if at_end:
            break
    assert len(seen) > 50, sorted(seen)
    assert {"/api/v1/access-log/", "/api/v1/users/"} <= seen
    assert visit.problems() == []


def test_a_reports_html_runs_under_the_policy_with_its_style(browser_page, live_server):
    scene = kindergarten_scene()
    report = report_start(by=scene.admin, term_id=scene.term.pk, school_id=scene.schools["kg"].pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error
    visit = Visit(browser_page, live_server, scene.admin)

    response, header = visit.open(f"/api/v1/reports/{report.pk}/export/?format=html", "report-html")

    assert response.status == 200
    assert_policy(header)
    # The inline style ran (its nonce matched): table cells have the report's border.
    border = visit.page.locator("section.tables td").first.evaluate(
        "cell => getComputedStyle(cell).borderTopStyle"
    )
    assert border == "solid"
    assert visit.page.locator("svg.chart").count() == 3
    assert visit.problems() == []
