"""A real browser opens the HTML report: the key figures, the charts, and no console error;
on a tablet and a phone the page is no wider than the screen.

Screenshots of the report at 390, 768 and 1280 px are kept in
var/test-artifacts/report/ (ignored by git).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import CHROMIUM
from tests.report_scene import kindergarten_scene
from workers.models import ReportStatus
from workers.reports import report_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "report"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1280, "height": 800}


def open_report(browser, live_server, user, report, query="", viewport=None):
    client = Client()
    client.force_login(user)
    # A browser set to Chinese, as the bureau's are; `lang=en` switches the page to English.
    context = browser.new_context(locale="zh-CN", viewport=viewport or LAPTOP)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = page.goto(f"{live_server.url}/api/v1/reports/{report.pk}/export/?format=html{query}")
    assert response.status == 200
    page.wait_for_load_state("load")
    return page, problems


def test_browser_shows_the_seeds_figures_and_three_charts(browser_page, live_server):
    assert os.path.exists(CHROMIUM)
    scene = kindergarten_scene()
    report = report_start(by=scene.admin, term_id=scene.term.pk, school_id=scene.schools["kg"].pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error

    page, problems = open_report(browser_page, live_server, scene.admin, report)

    def figure(name):
        return page.locator(f'[data-figure="{name}"]').inner_text().strip()

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert figure("enrolment") == "251"
    assert figure("aided_students") == "28"
    assert figure("aided_share") == "11.16%"
    assert figure("awarded") == "28,000.00"
    assert figure("allocated") == "28,000.00"
    assert figure("paid") == "28,000.00"
    assert figure("government_arrival_rate") == "100.00%"
    assert figure("government_payout_rate") == "100.00%"
    assert figure("social_payout_rate") == "—"
    # The sources are listed under the allocated figure they add up to.
    allocated = page.locator('.figure:has([data-figure="allocated"])').inner_text()
    assert "省级财政: 18,900.00" in allocated and "下达" in allocated
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
    # One bar for the one school, two per money source.
    assert page.locator("svg.coverage rect.bar").count() == 1
    assert page.locator("svg.money rect.bar").count() == 4
    assert "在校生" in page.locator("#enrolment h2").inner_text()
    assert problems == []

    english, problems = open_report(browser_page, live_server, scene.admin, report, "&lang=en")
    assert english.locator("html").get_attribute("lang") == "en"
    assert "Students enrolled" in english.locator("#headline").inner_text()
    assert problems == []


def test_the_report_fits_a_tablet_and_a_phone(browser_page, live_server):
    """A principal reads the report on a tablet or a phone without the page moving sideways:
    a table wider than the screen (the bureau's form) scrolls inside its own box."""
    scene = kindergarten_scene()
    report = report_start(by=scene.admin, term_id=scene.term.pk, school_id=scene.schools["kg"].pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error

    # One file per language and width, written again by each run.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for language, query in [("zh-hans", "&annex=true"), ("en", "&annex=true&lang=en")]:
        for viewport in [PHONE, TABLET, LAPTOP]:
            page, problems = open_report(
                browser_page, live_server, scene.admin, report, query, viewport
            )
            page.screenshot(
                path=str(ARTIFACTS / f"{language}-{viewport['width']}.png"), full_page=True
            )
            width, screen = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if width > screen:
                too_wide.append((language, screen, width))
            # The wide form is all there, to be scrolled to inside its box.
            assert page.locator("table.form").first.is_visible()
            assert page.locator('[data-figure="aided_students"]').inner_text().strip() == "28"
            assert problems == []
            page.context.close()
    assert too_wide == []
