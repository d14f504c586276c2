"""/donor/: a donor pledges in a form, follows its pledges, sees what its gifts did (issue 17).

Every write goes through donations.services.pledges (the API's functions), so
the page is tested for what it adds: who may open it, every error at once with
nothing written, the banner after saving, cancelling, and a fixed number of
queries however many pledges.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from donations.models import (
    AidProject,
    AwardStatus,
    Donor,
    DonorKind,
    FundSource,
    Pledge,
    PledgeKind,
    PledgeStatus,
)
from donations.services.pledges import pledge_cancel, pledge_create
from workers.factories import DistrictFactory, SchoolFactory, member

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def later(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def world(district, school_a):
    project = AidProject.objects.create(
        district=district, code="GIRLS", name="春蕾计划", source=FundSource.SOCIAL, purpose="girls"
    )
    newspaper, person = member("donor", school_a), member("donor", school_a)
    elsewhere = DistrictFactory()
    outsider = member("donor", SchoolFactory(district=elsewhere))
    return {
        "project": project,
        "newspaper": newspaper,
        "person": person,
        "outsider": outsider,
        "newspaper_donor": Donor.objects.create(
            district=district, kind=DonorKind.ORGANISATION, name="县报社", user=newspaper
        ),
        "person_donor": Donor.objects.create(
            district=district, kind=DonorKind.INDIVIDUAL, name="赵女士", user=person
        ),
        "outsider_donor": Donor.objects.create(
            district=elsewhere, kind=DonorKind.INDIVIDUAL, name="钱先生", user=outsider
        ),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pledge_of(world, who: str, amount_fen: int = 500_000) -> Pledge:
    return pledge_create(
        by=world[who],
        donor_id=world[f"{who}_donor"].pk,
        kind=PledgeKind.MONEY,
        schedule="once",
        instalments=[(later(30), amount_fen)],
        project_id=world["project"].pk if who != "outsider" else None,
        purpose="" if who != "outsider" else "books",
    )


def form(world, **overrides) -> dict:
    values = {
        "kind": "money",
        "project": str(world["project"].pk),
        "schedule": "instalments",
        "due_on_1": later(10).isoformat(),
        "amount_1": "5000.00",
        "due_on_2": later(120).isoformat(),
        "amount_2": "5000.50",
    }
    values.update(overrides)
    return values


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/donor/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/donor/"


def test_an_account_without_a_donor_profile_is_told_the_page_is_not_theirs(school_a):
    for role in ("teacher", "administrator", "supervisor", "donor"):
        response = signed_in(member(role, school_a)).get("/donor/", **EN)

        assert response.status_code == 403
        assert "This page is for donors" in response.content.decode()


def test_signing_in_at_the_root_takes_a_donor_to_its_page(world):
    response = signed_in(world["newspaper"]).get("/")

    assert (response.status_code, response["Location"]) == (302, "/donor/")


def test_a_donor_sees_its_own_pledges_only(world):
    own, colleague, outsider = (
        pledge_of(world, "newspaper", 123_400),
        pledge_of(world, "person", 777_700),
        pledge_of(world, "outsider", 999_900),
    )

    page = signed_in(world["newspaper"]).get("/donor/", **EN).content.decode()

    assert f'data-pledge="{own.pk}"' in page and "1,234.00 yuan" in page
    assert f'data-pledge="{colleague.pk}"' not in page and "7,777.00" not in page
    assert f'data-pledge="{outsider.pk}"' not in page and "9,999.00" not in page
    assert "县报社" in page and "赵女士" not in page and "钱先生" not in page


def test_a_donor_pledges_in_instalments_and_lands_on_the_banner(world):
    client = signed_in(world["newspaper"])

    response = client.post("/donor/pledges/", form(world), **EN)

    assert (response.status_code, response["Location"]) == (302, "/donor/#messages")
    pledge = Pledge.objects.get(donor=world["newspaper_donor"])
    assert (pledge.kind, pledge.schedule, pledge.project) == (
        "money",
        "instalments",
        world["project"],
    )
    assert [(i.due_on, i.amount) for i in pledge.instalments.all()] == [
        (later(10), 500_000),
        (later(120), 500_050),
    ]
    page = client.get("/donor/", **EN).content.decode()
    assert 'id="messages"' in page and "your pledge is recorded" in page
    assert "5,000.50 yuan" in page


def test_items_are_pledged_in_whole_numbers_with_their_unit(world):
    client = signed_in(world["newspaper"])

    response = client.post(
        "/donor/pledges/",
        form(
            world,
            kind="items",
            schedule="once",
            item_name="书包",
            item_unit="个",
            amount_1="40",
            due_on_2="",
            amount_2="",
        ),
        **EN,
    )

    assert response.status_code == 302
    pledge = Pledge.objects.get(donor=world["newspaper_donor"])
    assert (pledge.item_name, pledge.item_unit) == ("书包", "个")
    assert [i.amount for i in pledge.instalments.all()] == [40]


def test_every_error_of_a_bad_pledge_is_shown_at_once_and_nothing_is_written(world):
    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/",
        {
            "kind": "items",
            "project": "",
            "purpose": "  ",
            "item_name": "",
            "item_unit": "",
            "schedule": "once",
            "due_on_1": later(10).isoformat(),
            "amount_1": "2.5",
            "amount_2": "3",
            "due_on_3": "not a day",
            "amount_3": "1",
        },
        **EN,
    )

    assert response.status_code == 400
    page = response.content.decode()
    for message in (
        "Items are counted in whole numbers.",
        "Give the day this amount is due.",
        "Enter a valid date.",
        "Name a project or say what the gift is for.",
        "Say which items and in which unit.",
    ):
        assert message in page, message
    assert not Pledge.objects.exists()


def test_a_project_of_another_district_is_refused(world):
    other = AidProject.objects.create(
        district=world["outsider_donor"].district,
        code="X",
        name="别处",
        source=FundSource.SOCIAL,
        purpose="x",
    )

    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/", form(world, project=str(other.pk)), **EN
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Pledge.objects.exists()


def test_a_donor_cancels_its_pledge_with_a_reason(world):
    pledge = pledge_of(world, "newspaper")
    client = signed_in(world["newspaper"])

    refused = client.post(f"/donor/pledges/{pledge.pk}/cancel/", {"reason": " "}, **EN)
    pledge.refresh_from_db()
    assert refused.status_code == 400
    assert "Say why the pledge is cancelled." in refused.content.decode()
    assert pledge.status == PledgeStatus.PLEDGED

    done = client.post(f"/donor/pledges/{pledge.pk}/cancel/", {"reason": "预算调整"}, **EN)
    pledge.refresh_from_db()
    assert (done.status_code, done["Location"]) == (302, "/donor/#messages")
    assert pledge.status == PledgeStatus.CANCELLED and "预算调整" in pledge.note


def test_another_donors_pledge_cannot_be_cancelled_and_looks_missing(world):
    colleague = pledge_of(world, "person")

    response = signed_in(world["newspaper"]).post(
        f"/donor/pledges/{colleague.pk}/cancel/", {"reason": "x"}, **EN
    )

    colleague.refresh_from_db()
    assert response.status_code == 404
    assert colleague.status == PledgeStatus.PLEDGED


def test_the_page_needs_csrf_and_a_post_to_write(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["newspaper"])

    assert client.post("/donor/pledges/", form(world)).status_code == 403
    assert signed_in(world["newspaper"]).get("/donor/pledges/").status_code == 405
    assert not Pledge.objects.exists()


def test_the_page_reads_in_a_fixed_number_of_queries(world):
    client = signed_in(world["newspaper"])
    pledge_of(world, "newspaper")
    client.get("/donor/")
    with CaptureQueriesContext(connection) as one:
        client.get("/donor/")
    for amount in range(2, 12):
        pledge_of(world, "newspaper", amount * 100)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/donor/", **EN)

    assert page.status_code == 200
    assert len(many) == len(one)


def test_the_page_speaks_chinese_first(world):
    pledge_of(world, "newspaper")

    page = signed_in(world["newspaper"]).get("/donor/").content.decode()

    assert "我的认捐" in page or "认捐" in page


def test_a_bad_instalment_is_named_on_its_own_row_even_after_a_blank_one(world):
    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/",
        form(
            world,
            due_on_2="",
            amount_2="",
            due_on_3=(timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            amount_3="10.00",
        ),
        **EN,
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"due_on_3"}, errors
    assert not Pledge.objects.exists()


def test_no_instalment_at_all_is_said_once(world):
    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/", form(world, due_on_1="", amount_1="", due_on_2="", amount_2=""), **EN
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Give at least one amount and the day it is due.") == 1
    assert "Give at least one due date and amount." not in page


# Cancelling: the reason shown on the pledge, a refusal on the pledge it concerns (issue 17 E).


def card(html: str, pledge: Pledge) -> str:
    """The pledge's card on the page: its <li>, up to the next card or the list's end."""
    start = html.index(f'id="pledge-{pledge.pk}"')
    end = html.find('<li class="card"', start)
    return html[start : end if end != -1 else html.index('<h2 id="pledge">', start)]


def test_a_cancelled_pledge_shows_its_reason_in_its_row(world):
    kept, cancelled = pledge_of(world, "newspaper"), pledge_of(world, "newspaper")
    client = signed_in(world["newspaper"])

    done = client.post(f"/donor/pledges/{cancelled.pk}/cancel/", {"reason": " 预算调整 "}, **EN)

    assert done.status_code == 302
    cancelled.refresh_from_db()
    assert cancelled.cancel_reason == "预算调整"
    html = client.get("/donor/", **EN).content.decode()
    assert "Cancelled because: 预算调整" in card(html, cancelled)
    assert "Cancelled because" not in card(html, kept)


def test_a_refused_cancel_is_shown_on_that_pledge_and_the_form_leads_back_to_it(world):
    first, second = pledge_of(world, "newspaper"), pledge_of(world, "newspaper")
    client = signed_in(world["newspaper"])

    page = client.get("/donor/", **EN).content.decode()
    action = re.search(rf'action="([^"]*/pledges/{first.pk}/cancel/[^"]*)"', page).group(1)
    assert action == f"/donor/pledges/{first.pk}/cancel/#pledge-{first.pk}"

    refused = client.post(f"/donor/pledges/{first.pk}/cancel/", {"reason": "  "}, **EN)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Say why the pledge is cancelled." in card(html, first)
    assert "Say why the pledge is cancelled." not in card(html, second)
    top = html[: html.index('id="pledges"')]
    assert "Say why" not in top and 'id="messages"' not in top
    first.refresh_from_db()
    assert first.status == PledgeStatus.PLEDGED


def test_a_pledge_cancelled_meanwhile_still_shows_the_refusal_on_its_card(world):
    pledge = pledge_of(world, "newspaper")
    client = signed_in(world["newspaper"])
    pledge_cancel(by=world["newspaper"], pledge=pledge, reason="另一位同事已取消")

    refused = client.post(f"/donor/pledges/{pledge.pk}/cancel/", {"reason": "预算调整"}, **EN)

    assert refused.status_code == 409
    here = card(refused.content.decode(), pledge)
    assert "This pledge is already Cancelled." in here
    assert 'role="alert"' in here
    assert "Cancelled because: 另一位同事已取消" in here
    pledge.refresh_from_db()
    assert pledge.cancel_reason == "另一位同事已取消"


def test_a_reason_over_500_characters_is_refused_on_its_card_and_kept_in_the_box(world):
    pledge = pledge_of(world, "newspaper")
    reason = "很" * 501

    refused = signed_in(world["newspaper"]).post(
        f"/donor/pledges/{pledge.pk}/cancel/", {"reason": reason}, **EN
    )

    assert refused.status_code == 400
    here = card(refused.content.decode(), pledge)
    assert "Say why in at most 500 characters." in here
    assert f'value="{reason}"' in here
    pledge.refresh_from_db()
    assert (pledge.status, pledge.cancel_reason) == (PledgeStatus.PLEDGED, "")


def test_a_row_with_a_past_day_and_a_part_item_shows_both_errors(world):
    # The newcomer's row (issue 17): a day gone by and 10.5 items; both are wrong, both are said.
    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/",
        {
            "kind": "items",
            "purpose": "图书",
            "item_name": "图书",
            "item_unit": "册",
            "schedule": "once",
            "due_on_1": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
            "amount_1": "10.5",
        },
        **EN,
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Items are counted in whole numbers." in page
    assert "A pledge cannot fall due in the past." in page
    assert not Pledge.objects.exists()


def test_the_count_column_is_named_for_items_as_well_as_money(world):
    page = signed_in(world["newspaper"]).get("/donor/", **EN).content.decode()

    header = re.search(r"<th scope=\"col\">(?:(?!</th>).)*</th></tr></thead>", page, re.S)
    assert header is not None
    assert '<span class="for-items">Count</span>' in header.group(0)
    assert '<span class="for-money">Amount (yuan)</span>' in header.group(0)


def test_a_count_below_one_is_told_in_the_words_of_items_not_of_money(world):
    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/",
        form(world, kind="items", item_name="书包", item_unit="个", amount_1="-3", amount_2="0"),
        **EN,
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("The count must be a positive whole number.") == 2
    assert "greater than or equal to 0.01" not in page
    assert not Pledge.objects.exists()


def test_the_latest_due_day_is_written_in_the_pages_date_format(world, settings):
    settings.PLEDGE_MAX_YEARS_AHEAD = 1
    too_late = later(800)

    response = signed_in(world["newspaper"]).post(
        "/donor/pledges/", form(world, due_on_2=too_late.isoformat()), **EN
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r"falls due by \d{1,2} \w{3} \d{4} at the latest", page)
    assert not re.search(r"falls due by \d{4}-\d{2}-\d{2}", page)


def test_a_cancelled_pledge_reads_with_the_word_of_its_cancel_button(world, monkeypatch):
    """A donor cancels (取消) a pledge; an award is withdrawn (撤销). The pledge's status is
    its own msgid, so that its Chinese can be 已取消 while an award's stays 已撤销."""
    pledge = pledge_of(world, "newspaper")
    pledge_cancel(by=world["newspaper"], pledge=pledge, reason="预算调整")
    catalog = translation.trans_real.translation("zh-hans")._catalog._catalogs[0]
    monkeypatch.setitem(catalog, "pledge status\x04Cancelled", "已取消（认捐）")

    with translation.override("zh-hans"):
        page = signed_in(world["newspaper"]).get("/donor/").content.decode()
        award_label = str(AwardStatus.CANCELLED.label)

    assert "已取消（认捐）" in card(page, pledge)
    assert award_label != "已取消（认捐）"
