"""Recording a guardian's bank account, then paying by transfer, in Chromium on a tablet and laptop;
and a run's kept pairing given another mentor.

An award whose student has no account on record can be paid only in cash;
the administrator follows the award's link, is told every mistake of the
account form at once, records the account, and is taken back to the award,
whose pay form now offers a transfer to the account shown masked. A second
run of a term whose first was approved lists the pairing it keeps, and the
administrator proposes another mentor for it and approves. Screenshots
(guardian-*.png) are kept in var/test-artifacts/console/ beside the console's.
"""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from donations.models import Award, AwardStatus, Disbursement, PaymentMethod
from donations.services.awards import award_create
from mentoring.models import (
    AssessmentStatus,
    Gender,
    GuardianAccount,
    Pairing,
    PairingStatus,
    Student,
)
from mentoring.services.match_runs import match_run_approve, match_run_execute, match_run_start
from tests.console.console_world import aid_project, assessment, build_world, pupil
from tests.console.test_console_browser import ARTIFACTS, LAPTOP, TABLET, _signed_in
from workers.factories import MentorFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBER = "6222 0212 3456 7890 123"
MASKED = "**** **** **** **** 0123"


@pytest.fixture(scope="module")
def artifacts():
    # Only this module's screenshots are cleared: the console's own are kept.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("guardian-*.png"):
        old.unlink()
    return ARTIFACTS


def _options(page, selector: str) -> list[str]:
    return page.locator(f"{selector} option").evaluate_all("els => els.map(e => e.value)")


def test_an_administrator_records_an_account_and_pays_by_transfer(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        term = world.terms["one"]
        project = aid_project(world)
        student = pupil(world.schools["A"], term, "王小丽")
        award = award_create(
            by=world.users["district_admin"],
            project_id=project.pk,
            student_id=student.pk,
            term_id=term.pk,
            amount_fen=20_000,
            instalments=[20_000],
        )
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, TABLET)
    page.goto(f"{base}/console/aid/{project.pk}/?term={term.pk}")
    row = page.locator(f"#award-{award.pk}")
    # No account on record: cash only, and a link to record one.
    row.locator("details.pay summary").click()
    assert _options(page, f"#pay-{award.pk}-method") == [PaymentMethod.CASH]
    assert row.locator("[data-cash-only]").is_visible()
    shot("guardian-01-cash-only-tablet")

    with page.expect_navigation():
        row.locator(".account a").click()
    assert page.locator("#no-account").is_visible()
    page.fill("#id_holder_name", "")
    page.fill("#id_bank_name", "中国农业银行")
    page.fill("#id_account_number", "1234-56")
    with page.expect_navigation():
        page.click("#account-form button.primary")
    # Both mistakes named at once; nothing written; the number typed is not sent back.
    assert page.locator("#problems li").count() == 2
    assert page.locator('[data-field="holder_name"] .error').count() == 1
    assert page.locator('[data-field="account_number"] .error').count() == 1
    assert page.locator("#id_account_number").input_value() == ""
    assert not GuardianAccount.objects.exists()
    shot("guardian-02-account-refused")

    page.fill("#id_holder_name", "王大山")
    page.fill("#id_account_number", NUMBER)
    with page.expect_navigation():
        page.click("#account-form button.primary")
    assert page.locator(".messages").is_visible()
    assert GuardianAccount.objects.get().number_masked == MASKED
    row = page.locator(f"#award-{award.pk}")
    assert row.locator(".account").get_attribute("data-account") == MASKED
    assert NUMBER.replace(" ", "") not in page.content()
    shot("guardian-03-account-recorded")

    # The pay form now offers a transfer, to the account shown masked, as well as cash.
    row.locator("details.pay summary").click()
    method = f"#pay-{award.pk}-method"
    assert _options(page, method) == [PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH]
    assert page.locator(method).input_value() == PaymentMethod.BANK_TRANSFER
    assert MASKED in row.locator("[data-transfer-to]").inner_text()
    page.fill(f"#pay-{award.pk}-bank_reference", "ABC-2026-009")
    shot("guardian-04-pay-by-transfer")
    with page.expect_navigation():
        row.locator("button[data-once]").click()
    assert page.locator(".messages").is_visible()
    paid = page.locator(f'#award-{award.pk} [data-instalment="1"]')
    assert paid.get_attribute("data-paid") == "yes"
    disbursement = Disbursement.objects.get()
    assert (disbursement.method, disbursement.bank_reference) == (
        PaymentMethod.BANK_TRANSFER,
        "ABC-2026-009",
    )
    assert Award.objects.get().status == AwardStatus.PAID
    shot("guardian-05-paid-tablet")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base}/console/aid/awards/{award.pk}/guardian-account/")
    assert page.locator("#account-on-record").get_attribute("data-masked") == MASKED
    shot("guardian-06-account-laptop")
    # The refused account form answered 400 once.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    context.close()


def test_a_second_run_lists_its_kept_pairing_and_gives_it_another_mentor_on_a_laptop(
    live_server, browser_page, artifacts
):
    with transaction.atomic():
        world = build_world()
        a, term = world.schools["A"], world.terms["one"]
        term.district.same_gender_from_age = 12
        term.district.save()
        girl = assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship").student
        fourteen = timezone.localdate().replace(day=1) - datetime.timedelta(days=14 * 366)
        Student.objects.filter(pk=girl.pk).update(gender=Gender.FEMALE, birth_date=fourteen)
        women = [
            MentorFactory(user=UserFactory(first_name="老师", last_name=family), schools=[a])
            for family in ("赵", "孙")
        ]
    admin = world.users["school_admin"]
    # The first run is approved; the second finds its pair active and keeps it.
    for approved in (True, False):
        run = match_run_start(by=admin, term_id=term.pk, kinds=["care"])
        match_run_execute(run, lambda _percent: None)
        if approved:
            match_run_approve(run=run, by=admin)
    kept = Pairing.objects.get(student=girl, status=PairingStatus.ACTIVE)
    other = next(w for w in women if w.pk != kept.mentor_id)
    base = live_server.url
    context, page, problems, shot = _signed_in(browser_page, base, artifacts, LAPTOP)
    page.goto(f"{base}/console/matching/{run.pk}/")
    row = page.locator(f'#kept-pairings [data-kept="{kept.pk}"]')
    assert "王小丽" in row.inner_text()
    shot("guardian-07-run-keeps-a-pairing")

    with page.expect_navigation():
        row.locator(f'[data-replace="{kept.pk}"]').click()
    page.select_option(f"#replace-{kept.pk}", str(other.pk))
    shot("guardian-08-kept-another-mentor")
    with page.expect_navigation():
        page.click(f'[data-kept="{kept.pk}"] .replace-mentor button')
    assert page.locator(".messages").is_visible()
    assert page.locator(f'#kept-pairings [data-kept="{kept.pk}"]').count() == 0
    assert page.locator("#proposal").inner_text().count("王小丽") == 1
    page.check("#approve input[name=reviewed]")
    with page.expect_navigation():
        page.click("#approve button")
    assert Pairing.objects.get(pk=kept.pk).status == PairingStatus.ENDED
    assert Pairing.objects.get(student=girl, status=PairingStatus.ACTIVE).mentor_id == other.pk
    shot("guardian-09-kept-replaced-approved")
    assert problems == []
    context.close()
