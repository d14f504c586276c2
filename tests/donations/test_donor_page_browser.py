"""The donor's page in a real browser (Debian's Chromium driven by Playwright), phone and laptop.

A donor signs in at `/` and lands on `/donor/`; sends the pledge form with
mistakes and sees every one of them at once, nothing written; pledges money in
two instalments and sees it listed as pledged; pledges items once; cancels the
money pledge with a reason and sees it cancelled. The database is checked after
each step. Screenshots of each step are kept in var/test-artifacts/donor/
(ignored by git).
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donations.models import (
    AidProject,
    Donor,
    DonorKind,
    FundSource,
    Pledge,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
)
from tests.console.test_console_browser import _watch
from tests.donations.test_donor_page import later
from workers.factories import DEFAULT_PASSWORD, DistrictFactory, SchoolFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "donor"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# The one error answer the flow asks for: the pledge form sent back with its mistakes.
PLEDGE_FORM = "#pledge + form"
BAD_REQUEST = (
    "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
)


@pytest.fixture(scope="module")
def artifacts():
    # Cleared once for the module, so both screens' screenshots are kept.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def _scene():
    """A district's project, and a newspaper that gives to it, signing in as `xianbao`."""
    with transaction.atomic():
        district = DistrictFactory()
        school = SchoolFactory(district=district)
        project = AidProject.objects.create(
            district=district,
            code="GIRLS",
            name="春蕾计划",
            source=FundSource.SOCIAL,
            purpose="girls",
        )
        user = member("donor", school, username="xianbao")
        donor = Donor.objects.create(
            district=district, kind=DonorKind.ORGANISATION, name="县报社", user=user
        )
    return project, donor


def chinese_day(day: datetime.date) -> str:
    """A date as every Chinese page writes it (config/formats/zh_Hans): 2026年12月3日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _instalments(pledge):
    return [(i.due_on, i.amount) for i in pledge.instalments.order_by("due_on", "pk")]


@pytest.mark.parametrize(
    ("screen", "viewport"), [("phone", PHONE), ("laptop", LAPTOP)], ids=["phone", "laptop"]
)
def test_a_donor_pledges_follows_and_cancels(
    live_server, browser_page, artifacts, screen, viewport
):
    project, donor = _scene()
    base = live_server.url
    context = browser_page.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    problems = []
    _watch(page, problems)

    def shot(name):
        page.screenshot(path=str(artifacts / f"{screen}-{name}.png"), full_page=True)

    def no_sideways_scroll():
        # Nothing on the page is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (screen, width)

    # Signed in at the root, the donor lands on its own page, in Chinese.
    page.goto(f"{base}/")
    page.fill("#id_username", "xianbao")
    page.fill("#id_password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_url(f"{base}/donor/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "县报社"
    assert page.locator("[data-pledge]").count() == 0
    no_sideways_scroll()
    shot("01-home")

    # Mistakes: no project nor purpose, a day without its amount, a day already
    # past. Every one is shown at once, each where it belongs, and nothing is written.
    form = page.locator(PLEDGE_FORM)
    page.check("input[name=kind][value=money]")
    page.check("input[name=schedule][value=instalments]")
    page.fill("#id_due_on_1", later(10).isoformat())
    page.fill("#id_due_on_2", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_amount_2", "300")
    with page.expect_navigation():
        form.locator("button.primary").click()
    # The answer opens at the form (#pledge), not at the top of the page with
    # the instalments' mistakes below the fold of a phone.
    assert page.url == f"{base}/donor/pledges/#pledge"
    box = page.locator(f"{PLEDGE_FORM} table.rows .error").first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (screen, box)
    form = page.locator(PLEDGE_FORM)
    rows = form.locator("table.rows tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => r.classList.contains('invalid'))") == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert rows.nth(0).locator("td").nth(2).locator(".error").count() == 1  # amount 1 missing
    assert rows.nth(1).locator("td").nth(1).locator(".error").count() == 1  # day 2 past
    # Neither a project nor a purpose: said on the purpose, the field just below the project.
    assert form.locator("#id_purpose").locator("xpath=..").get_attribute("class") == "invalid"
    assert form.locator("#id_purpose").locator("xpath=..").locator(".error").count() == 1
    assert form.locator(".error").count() == 3
    # What the donor typed is kept.
    assert page.input_value("#id_amount_2") == "300"
    assert not Pledge.objects.exists()
    no_sideways_scroll()
    shot("02-every-error-at-once")

    # Money in two instalments, to the project.
    page.check("input[name=kind][value=money]")
    page.select_option("#id_project", str(project.pk))
    page.check("input[name=schedule][value=instalments]")
    page.fill("#id_due_on_1", later(10).isoformat())
    page.fill("#id_amount_1", "1000")
    page.fill("#id_due_on_2", later(120).isoformat())
    page.fill("#id_amount_2", "1500.50")
    shot("03-money-in-instalments")
    with page.expect_navigation():
        page.locator(f"{PLEDGE_FORM} button.primary").click()
    assert page.url == f"{base}/donor/#messages"
    assert page.locator(".messages").is_visible()
    money = Pledge.objects.get()
    assert (money.donor, money.project, money.kind, money.schedule, money.status) == (
        donor,
        project,
        PledgeKind.MONEY,
        PledgeSchedule.INSTALMENTS,
        PledgeStatus.PLEDGED,
    )
    assert _instalments(money) == [(later(10), 100_000), (later(120), 150_050)]
    card = page.locator(f'[data-pledge="{money.pk}"]')
    assert card.locator(".name").inner_text() == "春蕾计划"
    assert card.locator(".badge").get_attribute("class") == "badge status-pledged"
    assert (
        card.locator("ul.sessions li")
        .all_inner_texts()[1]
        .startswith(f"{chinese_day(later(120))}: 1,500.50 元")
    )
    no_sideways_scroll()
    shot("04-money-pledged")

    # Items, once: forty school bags.
    page.check("input[name=kind][value=items]")
    page.select_option("#id_project", str(project.pk))
    page.fill("#id_item_name", "书包")
    page.fill("#id_item_unit", "个")
    page.check("input[name=schedule][value=once]")
    page.fill("#id_due_on_1", later(30).isoformat())
    page.fill("#id_amount_1", "40")
    with page.expect_navigation():
        page.locator(f"{PLEDGE_FORM} button.primary").click()
    assert page.url == f"{base}/donor/#messages"
    items = Pledge.objects.exclude(pk=money.pk).get()
    assert (items.kind, items.schedule, items.status, items.item_name, items.item_unit) == (
        PledgeKind.ITEMS,
        PledgeSchedule.ONCE,
        PledgeStatus.PLEDGED,
        "书包",
        "个",
    )
    assert _instalments(items) == [(later(30), 40)]
    assert _instalments(Pledge.objects.get(pk=money.pk)) == [
        (later(10), 100_000),
        (later(120), 150_050),
    ]
    # Newest first.
    assert page.locator("[data-pledge]").evaluate_all("cs => cs.map(c => c.dataset.pledge)") == [
        str(items.pk),
        str(money.pk),
    ]
    item_card = page.locator(f'[data-pledge="{items.pk}"]')
    assert "书包" in item_card.locator(".meta").inner_text()
    assert item_card.locator("ul.sessions li").inner_text() == f"{chinese_day(later(30))}: 40 个"
    no_sideways_scroll()
    shot("05-items-pledged")

    # The money pledge is cancelled with its reason; the items stay pledged.
    card = page.locator(f'[data-pledge="{money.pk}"]')
    card.locator("input[name=reason]").fill("预算调整")
    with page.expect_navigation():
        card.locator("form.cancel button").click()
    assert page.url == f"{base}/donor/#messages"
    money.refresh_from_db()
    items.refresh_from_db()
    assert money.status == PledgeStatus.CANCELLED and "预算调整" in money.note
    assert items.status == PledgeStatus.PLEDGED
    assert _instalments(money) == [(later(10), 100_000), (later(120), 150_050)]
    card = page.locator(f'[data-pledge="{money.pk}"]')
    assert card.locator(".badge").get_attribute("class") == "badge status-cancelled"
    assert card.locator("form.cancel").count() == 0
    assert page.locator(f'[data-pledge="{items.pk}"] form.cancel').count() == 1
    no_sideways_scroll()
    shot("06-money-cancelled")

    assert Pledge.objects.count() == 2
    assert problems == [BAD_REQUEST]
    context.close()
    assert sorted(p.name for p in artifacts.glob(f"{screen}-*.png")) == [
        f"{screen}-{name}.png"
        for name in (
            "01-home",
            "02-every-error-at-once",
            "03-money-in-instalments",
            "04-money-pledged",
            "05-items-pledged",
            "06-money-cancelled",
        )
    ]
