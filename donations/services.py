"""Money moves only here: every change of a balance is a ledger row in the same transaction."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.models import (
    AidProject,
    Contribution,
    ContributionStatus,
    Donor,
    FundAccount,
    LedgerEntry,
    LedgerKind,
)
from donations.signals import contribution_received
from mentoring.errors import Conflict, DomainError
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
) -> LedgerEntry:
    """Move money in (positive) or out (negative) of an account, with its ledger row.

    The account row is locked for the transaction, so concurrent posts are
    applied one after the other; one that would take the balance below zero
    is refused with 409 and writes nothing.
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
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") + amount_fen)
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=balance,
        memo=memo,
        reverses=reverses,
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
    )


def yuan(fen: int) -> str:
    """Fen as yuan with two places, e.g. 31250 → '312.50' (no float anywhere)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


@transaction.atomic
def contribution_record(
    *,
    by: User,
    donor_id: int,
    project_id: int,
    amount_fen: int,
    received_on,
    memo: str = "",
) -> Contribution:
    """Record money received; it is posted to the project's account in the background."""
    from mentoring.selectors.accounts import schools_administered_by

    districts = schools_administered_by(by).values("district")
    project = AidProject.objects.filter(pk=project_id, district__in=districts).first()
    if project is None:
        raise DomainError(_("Unknown project."), field="project")
    donor = Donor.objects.filter(pk=donor_id, district=project.district).first()
    if donor is None:
        raise DomainError(_("Unknown donor in this project's district."), field="donor")
    if not isinstance(amount_fen, int) or amount_fen <= 0 or amount_fen > MAX_AMOUNT_FEN:
        raise DomainError(_("The amount must be more than zero."), field="amount")
    if received_on > timezone.localdate():
        raise DomainError(_("Money cannot be received in the future."), field="received_on")
    contribution = Contribution.objects.create(
        donor=donor,
        project=project,
        amount_fen=amount_fen,
        received_on=received_on,
        memo=memo,
        recorded_by=by,
    )
    contribution_received.send(sender=Contribution, contribution_id=contribution.pk, by=by)
    return contribution


@transaction.atomic
def contribution_post(*, contribution_id: int) -> Contribution:
    """Post a contribution to its project's account, once: a second call changes nothing.

    The contribution row is locked, so two workers posting it at the same
    time queue, and the second finds it posted.
    """
    contribution = (
        Contribution.objects.select_for_update().select_related("project").get(pk=contribution_id)
    )
    if contribution.status == ContributionStatus.POSTED:
        return contribution
    entry = ledger_post(
        account_id=fund_account_of(contribution.project).pk,
        kind=LedgerKind.CONTRIBUTION,
        amount_fen=contribution.amount_fen,
        by=contribution.recorded_by,
        memo=_("Contribution of %(donor)s") % {"donor": contribution.donor.name},
    )
    contribution.status = ContributionStatus.POSTED
    contribution.ledger_entry = entry
    contribution.receipt_number = f"{contribution.project.code}-{contribution.pk:08d}"
    contribution.posted_at = timezone.now()
    contribution.save(update_fields=["status", "ledger_entry", "receipt_number", "posted_at"])
    return contribution
