"""The database keeps a project's unpaid awards within what its fund account holds.

The services refuse such an award (award_create, allocate) or such a
withdrawal (appropriation_reverse) and say why; migration 0013 makes the
database refuse it too, whoever writes it: raw ORM writes here, which skip
the services, are refused on SQLite and on PostgreSQL alike. The legitimate
flows still pass, in particular paying an award from an account that holds
exactly what its awards commit: the payment lowers the balance and the
commitment together.
"""

import datetime
import importlib
import threading
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F

from core.errors import Conflict
from donations.guards import REFUSED_MESSAGE, refused_by_award_guard
from donations.models import (
    AidProject,
    Award,
    AwardStatus,
    Disbursement,
    FundAccount,
    FundSource,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
)
from donations.services.allocation import allocate
from donations.services.awards import award_cancel, award_create, project_committed_fen
from donations.services.disbursements import disbursement_pay, disbursement_reverse
from donations.services.ledger import fund_account_of, ledger_post
from donations.services.projects import appropriation_reverse, project_save
from mentoring.models import AssessmentStatus
from tests.award_days import made_at_term_start
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    GuardianAccountFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
)

PAID_ON = datetime.date(2026, 11, 20)

# Raw writes are refused on both databases: the triggers are tested where they run.
BOTH_DATABASES = [
    pytest.param("sqlite-or-default", id="default"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def scene(district, school_a, district_admin):
    project = AidProject.objects.create(
        district=district,
        code="LIVING",
        name="生活补助",
        source=FundSource.PROVINCIAL,
        purpose="living",
    )
    return {
        "project": project,
        "term": TermFactory(district=district),
        "school": school_a,
        "admin": district_admin,
    }


def appropriate(scene, amount_fen) -> LedgerEntry:
    return ledger_post(
        account_id=fund_account_of(scene["project"]).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=amount_fen,
        by=None,
    )


def grant(scene, amount_fen, instalments=None) -> Award:
    award = award_create(
        by=scene["admin"],
        project_id=scene["project"].pk,
        student_id=StudentFactory(school=scene["school"]).pk,
        term_id=scene["term"].pk,
        amount_fen=amount_fen,
        instalments=instalments,
    )
    made_at_term_start(award)
    return award


def raw_award(scene, amount_fen, status=AwardStatus.AWARDED) -> Award:
    """An award written straight to the table, past award_create's check."""
    student = StudentFactory(school=scene["school"])
    return Award.objects.create(
        project=scene["project"],
        student=student,
        term=scene["term"],
        amount_fen=amount_fen,
        status=status,
        purpose=scene["project"].purpose,
        term_code=scene["term"].code,
        student_id_hash=student.id_hash,
    )


def pay(scene, award, instalment=1) -> Disbursement:
    GuardianAccountFactory(student=award.student)
    return disbursement_pay(
        by=scene["admin"],
        award_id=award.pk,
        method=PaymentMethod.BANK_TRANSFER,
        paid_on=PAID_ON,
        instalment=instalment,
        bank_reference=f"ICBC-{award.pk}-{instalment}",
    )


def balance(scene) -> int:
    return FundAccount.objects.get(project=scene["project"]).balance_fen


def refused(write) -> IntegrityError:
    """Run `write` in a savepoint; it must be refused by the guard of migration 0013."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        write()
    assert refused_by_award_guard(caught.value), caught.value
    return caught.value


# -- raw writes the database refuses ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_an_award_beyond_what_the_account_still_holds_is_refused(scene, database):
    appropriate(scene, 100_000)
    grant(scene, 60_000)
    refused(lambda: raw_award(scene, 40_001))
    assert Award.objects.count() == 1
    raw_award(scene, 40_000)
    assert project_committed_fen(scene["project"]) == balance(scene) == 100_000


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_an_award_of_a_project_without_an_account_is_refused(scene, database):
    refused(lambda: raw_award(scene, 1))
    assert not Award.objects.exists()
    # A paid or cancelled award commits nothing, so the rule does not apply to it.
    raw_award(scene, 5_000, status=AwardStatus.CANCELLED)
    assert Award.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_raising_an_award_beyond_the_account_is_refused(scene, database):
    appropriate(scene, 100_000)
    award = grant(scene, 60_000)
    refused(lambda: Award.objects.filter(pk=award.pk).update(amount_fen=100_001))
    Award.objects.filter(pk=award.pk).update(amount_fen=F("amount_fen") + 40_000)
    award.refresh_from_db()
    assert award.amount_fen == 100_000


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_un_cancelling_an_award_whose_money_went_to_another_is_refused(scene, database):
    appropriate(scene, 100_000)
    first = grant(scene, 60_000)
    award_cancel(by=scene["admin"], award_id=first.pk, reason="录错了学生")
    # The cancelled award's money is promised to another.
    grant(scene, 60_000)
    refused(lambda: Award.objects.filter(pk=first.pk).update(status=AwardStatus.AWARDED))
    first.refresh_from_db()
    assert first.status == AwardStatus.CANCELLED


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_undoing_a_payment_without_returning_its_money_is_refused(scene, database):
    appropriate(scene, 100_000)
    paid = grant(scene, 50_000)
    payment = pay(scene, paid)
    grant(scene, 50_000)
    # Back to unpaid while its payment stands: it commits nothing more, allowed.
    Award.objects.filter(pk=paid.pk).update(status=AwardStatus.AWARDED)
    # Its payment no longer standing, or gone, with the money still out: refused.
    entry = LedgerEntry.objects.get(kind=LedgerKind.APPROPRIATION)
    refused(lambda: Disbursement.objects.filter(pk=payment.pk).update(reversal=entry))
    refused(lambda: Disbursement.objects.filter(pk=payment.pk).update(amount_fen=1))
    refused(lambda: Disbursement.objects.filter(pk=payment.pk).delete())
    payment.refresh_from_db()
    assert (payment.reversal_id, payment.amount_fen) == (None, 50_000)


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_lowering_the_balance_below_the_unpaid_awards_is_refused(scene, database):
    appropriate(scene, 100_000)
    grant(scene, 70_000)
    account = FundAccount.objects.filter(project=scene["project"])
    refused(lambda: account.update(balance_fen=69_999))
    account.update(balance_fen=F("balance_fen") - 30_000)
    assert balance(scene) == 70_000


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_ledger_row_taking_promised_money_out_is_refused(scene, database):
    entry = appropriate(scene, 100_000)
    grant(scene, 70_000)
    account = fund_account_of(scene["project"])

    def take_back(amount_fen):
        return LedgerEntry.objects.create(
            account=account,
            kind=LedgerKind.REVERSAL,
            amount_fen=-amount_fen,
            balance_after_fen=100_000 - amount_fen,
            reverses=entry,
        )

    refused(lambda: take_back(30_001))
    # Through the service, which moves the balance too: refused the same way.
    refused(
        lambda: ledger_post(
            account_id=account.pk,
            kind=LedgerKind.REVERSAL,
            amount_fen=-30_001,
            by=None,
            reverses=entry,
        )
    )
    assert not LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).exists()
    assert balance(scene) == 100_000
    take_back(30_000)
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_raw_awards_at_once_that_fit_only_one_at_a_time_are_not_both_written(scene):
    """The trigger locks the account, so the second writer waits and sees the first."""
    appropriate(scene, 100_000)
    students = [StudentFactory(school=scene["school"]) for _ in range(6)]
    barrier = threading.Barrier(len(students))
    outcomes = []

    def attempt(student):
        try:
            barrier.wait()
            with transaction.atomic():
                Award.objects.create(
                    project=scene["project"],
                    student=student,
                    term=scene["term"],
                    amount_fen=60_000,
                    purpose=scene["project"].purpose,
                    term_code=scene["term"].code,
                    student_id_hash=student.id_hash,
                )
            outcomes.append("written")
        except IntegrityError as error:
            outcomes.append("refused" if refused_by_award_guard(error) else repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["written"]
    assert project_committed_fen(scene["project"]) == 60_000


# -- legitimate flows still pass ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_an_account_holding_exactly_its_awards_pays_them_in_instalments(scene, database):
    appropriate(scene, 50_000)
    award = grant(scene, 50_000, instalments=[20_000, 30_000])
    pay(scene, award, 1)
    assert (balance(scene), project_committed_fen(scene["project"])) == (30_000, 30_000)
    pay(scene, award, 2)
    award.refresh_from_db()
    assert (award.status, balance(scene)) == (AwardStatus.PAID, 0)
    assert project_committed_fen(scene["project"]) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_reversed_payment_returns_its_money_and_is_paid_again(scene, database):
    appropriate(scene, 40_000)
    award = grant(scene, 40_000)
    payment = pay(scene, award)
    disbursement_reverse(by=scene["admin"], disbursement_id=payment.pk, reason="付错了账户")
    award.refresh_from_db()
    assert (award.status, balance(scene)) == (AwardStatus.AWARDED, 40_000)
    pay(scene, award)
    assert balance(scene) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_cancelled_award_frees_its_money_for_a_reversal(scene, database):
    entry = appropriate(scene, 30_000)
    award = grant(scene, 30_000)
    with pytest.raises(Conflict):
        appropriation_reverse(by=scene["admin"], entry_id=entry.pk, memo="entered twice")
    award_cancel(by=scene["admin"], award_id=award.pk, reason="录错了学生")
    appropriation_reverse(by=scene["admin"], entry_id=entry.pk, memo="entered twice")
    assert balance(scene) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_an_allocation_spends_the_account_to_the_last_fen_and_every_award_is_paid(
    district, school_a, district_admin, database
):
    term = TermFactory(district=district)
    project = project_save(
        by=district_admin,
        district=district,
        fields={
            "code": "LIVING",
            "name": "Living subsidy",
            "source": FundSource.PROVINCIAL,
            "purpose": "living",
            "tiers": ["hardship"],
        },
        standards=[{"tier": "hardship", "level": "", "boarding": "any", "yearly_fen": 40_000}],
        funding=[],
        quotas=[],
    )
    scene = {"project": project, "term": term, "school": school_a, "admin": district_admin}
    appropriate(scene, 60_000)
    for need in (90, 80, 70, 60):
        student = StudentFactory(school=school_a)
        StudentRecordFactory(student=student, term=term)
        AssessmentFactory(
            student=student,
            term=term,
            status=AssessmentStatus.APPROVED,
            tier="hardship",
            need_score=need,
        )
    allocation = allocate(by=district_admin, project=project, term=term)
    assert (allocation.awarded, allocation.amount_fen) == (3, 60_000)
    awards = list(Award.objects.filter(project=project))
    made_at_term_start(*awards)
    for award in awards:
        pay(scene, award)
    assert balance(scene) == 0
    assert set(Award.objects.values_list("status", flat=True)) == {AwardStatus.PAID}


# -- a refusal that reaches the API ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_refusal_by_the_database_answers_409_and_writes_nothing(scene, database, monkeypatch):
    """Were award_create's own check wrong, the database refuses and the client gets a 409."""
    appropriate(scene, 10_000)
    monkeypatch.setattr("donations.services.awards.project_committed_fen", lambda project: -(10**9))
    response = client_for(scene["admin"]).post(
        "/api/v1/awards/",
        {
            "project": scene["project"].pk,
            "student": StudentFactory(school=scene["school"]).pk,
            "term": scene["term"].pk,
            "amount": "100.01",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409, response.content
    assert response.json() == {"amount": [str(REFUSED_MESSAGE)]}
    assert not Award.objects.exists()


# -- the migration ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_the_migration_stops_on_awards_already_beyond_their_account(scene, database):
    """Like adding a CHECK constraint: data that breaks the rule is named, not guarded over."""
    migration = importlib.import_module("donations.migrations.0013_awards_within_account")
    editor = SimpleNamespace(connection=connection)
    appropriate(scene, 10_000)
    grant(scene, 10_000)
    migration.refuse_existing_over_commitment(editor)
    # Data from before the guard: the balance moved without its trigger (undone with the test).
    trigger = f"{migration.GUARD}_account_updated"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign key check of the table.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE donations_fundaccount DISABLE TRIGGER {trigger}")
        else:
            cursor.execute(f"DROP TRIGGER {trigger}")
        cursor.execute("UPDATE donations_fundaccount SET balance_fen = 9999")
    with pytest.raises(RuntimeError) as stopped:
        migration.refuse_existing_over_commitment(editor)
    assert "(LIVING) commits 10000 fen, holds 9999 fen" in str(stopped.value)
