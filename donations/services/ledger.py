"""The ledger: every change of a balance is a ledger row in the same transaction.

Money moves only through here; the other services call it inside their own transaction.
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError
from core.money import yuan
from donations.models import AidProject, FundAccount, LedgerEntry, LedgerKind
from mentoring.models import User

# The largest single movement accepted: 100 million yuan, in fen.
MAX_AMOUNT_FEN = 100_000_000 * 100


def fund_account_of(project: AidProject) -> FundAccount:
    account, _created = FundAccount.objects.get_or_create(project=project)
    return account


@transaction.atomic
def ledger_post(
    *,
    account_id: int,
    kind: str,
    amount_fen: int,
    by: User | None,
    memo: str = "",
    reverses: LedgerEntry | None = None,
    source: str = "",
    funding=None,
) -> LedgerEntry:
    """Move money in (positive) or out (negative) of an account, with its ledger row.

    The account row is locked for the transaction, so concurrent posts are
    applied one after the other; one that would take the balance below zero
    is refused with 409 and writes nothing.
    """
    entry = ledger_entry_write(
        account_id=account_id,
        kind=kind,
        amount_fen=amount_fen,
        by=by,
        memo=memo,
        reverses=reverses,
        source=source,
        funding=funding,
    )
    ledger_entry_settle(entry)
    return entry


def ledger_entry_settle(entry: LedgerEntry) -> None:
    """Move the account's balance by the entry written under its lock (`ledger_entry_write`)."""
    FundAccount.objects.filter(pk=entry.account_id).update(
        balance_fen=F("balance_fen") + entry.amount_fen
    )


def ledger_entry_write(
    *,
    account_id: int,
    kind: str,
    amount_fen: int,
    by: User | None,
    memo: str = "",
    reverses: LedgerEntry | None = None,
    source: str = "",
    funding=None,
) -> LedgerEntry:
    """The ledger row of a movement, written under the account's lock; the balance not yet moved.

    The caller moves it with `ledger_entry_settle` in the same transaction.
    """
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen == 0:
        raise DomainError(_("The amount must be a whole number of fen, not zero."), field="amount")
    if abs(amount_fen) > MAX_AMOUNT_FEN:
        raise DomainError(
            _("The amount is larger than any single movement allowed."), field="amount"
        )
    if kind in (LedgerKind.APPROPRIATION, LedgerKind.CONTRIBUTION) and amount_fen < 0:
        raise DomainError(_("Money coming in must be a positive amount."), field="amount")
    if kind == LedgerKind.DISBURSEMENT and amount_fen > 0:
        raise DomainError(
            _("A disbursement takes money out: give a negative amount."), field="amount"
        )
    if kind == LedgerKind.REVERSAL and reverses is None:
        raise DomainError(_("A reversal names the entry it reverses."), field="reverses")
    account = FundAccount.objects.select_for_update().get(pk=account_id)
    balance = account.balance_fen + amount_fen
    if balance < 0:
        raise Conflict(
            _("The fund account holds %(balance)s; this would leave it below zero.")
            % {"balance": yuan(account.balance_fen)},
            field="amount",
        )
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=balance,
        memo=memo,
        reverses=reverses,
        source=source,
        funding=funding,
        created_by=by,
    )


@transaction.atomic
def ledger_reverse(*, entry_id: int, by: User | None, memo: str) -> LedgerEntry:
    """Undo an entry by a new one of the opposite amount; the entry itself stays."""
    entry = LedgerEntry.objects.get(pk=entry_id)
    # Lock the account first, so two reversals of one entry queue and the
    # second finds the first.
    FundAccount.objects.select_for_update().get(pk=entry.account_id)
    if entry.kind == LedgerKind.REVERSAL:
        raise DomainError(_("A reversal cannot itself be reversed."), field="entry")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This entry has already been reversed."), field="entry")
    if not memo.strip():
        raise DomainError(_("Say why the entry is reversed."), field="memo")
    return ledger_post(
        account_id=entry.account_id,
        kind=LedgerKind.REVERSAL,
        amount_fen=-entry.amount_fen,
        by=by,
        memo=memo,
        reverses=entry,
        # A reversed appropriation no longer counts as received for its funding.
        source=entry.source,
        funding=entry.funding,
    )
