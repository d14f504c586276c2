"""The Django admin in yuan, in Chinese and English; people by name (issue 17, item 4)."""

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from core.admin import YuanFormField
from donations.models import Award
from donations.services.ledger import fund_account_of, ledger_post
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
