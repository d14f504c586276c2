"""Starting identification from the console in a real browser (Chromium), on a tablet and a laptop.

School A's administrator opens the start page from the identification
queue's link, finds a student and records the family's application, confirms
an application a family sent on the public page, and opens an application
code; each step is checked in the database. Screenshots are kept in
var/test-artifacts/console/start/ (ignored by git).
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from mentoring.models import Application, ApplicationCode, ApplicationStatus, Assessment
from mentoring.services.applications import application_code_open, application_submit_public
from tests.console.console_world import build_world
from tests.console.test_console_browser import _signed_in
from workers.factories import StudentFactory, StudentRecordFactory, id_number_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "console" / "start"
TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def _scene():
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        recorded = StudentFactory(
            school=a, name="王小丽", id_number=id_number_for(111, datetime.date(2015, 3, 1))
        )
        StudentRecordFactory(student=recorded, term=term, grade=4, class_name="2班")
        confirmed = StudentFactory(
            school=a, name="张小军", id_number=id_number_for(222, datetime.date(2014, 5, 6))
        )
        StudentRecordFactory(student=confirmed, term=term, grade=5, class_name="1班")
        code = application_code_open(
            by=world.users["school_admin"], school_id=a.pk, term_id=term.pk
        )
        sent = application_submit_public(
            code=code,
            child_name="张小军",
            grade=5,
            class_name="1班",
            guardian_name="张大海",
            guardian_relation="mother",
            guardian_phone="13912345678",
            hardship_kinds=["disabled_parent"],
            income_per_capita_fen=None,
            circumstances="母亲残疾，父亲外出务工收入低",
            committed=True,
        )
    return world, recorded, confirmed, code, sent


@pytest.mark.parametrize(("viewport", "size"), [(TABLET, "768"), (LAPTOP, "1280")])
def test_an_administrator_starts_identification_from_the_console(
    live_server, browser_page, artifacts, viewport, size
):
    _world, recorded, confirmed, old_code, sent = _scene()
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, viewport)
    page.wait_for_url(f"{base}/console/")

    page.goto(f"{base}/console/identification/")
    with page.expect_navigation():
        page.click("#start-link")
    assert page.url.startswith(f"{base}/console/identification/start/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # The family's phone is masked, and the namesake on the roster is offered.
    row = page.locator(f'[data-application="{sent.pk}"]')
    assert "139****5678" in row.inner_text() and "13912345678" not in page.content()
    shot(f"01-start-{size}")

    # A family's application recorded on its behalf: the student found by the ID's last digits.
    page.fill("#q", recorded.id_masked[-4:])
    with page.expect_navigation():
        page.click("#search button")
    page.check(f'[data-student="{recorded.pk}"] input')
    page.fill("#id_guardian_name", "王大山")
    page.select_option("#id_guardian_relation", "father")
    page.fill("#id_guardian_phone", "13800001111")
    page.check('input[name=hardship_kinds][value="dibao"]')
    page.fill("#id_income_per_capita", "1800")
    page.fill("#id_circumstances", "父亲重病，家中无劳动力")
    page.fill("#id_commitment", "本人承诺所填信息真实。")
    shot(f"02-record-filled-{size}")
    with page.expect_navigation():
        page.click("#record-button")
    assert "王小丽" in page.locator(".messages").inner_text()
    application = Application.objects.get(assessment__student=recorded)
    assert (application.status, application.income_per_capita_fen) == ("confirmed", 180_000)
    shot(f"03-recorded-{size}")

    # The family's own application confirmed as the student on the roster.
    row = page.locator(f'[data-application="{sent.pk}"]')
    row.locator("select[name=student]").select_option(str(confirmed.pk))
    with page.expect_navigation():
        row.locator('[data-action="confirm"]').click()
    sent.refresh_from_db()
    assert sent.status == ApplicationStatus.CONFIRMED and sent.assessment.student == confirmed
    assert Assessment.objects.filter(student=confirmed).count() == 1
    assert page.locator(f'[data-application="{sent.pk}"]').count() == 0

    # A new code opened: the old one is closed.
    with page.expect_navigation():
        page.click("#code-button")
    new = ApplicationCode.objects.get(closed_at__isnull=True)
    assert new.pk != old_code.pk and new.code in page.locator("#open-codes").inner_text()
    shot(f"04-code-opened-{size}")
    assert problems == []
    context.close()
