"""The admin in Django's own words where they are Django's, and each record told once, plainly.

The project's catalogue is searched before Django's, so a project text that is
also one of Django admin's ("Change") replaces Django's translation on every
admin page unless the project's carries a context.
"""

import datetime
from pathlib import Path

import django
import polib
import pytest
from django.test import Client
from django.urls import reverse

from donations.models import Award, LedgerEntry, Pledge, PledgeInstalment
from tests.admin_scene import records_in
from workers.factories import SchoolFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
DJANGO = Path(django.__file__).parent
DJANGO_CATALOGUES = [
    DJANGO / "contrib" / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    for app in ("admin", "auth", "contenttypes")
] + [DJANGO / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]

# Texts both catalogues translate, reviewed: the project's words mean what Django's do.
SAME_MEANING = {
    "Add": "添加",
    "Log out": "退出登录",
    "Page not found": "页面不存在",
    "Summary": "总览",
    "active": "启用",
}


@pytest.fixture
def root_client(db):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    return root, client


def page(client, url, language="zh-hans"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_no_project_text_without_context_changes_what_django_admin_says():
    project = {
        e.msgid: e.msgstr
        for e in polib.pofile(str(PROJECT_PO))
        if e.msgctxt is None and not e.obsolete and e.msgstr
    }
    overridden = {}
    for catalogue in DJANGO_CATALOGUES:
        for entry in polib.pofile(str(catalogue)):
            ours = project.get(entry.msgid)
            differs = entry.msgctxt is None and entry.msgstr and ours not in (None, entry.msgstr)
            if differs and SAME_MEANING.get(entry.msgid) != ours:
                overridden[entry.msgid] = (entry.msgstr, ours)
    assert overridden == {}


def test_the_admin_index_says_change_as_django_does(root_client):
    html = page(root_client[1], reverse("admin:index"))

    # Item kinds are edited in the admin, so their row links to a change list.
    assert ">修改</a>" in html
    assert "变化" not in html


def test_an_award_shows_its_term_once_and_its_purpose_with_its_project(root_client):
    root, client = root_client
    award = records_in(SchoolFactory(), by=root)[Award]

    html = page(client, reverse("admin:donations_award_change", args=[award.pk]), "en")

    assert html.count(award.term_code) == 1
    assert f"{award.purpose} (the purpose of {award.project.name})" in html


def test_pledge_instalments_are_in_yuan_beside_the_pledge(root_client):
    root, client = root_client
    pledge = records_in(SchoolFactory(), by=root)[Pledge]
    PledgeInstalment.objects.create(pledge=pledge, due_on=datetime.date(2027, 3, 1), amount=100_000)

    html = page(client, reverse("admin:donations_pledge_change", args=[pledge.pk]))

    assert "2027-03-01: 1,000.00" in html
    assert "100000" not in html


def test_a_ledger_row_names_its_account_without_todays_balance(root_client):
    root, client = root_client
    records_in(SchoolFactory(), by=root)
    entry = LedgerEntry.objects.select_related("account__project").first()

    html = page(client, reverse("admin:donations_ledgerentry_changelist"))

    assert f'<td class="field-account nowrap">{entry.account.project.code}</td>' in html
    assert f"{entry.account.project.code}:" not in html


@pytest.mark.django_db
def test_the_site_has_a_favicon():
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
