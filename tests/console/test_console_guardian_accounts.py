"""/console/aid/awards/<id>/guardian-account/: a guardian's bank account, from the console.

The account is recorded by `guardian_account_set`, the API's service, so
these tests check the page's side: who may open and post (an administrator
who may pay the award, no one else), that every bad field is named at once
and nothing is written, that the number is shown masked only and each
showing recorded in the access log, that the queries do not grow with the
rows, and that once an account is on record the pay form offers a transfer
to it as well as cash, paid by `disbursement_pay`.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import Disbursement, FundSource
from donations.services.awards import award_create
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import AccessLogEntry, GuardianAccount, Role
from tests.console.console_world import EN, READERS, aid_project, pupil, signed_in
from workers.factories import GuardianAccountFactory, member

pytestmark = pytest.mark.django_db

NUMBER = "6222 0212 3456 7890 123"
MASKED = "**** **** **** **** 0123"
GOOD = {"holder_name": "王大山", "bank_name": "中国农业银行", "account_number": NUMBER}
# What each reader gets opening (and posting) the account of an award of school A.
OPENS_A = {
    "school_admin": 200,
    "other_school_admin": 404,
    "district_admin": 200,
    "teacher": 403,
    "donor": 403,
    "supervisor": 403,
}


@pytest.fixture
def project(world):
    return aid_project(world)


def awarded(world, project, school, name: str, *, account: bool = False):
    """An award of 200.00 yuan in two instalments to a student of `school`, with or without an
    account on record."""
    student = pupil(school, world.terms["one"], name)
    if account:
        GuardianAccountFactory(student=student, number="6228480000000004321")
    return award_create(
        by=world.users["district_admin"],
        project_id=project.pk,
        student_id=student.pk,
        term_id=world.terms["one"].pk,
        amount_fen=20_000,
        instalments=[10_000, 10_000],
    )


def page(award) -> str:
    return f"/console/aid/awards/{award.pk}/guardian-account/"


def project_page(world, project) -> str:
    return f"/console/aid/{project.pk}/?term={world.terms['one'].pk}"


# --- who may open and post ---------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_write_nothing(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")

    got = Client().get(page(award)), Client().post(page(award), GOOD)

    assert [(r.status_code, r["Location"]) for r in got] == [(302, f"/?next={page(award)}")] * 2
    assert not GuardianAccount.objects.exists()


@pytest.mark.parametrize("reader", READERS)
def test_only_an_administrator_who_may_pay_the_award_opens_its_account(world, project, reader):
    award = awarded(world, project, world.schools["A"], "王小丽", account=True)

    response = signed_in(world.users[reader]).get(page(award))

    assert response.status_code == OPENS_A[reader]
    assert (MASKED[:4] in response.content.decode()) == (OPENS_A[reader] == 200)


@pytest.mark.parametrize("reader", READERS)
def test_only_an_administrator_who_may_pay_the_award_records_its_account(world, project, reader):
    award = awarded(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users[reader]).post(page(award), GOOD)

    expected = 302 if OPENS_A[reader] == 200 else OPENS_A[reader]
    assert response.status_code == expected
    assert GuardianAccount.objects.filter(student=award.student_id).exists() == (expected == 302)


def foreign_award(world):
    """An award of district two (school C), made by C's own administrator."""
    school, term = world.schools["C"], world.terms["two"]
    admin = member(Role.ADMINISTRATOR, school, username="admin_c")
    project = project_save(
        by=admin,
        district=school.district,
        fields={
            "code": "C-LIVING",
            "name": "邻县补助",
            "source": FundSource.COUNTY,
            "purpose": "c",
        },
        standards=[{"tier": "", "level": "", "boarding": "any", "yearly_fen": 40_000}],
        funding=[{"term": term.pk, "source": FundSource.COUNTY, "amount_fen": 100_000}],
    )
    appropriation_receive(
        by=admin, project=project, term_id=term.pk, source=FundSource.COUNTY, amount_fen=100_000
    )
    return award_create(
        by=admin,
        project_id=project.pk,
        student_id=pupil(school, term, "邻县学生").pk,
        term_id=term.pk,
        amount_fen=20_000,
        instalments=[10_000, 10_000],
    )


@pytest.mark.parametrize("reader", ["school_admin", "other_school_admin", "district_admin"])
def test_another_districts_award_is_not_found(world, reader):
    award = foreign_award(world)
    client = signed_in(world.users[reader])

    assert client.get(page(award)).status_code == 404
    assert client.post(page(award), GOOD).status_code == 404
    assert not GuardianAccount.objects.exists()


# --- recording ---------------------------------------------------------------------------


def test_an_account_is_recorded_and_shown_masked_never_whole(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")
    admin = world.users["school_admin"]
    client = signed_in(admin)

    response = client.post(page(award), GOOD, follow=True, **EN)

    account = GuardianAccount.objects.get(student=award.student_id)
    assert (account.holder_name, account.bank_name, account.number_masked) == (
        "王大山",
        "中国农业银行",
        MASKED,
    )
    assert account.updated_by == admin
    # Back on the project's page, at the award: its account shown masked, a transfer offered.
    assert response.redirect_chain[-1][0] == (
        f"/console/aid/{project.pk}/?term={award.term_id}#award-{award.pk}"
    )
    html = response.content.decode()
    assert "王小丽: the guardian&#x27;s account is recorded." in html
    row = html[html.index(f'id="award-{award.pk}"') :]
    assert f'data-account="{MASKED}"' in row
    assert f'data-transfer-to="{MASKED}"' in row
    shown = client.get(page(award), **EN).content.decode()
    assert f'data-masked="{MASKED}"' in shown
    for whole in (NUMBER, NUMBER.replace(" ", "")):
        assert whole not in html and whole not in shown


def test_a_changed_account_replaces_the_one_on_record(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽", account=True)

    response = signed_in(world.users["district_admin"]).post(
        page(award), GOOD | {"account_number": "6217-0000-1111-2222"}
    )

    assert response.status_code == 302
    account = GuardianAccount.objects.get(student=award.student_id)
    assert (account.holder_name, account.number_masked) == ("王大山", "**** **** **** 2222")
    assert GuardianAccount.objects.count() == 1


def test_every_bad_field_is_shown_at_once_and_nothing_is_written(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")

    response = signed_in(world.users["school_admin"]).post(
        page(award), {"holder_name": "   ", "bank_name": "", "account_number": "1234-56"}, **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    problems = html[html.index('id="problems"') : html.index("</ul>", html.index('id="problems"'))]
    assert problems.count("<li>") == 3
    assert "Account holder: This field is required." in problems
    assert "Bank: This field is required." in problems
    # The service's own check of the field the form let through, in the same answer.
    assert "Account number: An account number has 12 to 30 digits." in problems
    assert not GuardianAccount.objects.exists()
    # What was typed as the number is not sent back.
    assert "1234-56" not in html


def test_a_refused_change_keeps_the_account_on_record_and_shows_it_masked(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽", account=True)
    before = GuardianAccount.objects.values().get()

    response = signed_in(world.users["school_admin"]).post(
        page(award), GOOD | {"bank_name": "", "account_number": "12345678901234567890123456789012"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="bank_name"' in html and html.count('class="error"') >= 2
    assert 'data-masked="**** **** **** **** 4321"' in html
    assert "12345678901234567890123456789012" not in html
    assert GuardianAccount.objects.values().get() == before


# --- the access log ----------------------------------------------------------------------


def test_reading_the_account_is_access_logged_as_the_api_does(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽", account=True)
    admin = world.users["school_admin"]

    signed_in(admin).get(page(award))

    entry = AccessLogEntry.objects.get(user=admin, object_kind="guardianaccount")
    account = GuardianAccount.objects.get()
    assert (entry.action, entry.object_id, entry.path) == ("read", account.pk, page(award))
    assert list(entry.students.values_list("student_id", flat=True)) == [award.student_id]


def test_no_account_on_record_reads_nothing_and_logs_nothing(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")

    html = signed_in(world.users["school_admin"]).get(page(award), **EN).content.decode()

    assert 'id="no-account"' in html
    assert not AccessLogEntry.objects.filter(object_kind="guardianaccount").exists()


def test_the_project_page_logs_the_accounts_it_shows(world, project):
    with_account = awarded(world, project, world.schools["A"], "王小丽", account=True)
    awarded(world, project, world.schools["A"], "刘小东")
    admin = world.users["school_admin"]

    signed_in(admin).get(project_page(world, project))

    entry = AccessLogEntry.objects.get(user=admin, object_kind="guardianaccount")
    assert entry.action == "list"
    assert list(entry.students.values_list("student_id", flat=True)) == [with_account.student_id]


# --- paying by transfer once an account is on record ----------------------------------------


def _methods(html: str, award) -> list[str]:
    form = html[html.index(f'id="pay-{award.pk}-method"') :]
    form = form[: form.index("</select>")]
    return [part.split('"')[1] for part in form.split("<option value=")[1:]]


def test_without_an_account_the_pay_form_offers_cash_only(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")
    client = signed_in(world.users["school_admin"])

    html = client.get(project_page(world, project), **EN).content.decode()

    assert _methods(html, award) == ["cash"]
    row = html[html.index(f'id="award-{award.pk}"') :]
    assert "data-cash-only" in row and page(award) in row
    # A transfer posted anyway is refused by the payment service, with its reason.
    refused = client.post(
        f"/console/aid/awards/{award.pk}/pay/",
        {
            "instalment": 1,
            "amount": "100.00",
            "method": "bank_transfer",
            "paid_on": timezone.localdate().isoformat(),
            "bank_reference": "ABC-1",
        },
        **EN,
    )
    assert refused.status_code == 400
    assert "No guardian&#x27;s account is on record for this student" in refused.content.decode()
    assert not Disbursement.objects.exists()


def test_once_recorded_the_award_is_paid_by_transfer_to_it(world, project):
    award = awarded(world, project, world.schools["A"], "王小丽")
    client = signed_in(world.users["school_admin"])
    client.post(page(award), GOOD)

    html = client.get(project_page(world, project), **EN).content.decode()
    assert _methods(html, award) == ["bank_transfer", "cash"]
    assert '<option value="bank_transfer" selected>' in html
    paid = client.post(
        f"/console/aid/awards/{award.pk}/pay/",
        {
            "instalment": 1,
            "amount": "100.00",
            "method": "bank_transfer",
            "paid_on": timezone.localdate().isoformat(),
            "bank_reference": "ABC-2026-007",
        },
    )

    assert paid.status_code == 302
    disbursement = Disbursement.objects.get()
    assert (disbursement.method, disbursement.bank_reference, disbursement.amount_fen) == (
        "bank_transfer",
        "ABC-2026-007",
        10_000,
    )


# --- queries -----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_account_page_costs_the_same_queries_for_1_or_11_students_sharing_it(world, project):
    a = world.schools["A"]
    award = awarded(world, project, a, "王小丽")
    client = signed_in(world.users["school_admin"])
    client.post(page(award), GOOD)
    sibling = pupil(a, world.terms["one"], "王小强")
    GuardianAccountFactory(student=sibling, number=NUMBER.replace(" ", ""))
    few = _queries(client, page(award))
    assert 'data-sharing="1"' in client.get(page(award)).content.decode()
    for n in range(10):
        GuardianAccountFactory(
            student=pupil(a, world.terms["one"], f"王{n}"), number=NUMBER.replace(" ", "")
        )

    assert _queries(client, page(award)) == few
    assert 'data-sharing="11"' in client.get(page(award)).content.decode()


def test_the_project_page_costs_the_same_queries_for_1_or_11_accounts_shown(world, project):
    a = world.schools["A"]
    awarded(world, project, a, "甲", account=True)
    awarded(world, project, a, "乙")
    client = signed_in(world.users["school_admin"])
    url = project_page(world, project)
    few = _queries(client, url)
    for n in range(10):
        awarded(world, project, a, f"丙{n}", account=True)
        awarded(world, project, a, f"丁{n}")

    assert _queries(client, url) == few
