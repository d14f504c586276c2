"""The fund accounts' ledger: append-only, balances never below zero, also under concurrency."""

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections
from django.db.models import Sum

from core.errors import Conflict, DomainError
from core.money import yuan
from donations.models import AidProject, FundAccount, FundSource, LedgerEntry, LedgerKind
from donations.services.ledger import fund_account_of, ledger_post, ledger_reverse
from workers.factories import DistrictFactory


def account(balance_fen: int = 0) -> FundAccount:
    project = AidProject.objects.create(
        district=DistrictFactory(),
        code="P1",
        name="寄宿生生活补助",
        source=FundSource.PROVINCIAL,
        purpose="boarding",
    )
    funds = fund_account_of(project)
    if balance_fen:
        ledger_post(
            account_id=funds.pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=balance_fen,
            by=None,
            memo="省级下达",
        )
    return funds


def ledger_sum(funds: FundAccount) -> int:
    return LedgerEntry.objects.filter(account=funds).aggregate(s=Sum("amount_fen"))["s"] or 0


@pytest.mark.django_db
def test_money_in_and_out_moves_the_balance_with_a_ledger_row_each():
    funds = account(2_800_000)
    ledger_post(account_id=funds.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-31_250, by=None)
    funds.refresh_from_db()
    assert funds.balance_fen == 2_768_750 == ledger_sum(funds)
    assert list(LedgerEntry.objects.values_list("balance_after_fen", flat=True)) == [
        2_800_000,
        2_768_750,
    ]
    assert yuan(funds.balance_fen) == "27687.50"


@pytest.mark.django_db
def test_spending_more_than_the_balance_is_refused_and_writes_nothing():
    funds = account(10_000)
    with pytest.raises(Conflict) as refused:
        ledger_post(account_id=funds.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-10_001, by=None)
    assert refused.value.field == "amount"
    funds.refresh_from_db()
    assert funds.balance_fen == 10_000
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "amount", "field"),
    [
        (LedgerKind.APPROPRIATION, 0, "amount"),
        (LedgerKind.APPROPRIATION, -5, "amount"),
        (LedgerKind.CONTRIBUTION, 12.5, "amount"),
        (LedgerKind.DISBURSEMENT, 5, "amount"),
        (LedgerKind.REVERSAL, 5, "reverses"),
        (LedgerKind.APPROPRIATION, 10**13, "amount"),
    ],
)
def test_bad_movements_are_refused_naming_the_field(kind, amount, field):
    funds = account(1_000)
    with pytest.raises(DomainError) as refused:
        ledger_post(account_id=funds.pk, kind=kind, amount_fen=amount, by=None)
    assert refused.value.field == field
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_mistake_is_reversed_by_a_new_entry_once():
    funds = account(50_000)
    wrong = ledger_post(
        account_id=funds.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-20_000, by=None
    )
    reversal = ledger_reverse(entry_id=wrong.pk, by=None, memo="金额录错")
    funds.refresh_from_db()
    assert (reversal.amount_fen, funds.balance_fen) == (20_000, 50_000)
    assert ledger_sum(funds) == 50_000
    with pytest.raises(Conflict):
        ledger_reverse(entry_id=wrong.pk, by=None, memo="again")
    with pytest.raises(DomainError):
        ledger_reverse(entry_id=reversal.pk, by=None, memo="undo the undo")
    with pytest.raises(DomainError):
        ledger_reverse(entry_id=wrong.pk, by=None, memo=" ")
    assert LedgerEntry.objects.count() == 3


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance_even_without_the_service():
    funds = account(100)
    with pytest.raises(IntegrityError):
        FundAccount.objects.filter(pk=funds.pk).update(balance_fen=-1)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE donations_ledgerentry SET amount_fen = 1 WHERE id = %s",
        "DELETE FROM donations_ledgerentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_change_or_delete_a_ledger_row(sql):
    funds = account(5_000)
    entry = LedgerEntry.objects.get(account=funds)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_take_the_balance_below_zero():
    funds = account(100_000)  # 1,000 yuan; 20 spends of 70 yuan would need 1,400
    barrier = threading.Barrier(20)
    outcomes = []

    def spend():
        try:
            barrier.wait()
            ledger_post(
                account_id=funds.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-7_000, by=None
            )
            outcomes.append("paid")
        except Conflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    funds.refresh_from_db()
    assert outcomes.count("paid") == 14
    assert outcomes.count("refused") == 6
    assert funds.balance_fen == 100_000 - 14 * 7_000 == ledger_sum(funds)
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 14
