"""The console in a real browser (Debian's Chromium driven by Playwright), on a tablet and a laptop.

An administrator signs in at `/` and lands on the term at a glance; runs
identification to the public notice and approves a student from a
government list, each in one click; runs the term's matching, gives a
student another mentor by hand and approves the proposal; builds the term
report, watches it until issued and downloads the workbook; allocates an aid
project and pays an award with its bank reference. Screenshots of each step are kept
in var/test-artifacts/console/ (ignored by git).
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donations.models import Award, AwardStatus, Disbursement
from mentoring.models import (
    Assessment,
    AssessmentStatus,
    Gender,
    MatchRun,
    MatchRunStatus,
    Mentor,
    Pairing,
    PairingStatus,
    ProposedPair,
    Student,
)
from tests.console.console_world import aid_project, assessment, build_world
from tests.mentoring.roster.roster_scene import csv_bytes, roster_row
from workers.factories import DEFAULT_PASSWORD, GuardianAccountFactory, MentorFactory, UserFactory
from workers.models import Report, ReportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "console"
TABLET = {"width": 1024, "height": 768}
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def artifacts():
    # Cleared once for the module, so both flows' screenshots are kept.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def _watch(page, problems):
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))


def _signed_in(browser_page, base, artifacts, viewport, **options):
    """A new context at `viewport`, in Chinese, signed in at `/` as school A's administrator:
    the context, its page, the errors its console shows, and `shot(name)` saving a screenshot."""
    context = browser_page.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    problems = []
    _watch(page, problems)

    def shot(name):
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

    page.goto(f"{base}/")
    page.fill("#id_username", "school_admin")
    page.fill("#id_password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    return context, page, problems, shot


def test_an_administrator_runs_identification_to_the_notice_on_a_tablet(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        reviewed = assessment(a, term, "王小丽", AssessmentStatus.SCHOOL_REVIEWED, tier="hardship")
        listed = assessment(a, term, "刘小东", AssessmentStatus.PROPOSED, tier="special_hardship")
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, TABLET)
    page.wait_for_url(f"{base}/console/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator('[data-figure="queue"] .figure').inner_text() == "2"
    shot("01-glance-tablet")

    with page.expect_navigation():
        page.click('[data-figure="queue"] a')
    row = page.locator(f'[data-assessment="{reviewed.pk}"]')
    assert row.locator("[data-action]").evaluate_all("els => els.map(e => e.dataset.action)") == [
        "publicize",
        "reject",
    ]
    shot("02-queue")
    with page.expect_navigation():
        row.locator('[data-action="publicize"]').click()
    assert page.locator(".messages").is_visible()
    assert "王小丽" in page.locator(".messages").inner_text()
    assert Assessment.objects.get(pk=reviewed.pk).status == AssessmentStatus.PUBLICIZED
    # Under notice now: no approval is offered until the notice has ended.
    assert page.locator(f'[data-assessment="{reviewed.pk}"] [data-action="approve"]').count() == 0
    with page.expect_navigation():
        page.locator(f'[data-assessment="{listed.pk}"] [data-action="approve"]').click()
    assert Assessment.objects.get(pk=listed.pk).status == AssessmentStatus.APPROVED
    shot("03-notice-published-and-approved")

    # A rejection needs its reason: the browser asks for it before anything is sent.
    page.goto(f"{base}/console/identification/?state=publicized")
    page.locator(f'[data-assessment="{reviewed.pk}"] [data-action="reject"]').click()
    assert page.locator(f'[data-assessment="{reviewed.pk}"] input[name=reason]').evaluate(
        "e => !e.validity.valid"
    )
    assert Assessment.objects.get(pk=reviewed.pk).status == AssessmentStatus.PUBLICIZED
    shot("04-publicized-state")
    assert problems == []
    context.close()


def test_an_administrator_builds_a_report_and_downloads_it_on_a_laptop(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship")
    base = live_server.url
    context, page, problems, shot = _signed_in(
        browser_page, base, artifacts, LAPTOP, accept_downloads=True
    )
    page.goto(f"{base}/console/reports/")
    page.select_option("#build-scope", f"school:{a.pk}")
    shot("05-reports")
    with page.expect_navigation():
        page.click("#build button.primary")
    report = Report.objects.get()
    assert page.url.startswith(f"{base}/console/reports/{report.pk}/")
    # The page reloads itself until the job has issued the report.
    page.wait_for_selector('#state[data-status="issued"]', timeout=60_000)
    assert Report.objects.get().status == ReportStatus.ISSUED
    shot("06-report-issued")
    with page.expect_download() as download:
        page.click('[data-format="xlsx"]')
    saved = artifacts / "report.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    with page.expect_navigation():
        page.click('[data-format="html"]')
    assert "阳光小学" in page.content()
    shot("07-report-read")
    assert problems == []
    context.close()


def test_an_administrator_imports_a_roster_and_approves_a_match_on_a_laptop(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        girl = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship").student
        # A girl of nine, and two women who may mentor her: the proposal pairs her with
        # one, and the administrator gives her to the other by hand.
        nine = timezone.localdate() - datetime.timedelta(days=9 * 366)
        Student.objects.filter(pk=girl.pk).update(gender=Gender.FEMALE, birth_date=nine)
        for family in ("赵", "孙"):
            MentorFactory(
                user=UserFactory(first_name="老师", last_name=family),
                schools=[a],
                gender=Gender.FEMALE,
            )
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, LAPTOP)

    # A file with a bad row: the preview lists it by row and column, and nothing is written.
    before = Student.objects.count()
    page.goto(f"{base}/console/roster/")
    bad = csv_bytes([roster_row(101, a), roster_row(102, a, 性别="X")])
    page.set_input_files(
        "#import-file", {"name": "roster.csv", "mimeType": "text/csv", "buffer": bad}
    )
    with page.expect_navigation():
        page.click("#preview-button")
    assert page.locator('#row-errors [data-row="3"]').inner_text().count("性别") == 1
    assert Student.objects.count() == before
    shot("08-roster-row-errors")
    good = csv_bytes([roster_row(101, a), roster_row(102, a)])
    page.set_input_files(
        "#import-file", {"name": "roster.csv", "mimeType": "text/csv", "buffer": good}
    )
    with page.expect_navigation():
        page.click("#import-button")
    assert page.locator(".messages").is_visible()
    assert Student.objects.count() == before + 2
    shot("09-roster-imported")

    # The term's care matching: started, solved by its job, reviewed and approved.
    page.goto(f"{base}/console/matching/")
    page.uncheck('input[name=kinds][value="academic"]')
    page.click("#weights summary")
    assert page.locator("#weight-subject_miss").input_value() == "30"
    shot("10-match-start-weights")
    with page.expect_navigation():
        page.click("#start button.primary")
    page.wait_for_selector('#state[data-status="proposed"]', timeout=60_000)
    assert "王小丽" in page.content()
    shot("10-match-proposal")
    # Before approving, the girl is given another mentor by hand.
    pair = ProposedPair.objects.select_related("pairing__mentor__user").get(pairing__student=girl)
    other = next(
        m
        for m in Mentor.objects.filter(user__last_name__in=["赵", "孙"])
        if m.pk != pair.pairing.mentor_id
    )
    with page.expect_navigation():
        page.click(f'[data-edit="{pair.pk}"]')
    page.select_option(f"#mentor-{pair.pk}", str(other.pk))
    shot("10-match-change-mentor")
    with page.expect_navigation():
        page.click(f'[data-proposal="{pair.pk}"] .change-mentor button')
    assert page.locator(".messages").is_visible()
    mentor_cell = page.locator(f'[data-proposal="{pair.pk}"] td.mentor').inner_text()
    assert f"{other.user.last_name}老师" in mentor_cell
    assert ProposedPair.objects.get(pk=pair.pk).pairing.mentor_id == other.pk
    shot("10-match-mentor-changed")
    # Approving is below the proposal, and asks for a tick naming what was reviewed.
    page.check("#approve input[name=reviewed]")
    with page.expect_navigation():
        page.click("#approve button")
    assert page.locator("#state").get_attribute("data-status") == "approved"
    assert MatchRun.objects.get().status == MatchRunStatus.APPROVED
    assert Pairing.objects.get(pk=pair.pairing_id).status == PairingStatus.ACTIVE
    assert Pairing.objects.get(pk=pair.pairing_id).mentor_id == other.pk
    shot("11-match-approved")
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    context.close()


def test_an_administrator_allocates_a_project_and_pays_an_award_on_a_tablet(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        # 300.00 arrived, 200.00 a student: the neediest is awarded, the next left out.
        project = aid_project(world, arrived_fen=30_000)
        first = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="special_hardship")
        second = assessment(a, term, "刘小东", AssessmentStatus.APPROVED, tier="hardship")
        GuardianAccountFactory(student=first.student)
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, TABLET)
    page.goto(f"{base}/console/aid/")
    row = page.locator(f'[data-project="{project.pk}"]')
    # A project with no award yet is the district's, as the report counts it: labelled so.
    assert row.locator('[data-figure="arrived"]').inner_text().splitlines()[0] == "300.00 元"
    shot("12-aid-projects")

    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.locator("#never-allocated").is_visible()
    with page.expect_navigation():
        page.click("#allocate button.primary")
    assert page.locator(".messages").is_visible()
    award = Award.objects.get()
    assert award.student_id == first.student_id
    left = page.locator(f'#left-out [data-student="{second.student_id}"]')
    assert left.get_attribute("data-reason") == "funds_exhausted"
    assert "刘小东" in left.inner_text()
    shot("13-aid-allocated")

    awarded = page.locator(f"#award-{award.pk}")
    awarded.locator("details.pay summary").click()
    page.fill(f"#pay-{award.pk}-bank_reference", "")
    with page.expect_navigation():
        awarded.locator("button[data-once]").click()
    # Refused by the service: the reason is shown on its field, nothing is written.
    assert page.locator("#problems").is_visible()
    assert page.locator(f'#award-{award.pk} [data-field="bank_reference"] .error').count() == 1
    assert not Disbursement.objects.exists()
    shot("14-aid-payment-refused")
    page.fill(f"#pay-{award.pk}-bank_reference", "ABC-2026-001")
    with page.expect_navigation():
        # A double click: the form is sent once, and paid once.
        page.locator(f"#award-{award.pk} button[data-once]").dblclick()
    assert page.locator(".messages").is_visible()
    paid = page.locator(f'#award-{award.pk} [data-instalment="1"]')
    assert paid.get_attribute("data-paid") == "yes"
    assert "ABC-2026-001" in paid.inner_text()
    assert Disbursement.objects.count() == 1
    assert Award.objects.get().status == AwardStatus.PAID
    shot("15-aid-paid-tablet")
    page.set_viewport_size(LAPTOP)
    shot("16-aid-paid-laptop")
    # The refused payment answered 400 once.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    context.close()
