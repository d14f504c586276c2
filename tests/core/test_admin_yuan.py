"""The Django admin in yuan, in Chinese and English; people by name (issue 17, item 4)."""

import re
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from hypothesis import given
from hypothesis import strategies as st

from core.admin import YuanFormField, fen_floor, is_fen_field
from core.money import yuan_grouped
from donations.models import (
    AidRefusal,
    Award,
    Disbursement,
    FundAccount,
    ItemDonation,
    LedgerEntry,
    RefusalVia,
)
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import MatchRun, StudentRecord
from tests.admin_scene import records_in
from workers.factories import MentorFactory, SchoolFactory, UserFactory

FEN_LABELS = ["(fen)", "（分）"]


@pytest.fixture
def root_client(db):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    return root, client


def page(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "label"), [("zh-hans", "金额（元）"), ("en", "Amount (yuan)")]
)
def test_award_changelist_and_change_page_show_yuan(root_client, language, label):
    root, client = root_client
    records = records_in(SchoolFactory(), by=root)
    award = records[Award]
    account = fund_account_of(award.project)
    ledger_post(account_id=account.pk, kind="appropriation", amount_fen=200_000, by=root)
    Award.objects.filter(pk=award.pk).update(amount_fen=120_000)
    for url in [
        reverse("admin:donations_award_changelist"),
        reverse("admin:donations_award_change", args=[award.pk]),
    ]:
        html = page(client, url, language)
        assert "1,200.00" in html
        assert "120000" not in html and "120,000" not in html
        assert label in html or label.lower() in html
        assert not any(fen in html for fen in FEN_LABELS)


def test_chinese_award_changelist_has_no_untranslated_header(root_client):
    root, client = root_client
    records_in(SchoolFactory(), by=root)
    html = page(client, reverse("admin:donations_award_changelist"), "zh-hans")
    table = html[html.index('id="result_list"') :]
    headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)<', table, re.S)
    assert headers
    untranslated = [h for h in headers if re.search(r"[A-Za-z]{2,}", h) and h.strip() != "ID"]
    assert untranslated == []
    assert not re.search(r"以 [a-z]", html)


def test_mentors_are_listed_by_name(root_client):
    _root, client = root_client
    mentor = MentorFactory(schools=[SchoolFactory()])
    mentor.user.first_name, mentor.user.last_name = "老师", "张"
    mentor.user.save()
    html = page(client, reverse("admin:mentoring_mentor_changelist"), "zh-hans")
    assert "张老师" in html
    assert str(mentor).startswith("张老师")


def test_yuan_form_field_takes_yuan_and_gives_fen():
    field = YuanFormField(required=True)
    assert field.clean("1200.00") == 120_000
    assert field.clean("0.5") == 50
    assert field.prepare_value(120_000) == Decimal("1200.00")
    assert not field.has_changed(120_000, "1200.00")
    assert field.has_changed(120_000, "1200.01")


HISTORICAL = "Historical"


def models_checked():
    for label in ["core", "mentoring", "donations", "workers"]:
        for model in apps.get_app_config(label).get_models():
            if not model.__name__.startswith(HISTORICAL):
                yield model


def untranslated(text) -> bool:
    if not isinstance(text, Promise):
        return True
    with translation.override("zh-hans"):
        chinese = str(text)
    with translation.override("en"):
        english = str(text)
    return chinese == english


def test_every_verbose_name_is_translated_into_chinese():
    missing = []
    for model in models_checked():
        opts = model._meta
        for name in ["verbose_name", "verbose_name_plural"]:
            if untranslated(getattr(opts, name)):
                missing.append(f"{opts.label}.{name}")
        for field in [*opts.concrete_fields, *opts.many_to_many]:
            if not field.auto_created and untranslated(field.verbose_name):
                missing.append(f"{opts.label}.{field.name}")
    assert missing == []


# The yuan form field: exact both ways, refusing what the model would.

FEN_IN_FORM = st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1)


@given(FEN_IN_FORM)
def test_fen_shown_in_yuan_and_typed_back_is_the_same_fen(amount):
    field = YuanFormField(required=True)
    shown = field.widget.format_value(field.prepare_value(amount))

    assert field.clean(shown) == amount
    assert not field.has_changed(amount, shown)


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_yuan_as_the_admin_lists_it_is_taken_back_too(amount):
    assert YuanFormField(required=True).clean(yuan_grouped(amount)) == amount


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1200", 120_000),
        ("1200.5", 120_050),
        ("0.01", 1),
        (" 1,200.50 ", 120_050),
        ("1,234,567.89", 123_456_789),
        ("1200 元", 120_000),
        ("1200.00 yuan", 120_000),
        ("-3.10", -310),
    ],
)
def test_yuan_typed_becomes_exact_fen(typed, amount):
    assert YuanFormField(required=True).clean(typed) == amount


def test_an_empty_optional_amount_is_none():
    assert YuanFormField(required=False).clean("") is None


@pytest.mark.parametrize(
    ("typed", "floor", "message"),
    [
        ("1.005", None, "Enter yuan with at most two decimals (fen), e.g. 1200.50."),
        ("0.001", 0, "Enter yuan with at most two decimals (fen), e.g. 1200.50."),
        ("12a", None, "Enter an amount in yuan, e.g. 1200.50."),
        ("1,20.00", None, "Enter an amount in yuan, e.g. 1200.50."),
        ("NaN", None, "Enter an amount in yuan, e.g. 1200.50."),
        ("-0.01", 0, "Enter an amount of zero or more yuan."),
        ("0", 1, "Enter an amount above zero, at least 0.01 yuan."),
        ("-5", 1, "Enter an amount above zero, at least 0.01 yuan."),
        ("1234567890123.00", None, "This amount is too large."),
    ],
)
def test_bad_yuan_is_refused_saying_what_to_type(typed, floor, message):
    field = YuanFormField(required=True, floor_fen=floor)

    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            field.clean(typed)
        # The messages are lazy: read in the language they were asked in.
        messages = [str(m) for m in refused.value.messages]

    assert messages == [message]


def test_the_input_is_in_steps_of_a_fen_and_names_its_unit():
    with translation.override("en"):
        html = YuanFormField(required=True).widget.render("amount", Decimal("1200.00"))
    assert 'type="number"' in html and 'step="0.01"' in html
    assert 'value="1200.00"' in html
    assert html.endswith(" yuan")


@pytest.mark.parametrize(
    ("field", "floor"),
    [
        (Award._meta.get_field("amount_fen"), 1),  # amount_fen > 0
        (FundAccount._meta.get_field("balance_fen"), 0),  # balance_fen >= 0
        (ItemDonation._meta.get_field("value_fen"), 0),
        # Positive in, negative out: no floor holds every time.
        (LedgerEntry._meta.get_field("amount_fen"), None),
        (LedgerEntry._meta.get_field("balance_after_fen"), 0),
        # Null, or zero or more.
        (StudentRecord._meta.get_field("income_per_capita_fen"), 0),
    ],
)
def test_the_least_amount_a_form_takes_is_the_models_constraint(field, floor):
    assert fen_floor(field) == floor


def test_every_money_field_is_written_in_yuan_by_the_admin_form():
    """Every `*_fen` column, in every admin's form (read-only ones too), is a yuan field."""
    request = RequestFactory().get("/")
    request.user = UserFactory.build(is_superuser=True, is_active=True)
    admins = [
        admin_of
        for model, model_admin in admin.site._registry.items()
        for admin_of in [
            model_admin,
            *(inline(model, admin.site) for inline in model_admin.inlines),
        ]
    ]
    fields = 0
    for model_admin in admins:
        for db_field in model_admin.model._meta.concrete_fields:
            if is_fen_field(db_field):
                form_field = model_admin.formfield_for_dbfield(db_field, request)
                assert isinstance(form_field, YuanFormField), db_field
                assert form_field.min_value == (
                    None if fen_floor(db_field) is None else Decimal(fen_floor(db_field)) / 100
                )
                fields += 1
    assert fields >= 10


# The columns: "1,200.00 yuan" ("1,200.00 元"), headed "amount (yuan)".


def test_money_columns_name_their_unit(root_client):
    root, client = root_client
    award = records_in(SchoolFactory(), by=root)[Award]

    html = page(client, reverse("admin:donations_award_changelist"), "en")

    assert f"{yuan_grouped(award.amount_fen)} yuan" in html
    assert "yuan yuan" not in html


# Every list of the Chinese admin: its column headers and filters in Chinese.

# Codes that read the same in Chinese.
ALLOWED_LATIN = {"ID", "IP"}


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED_LATIN


def test_every_chinese_changelist_has_chinese_headers_and_filters(root_client):
    root, client = root_client
    records_in(SchoolFactory(), by=root)
    request = RequestFactory().get("/")
    request.user = root
    untranslated = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        html = page(
            client, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), "zh-hans"
        )
        table = html[html.index('id="result_list"') :]
        headers = re.findall(r'<div class="text">\s*<(?:a|span)[^>]*>([^<]*)<', table)
        assert headers, opts.label
        with translation.override("zh-hans"):
            filters = [
                str(spec.title)
                for spec in model_admin.get_changelist_instance(request).filter_specs
            ]
        shown_filters = re.findall(r'data-filter-title="([^"]*)"', html)
        words = [text for text in [*headers, *filters, *shown_filters] if latin_words(text)]
        if words or re.search(r"以 [A-Za-z]", html):
            untranslated[opts.label] = words
    assert untranslated == {}


def test_people_are_named_on_change_and_history_pages_too(root_client):
    root, client = root_client
    root.first_name, root.last_name = "芳", "李"
    root.save()
    disbursement = records_in(SchoolFactory(), by=root)[Disbursement]
    history = disbursement.award.history.latest()
    history.history_user = root
    history.save()

    change = page(
        client, reverse("admin:donations_disbursement_change", args=[disbursement.pk]), "zh-hans"
    )
    past = page(
        client, reverse("admin:donations_award_history", args=[disbursement.award_id]), "zh-hans"
    )

    assert "李芳" in change and "李芳" in past
    assert str(root) == "李芳"
    assert str(UserFactory(first_name="", last_name="", username="no.name")) == "no.name"


def test_stored_codes_are_shown_by_their_names(root_client):
    root, client = root_client
    records = records_in(SchoolFactory(), by=root)
    run = records[MatchRun]
    MatchRun.objects.filter(pk=run.pk).update(kinds=["academic", "care"])
    AidRefusal.objects.update(via=RefusalVia.MANUAL)

    runs = page(client, reverse("admin:mentoring_matchrun_changelist"), "en")
    refusals = page(client, reverse("admin:donations_aidrefusal_changelist"), "en")

    assert "Academic tutoring + Care and sponsorship" in runs and "academic" not in runs
    assert "award asked for by hand" in refusals


def test_login_lockouts_are_named_in_the_platforms_words(root_client):
    _root, client = root_client
    AccessAttempt.objects.create(
        username="li.hua",
        ip_address="203.0.113.9",
        user_agent="",
        http_accept="",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )

    index = page(client, reverse("admin:index"), "en")
    lockouts = page(client, reverse("admin:axes_accessattempt_changelist"), "en")

    assert "Login lockouts" in index and "Logins" in index
    assert "access attempt" not in (index + lockouts).lower()
    assert "IP address" in lockouts and "Attempt Time" not in lockouts
