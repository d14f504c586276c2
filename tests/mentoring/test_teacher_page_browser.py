"""The mentor's page in a real browser: Debian's Chromium driven by Playwright, on a phone screen.

A teacher logs in, logs a session for their mentee, sees the week turn to
met, and fails to open another teacher's mentee. Screenshots of each step are
kept in var/test-artifacts/teacher-page/ (ignored by git). Without Chromium the
test is skipped, and with CI=true it fails, like the tests of the other
services (tests/conftest.py).
"""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from mentoring.models import MentorKind, Role, SessionKind, Subject, TutoringSession
from tests.conftest import _missing
from workers.factories import (
    DEFAULT_PASSWORD,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "teacher-page"
# A phone: the page is laid out for this width.
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium(monkeypatch):
    if not CHROMIUM.exists():
        _missing(f"Chromium is needed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a locked dependency
        _missing("Playwright is not installed")
    # Playwright's sync API runs an event loop in this thread, and Django then
    # refuses ORM calls from it as if they came from async code. The test's
    # own reads and writes are plain synchronous ones, so allow them here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()
            # The test's own queries ran while Playwright's loop was running, on
            # connections of their own; close them, or PostgreSQL would refuse
            # to drop the test database at the end of the session.
            connections.close_all()


@pytest.fixture
def school_term(transactional_db):
    """A school and a term running today, so the live server's real clock falls inside it."""
    today = timezone.localdate()
    district = DistrictFactory()
    school = SchoolFactory(district=district, name="阳光小学")
    term = TermFactory(
        district=district,
        code="live-term",
        start_date=today - datetime.timedelta(days=35),
        end_date=today + datetime.timedelta(days=60),
        holiday_weeks=[],
    )
    return school, term


def _teacher_with_mentee(school, term, username, student_name, class_name):
    user = member(Role.TEACHER, school, username=username)
    mentor = MentorFactory(user=user, kind=MentorKind.PARTY_TEACHER, schools=[school])
    student = StudentFactory(school=school, name=student_name)
    StudentRecordFactory(student=student, term=term, grade=4, class_name=class_name)
    return PairingFactory(mentor=mentor, student=student, term=term, started_on=term.start_date)


def test_teacher_logs_a_session_and_sees_the_week_met(live_server, chromium, school_term):
    school, term = school_term
    own = _teacher_with_mentee(school, term, "wang.laoshi", "李小明", "2班")
    foreign = _teacher_with_mentee(school, term, "zhao.laoshi", "陈小红", "3班")
    base = live_server.url

    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def shot(name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # Not logged in: the page sends the teacher to its login form.
    page.goto(f"{base}/teacher/")
    assert page.url == f"{base}/teacher/login/?next=/teacher/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot("01-login")

    page.fill("#id_username", "wang.laoshi")
    page.fill("#id_password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    assert page.url == f"{base}/teacher/"
    card = page.locator(f'[data-pairing="{own.pk}"]')
    assert card.locator(".name").inner_text() == "李小明"
    assert "2班" in card.inner_text()
    assert card.locator("[data-week]").get_attribute("data-week") == "open"
    assert "陈小红" not in page.content()
    shot("02-mentees-week-open")

    # A session in a few taps: today, 45 minutes and the teacher's subject are preset.
    with page.expect_navigation():
        card.locator("a.button").click()
    assert page.url == f"{base}/teacher/mentees/{own.pk}/#log"
    assert page.input_value("#id_date") == timezone.localdate().isoformat()
    page.check("input[name=minutes][value='60']")
    page.fill("#id_content", "分数的加减法, 讲解错题")
    shot("03-session-form")
    with page.expect_navigation():
        page.click("button.primary")
    # The page opens at the banner (#messages), not at the form the teacher came
    # in by (#log, which a redirect without an anchor of its own would keep): the
    # banner and the week's figures are on the screen, by their position.
    assert page.url == f"{base}/teacher/mentees/{own.pk}/#messages"
    assert page.locator(".messages").is_visible()
    for shown in (".messages", "[data-week]"):
        box = page.locator(shown).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (shown, box)
    assert page.locator("[data-week]").get_attribute("data-week") == "met"
    assert "分数的加减法, 讲解错题" in page.locator("ul.sessions").inner_text()
    shot("04-session-saved-week-met")

    session = TutoringSession.objects.get()
    assert (session.pairing_id, session.minutes, session.kind, session.subject) == (
        own.pk,
        60,
        SessionKind.TUTORING,
        Subject.MATH,
    )
    assert session.logged_by == own.mentor.user

    page.goto(f"{base}/teacher/")
    assert (
        page.locator(f'[data-pairing="{own.pk}"] [data-week]').get_attribute("data-week") == "met"
    )
    shot("05-mentees-week-met")

    # A mistake is answered next to its field, and nothing is written.
    page.goto(f"{base}/teacher/mentees/{own.pk}/")
    page.select_option("#id_subject", "")
    page.fill("#id_content", "没有选科目")
    with page.expect_navigation():
        page.click("button.primary")
    assert page.locator("#error-subject").is_visible()
    assert TutoringSession.objects.count() == 1
    shot("06-error-next-to-field")

    # English is one tap away.
    page.select_option("#language", "en")
    with page.expect_navigation():
        page.click("footer button")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Log a session").first.is_visible()
    shot("07-english")

    # Another teacher's mentee: not found, and nothing of them shown.
    response = page.goto(f"{base}/teacher/mentees/{foreign.pk}/")
    assert response.status == 404
    assert "陈小红" not in page.content()
    shot("08-foreign-mentee-404")
    # Chromium reports the two error answers this test asked for (the form
    # sent back with its error, and the foreign mentee) and nothing else: no
    # script error, no missing stylesheet.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
        "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ]

    context.close()
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == [
        "01-login.png",
        "02-mentees-week-open.png",
        "03-session-form.png",
        "04-session-saved-week-met.png",
        "05-mentees-week-met.png",
        "06-error-next-to-field.png",
        "07-english.png",
        "08-foreign-mentee-404.png",
    ]
    assert os.path.getsize(ARTIFACTS / "04-session-saved-week-met.png") > 0
