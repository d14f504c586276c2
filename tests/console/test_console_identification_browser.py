"""One application walked through identification in the console, in Chromium on a tablet (768 px).

The administrator forms the class review group on the committees page, records
the class teacher's investigation (first without its home visit: refused, every
bad field named, nothing written), the class review group's and the school
committee's decisions, and publishes the notice, which the public notice then
shows. Each step is checked in the database; screenshots are kept in
var/test-artifacts/console/identification/ (ignored by git).
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from mentoring.models import (
    Assessment,
    AssessmentStatus,
    CommitteeDecision,
    Investigation,
    ReviewCommittee,
    ReviewStage,
)
from tests.console.console_world import assessment, build_world
from tests.console.test_console_browser import _signed_in
from tests.console.test_console_identification_steps import review_committee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "console" / "identification"
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def _fits(page, selector: str) -> None:
    """Nothing of the form reaches past the right edge of the tablet's screen."""
    right = page.locator(selector).evaluate("e => e.getBoundingClientRect().right")
    assert right <= TABLET["width"], f"{selector} ends at {right}px"


def test_an_application_walks_from_submitted_to_the_public_notice_on_a_tablet(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        row = assessment(a, term, "王小丽")
        review_committee(world, a, stage=ReviewStage.SCHOOL, name="学校资助评审组")
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, TABLET)
    page.wait_for_url(f"{base}/console/")

    # The class review group is formed on the committees page, linked below the queue.
    page.goto(f"{base}/console/identification/")
    with page.expect_navigation():
        page.click("#committees-link a")
    assert page.locator("#no-committees").count() == 0  # the school committee is listed
    page.click("#form-committee summary")
    _fits(page, "#form-committee")
    page.select_option("#new-school", str(a.pk))
    page.select_option("#new-stage", "class")
    page.fill("#new-class_name", "1班")
    page.fill("#new-name", "一班评议小组")
    for n, (name, role) in enumerate(
        [("陈校长", "school_leader"), ("孙老师", "class_teacher"), ("周敏", "parent_rep")], 1
    ):
        page.fill(f"#new-member-{n}-name", name)
        page.select_option(f"#new-member-{n}-role", role)
    shot("01-committee-form")
    with page.expect_navigation():
        page.click("#form-committee-button")
    group = ReviewCommittee.objects.get(stage=ReviewStage.CLASS)
    assert page.locator(f'[data-committee="{group.pk}"] [data-member]').count() == 3
    shot("02-committees")

    # The investigation, first without its home visit: refused, nothing written.
    page.goto(f"{base}/console/identification/")
    here = page.locator(f'[data-assessment="{row.pk}"]')
    here.locator('[data-step="investigate"] summary').click()
    _fits(page, f'[data-assessment="{row.pk}"] [data-step="investigate"]')
    page.fill(f"#inv-{row.pk}-investigators", "孙老师")
    page.fill(f"#inv-{row.pk}-findings", "母亲长期患病，家中无稳定收入")
    shot("03-investigation-form")
    with page.expect_navigation():
        here.locator('[data-action="investigate"]').click()
    assert "家访日期" in page.locator("#problem").inner_text()
    assert not Investigation.objects.exists()
    shot("04-investigation-refused")
    # The form is shown open again with what was typed: only the visit is missing.
    assert page.input_value(f"#inv-{row.pk}-investigators") == "孙老师"
    assert page.input_value(f"#inv-{row.pk}-findings") == "母亲长期患病，家中无稳定收入"
    here = page.locator(f'[data-assessment="{row.pk}"]')
    page.fill(f"#inv-{row.pk}-visited_on", page.input_value(f"#inv-{row.pk}-investigated_on"))
    with page.expect_navigation():
        here.locator('[data-action="investigate"]').click()
    assert page.locator(".messages").is_visible()
    assert Assessment.objects.get(pk=row.pk).status == AssessmentStatus.INVESTIGATED

    # The class review group's decision, then the school committee's with the tier.
    for step, committee_name, tier in (("class", "一班评议小组", ""), ("school", "", "hardship")):
        here = page.locator(f'[data-assessment="{row.pk}"]')
        here.locator('[data-step="committee_decision"] summary').click()
        _fits(page, f'[data-assessment="{row.pk}"] [data-step="committee_decision"]')
        if committee_name:
            assert committee_name in here.locator(f"#dec-{row.pk}-committee").inner_text()
        for box in here.locator("input[name=members_present]").all():
            box.check()
        if tier:
            page.select_option(f"#dec-{row.pk}-tier", tier)
        page.fill(f"#dec-{row.pk}-note", "评议一致同意")
        shot(f"05-{step}-decision-form")
        with page.expect_navigation():
            here.locator('[data-action="committee_decision"]').click()
        assert page.locator(".messages").is_visible()
    row.refresh_from_db()
    assert (row.status, row.tier) == (AssessmentStatus.SCHOOL_REVIEWED, "hardship")
    assert list(CommitteeDecision.objects.values_list("stage", flat=True)) == ["class", "school"]
    shot("06-school-reviewed")

    # Published: the notice shows the student, her name masked.
    with page.expect_navigation():
        page.locator(f'[data-assessment="{row.pk}"] [data-action="publicize"]').click()
    assert Assessment.objects.get(pk=row.pk).status == AssessmentStatus.PUBLICIZED
    shot("07-publicized")
    page.set_viewport_size({"width": 1366, "height": 900})
    shot("08-publicized-laptop")
    # The refused investigation answered 400 once; the console showed nothing else.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    with page.expect_navigation():
        page.click('a[href$="/public/notices/"]')
    notice = page.content()
    assert "阳光小学" in notice and "王小丽" not in notice
    shot("09-public-notice")
    context.close()


def test_a_refused_step_keeps_the_queue_as_shown_with_the_row_in_view_and_a_reload_reads(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        # Enough rows above it that the refused one is far down the queue.
        for n in range(30):
            assessment(a, term, f"学生{n:02d}", AssessmentStatus.INVESTIGATED)
        for n in range(20):
            assessment(a, term, f"甲{n:02d}")
        row = assessment(a, term, "王小丽")
    base = live_server.url
    context, page, _problems, shot = _signed_in(browser_page, base, artifacts, TABLET)
    page.wait_for_url(f"{base}/console/")
    queue = f"{base}/console/identification/?term={term.pk}&state=submitted"
    page.goto(queue)
    here = page.locator(f'[data-assessment="{row.pk}"]')
    here.locator('[data-step="investigate"] summary').click()
    page.fill(f"#inv-{row.pk}-investigators", "孙老师")
    page.fill(f"#inv-{row.pk}-findings", "母亲长期患病")
    with page.expect_navigation():
        here.locator('[data-action="investigate"]').click()

    # The queue as it was (submitted only), at the refused row, its form open and in view.
    page.wait_for_url(f"{queue}#assessment-{row.pk}")
    assert page.locator(".states a.current").get_attribute("data-state") == "submitted"
    assert page.locator("#queue tbody tr").count() == 21
    assert page.locator("#problem").inner_text().startswith("王小丽")
    assert page.locator(f"#inv-{row.pk}-findings").is_visible()
    assert page.input_value(f"#inv-{row.pk}-findings") == "母亲长期患病"
    top = page.locator(f"#assessment-{row.pk}").evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= top < TABLET["height"]
    shot("10-refused-in-place")

    # A reload reads the queue: the step is not posted again.
    methods = []
    page.on("request", lambda request: methods.append(request.method))
    page.reload()
    assert methods[0] == "GET"
    assert page.locator("#problem").count() == 0
    assert not Investigation.objects.exists()
    context.close()
