"""Payments of awards: one planned instalment each, for its amount, once; and their reversal."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, ValidationErrors, checked
from core.money import yuan
from donations.guards import answers_award_guard
from donations.models import Award, AwardStatus, Disbursement, LedgerKind, PaymentMethod
from donations.services.awards import (
    award_locked_for_change,
    award_paid_fen,
    correction_reason,
    require_district_admin_of_award,
)
from donations.services.committee_reviews import committee_payment_refusal
from donations.services.ledger import (
    fund_account_of,
    ledger_entry_settle,
    ledger_entry_write,
    ledger_reverse,
)
from mentoring.models import GuardianAccount, User
from mentoring.selectors.accounts import schools_administered_by


def payment_methods_open(*, has_guardian_account: bool) -> list[str]:
    """The ways a student's award may be paid: cash against both signatures always, a
    transfer only into a guardian's account on record (全额打到家长账户)."""
    return [
        method
        for method in PaymentMethod.values
        if method != PaymentMethod.BANK_TRANSFER or has_guardian_account
    ]


def payment_date_problem(paid_on, award: Award | None) -> str | None:
    """Why a payment of `award` cannot be dated `paid_on`, or None.

    A payment is not dated in the future, nor before its award was made: the
    day the award was made is its `created_at` in the project's time zone,
    the day the term report counts "days from award to payment" from, so a
    payment on that same day is allowed and reads 0 days. The database
    refuses the same (migration 0022), whoever writes the payment.
    """
    if paid_on is None:
        return None
    if paid_on > timezone.localdate():
        return _("A payment cannot be dated in the future.")
    if award is not None and award.created_at is not None:
        made_on = timezone.localdate(award.created_at)
        if paid_on < made_on:
            return _("The payment date cannot be before the award was made on %(date)s.") % {
                "date": made_on.isoformat()
            }
    return None


def disbursement_pay_problems(
    errors: ValidationErrors,
    *,
    by: User,
    award_id: int | None,
    method: str | None,
    paid_on,
    instalment: int | None = 1,
    amount_fen: int | None = None,
    bank_reference: str | None = "",
    signed_by_student: bool | None = False,
    signed_by_guardian: bool | None = False,
    lock: bool = False,
) -> Award | None:
    """Add to `errors` everything wrong with this payment's inputs; answers the award.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). An
    award cancelled or paid in full is refused outright (409). `lock` locks
    the award's row, as `disbursement_pay` does inside its transaction. An award
    of a project that uses committees, not yet approved by the district, is
    refused outright (409, `donations.services.committee_reviews`).
    """

    award = None
    if award_id is not None:
        awards = Award.objects.filter(pk=award_id, student__school__in=schools_administered_by(by))
        award = (awards.select_for_update() if lock else awards).first()
        if award is None:
            errors.add("award", _("Unknown award."))
        elif award.status == AwardStatus.CANCELLED:
            raise Conflict(_("This award was cancelled."), field="award")
        elif award.status == AwardStatus.PAID:
            raise Conflict(_("This award has already been paid in full."), field="award")
        elif (held := committee_payment_refusal(award)) is not None:
            raise Conflict(held, field="award")
    if award is not None and instalment is not None:
        planned = {row.number: row.amount_fen for row in award.plan.all()}
        if instalment not in planned:
            errors.add(
                "instalment",
                _("This award is paid in %(count)s instalment(s), numbered from 1.")
                % {"count": len(planned)},
            )
        elif amount_fen is not None and amount_fen != planned[instalment]:
            errors.add(
                "amount",
                _("Instalment %(number)s is %(amount)s, to be paid in full.")
                % {"number": instalment, "amount": yuan(planned[instalment])},
            )
    if method is not None and method not in PaymentMethod.values:
        errors.add("method", _("Unknown payment method."))
    elif method == PaymentMethod.BANK_TRANSFER:
        if bank_reference is not None and not bank_reference.strip():
            errors.add("bank_reference", _("Give the bank's reference of the transfer."))
        # Money goes in full to the guardian's account (全额打到家长账户): a transfer
        # to an account nobody recorded could not be checked against the family.
        if award is not None and method not in payment_methods_open(
            has_guardian_account=GuardianAccount.objects.filter(
                student_id=award.student_id
            ).exists()
        ):
            errors.add(
                "method",
                _(
                    "No guardian's account is on record for this student; record it "
                    "before paying by transfer."
                ),
            )
    elif (
        method == PaymentMethod.CASH
        and None not in (signed_by_student, signed_by_guardian)
        and not (signed_by_student and signed_by_guardian)
    ):
        errors.add(
            "signed_by_guardian",
            _("Cash is paid only against the signatures of student and guardian."),
        )
    if (problem := payment_date_problem(paid_on, award)) is not None:
        errors.add("paid_on", problem)
    return award


@answers_award_guard(field="award")
@transaction.atomic
def disbursement_pay(
    *,
    by: User,
    award_id: int,
    method: str,
    paid_on,
    instalment: int = 1,
    amount_fen: int | None = None,
    bank_reference: str = "",
    signed_by_student: bool = False,
    signed_by_guardian: bool = False,
) -> Disbursement:
    """Pay one planned instalment of an award, for exactly its amount, once.

    The award row is locked, so concurrent payments of one award queue: the
    first pays, the others find it paid and answer 409. `amount_fen`, when
    given, must be the instalment's planned amount. An award whose plan is
    paid in full answers 409 whatever the instalment asked; the database
    refuses, besides, any payment past the award's amount (migration 0012).
    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    award = checked(
        disbursement_pay_problems,
        by=by,
        award_id=award_id,
        method=method,
        paid_on=paid_on,
        instalment=instalment,
        amount_fen=amount_fen,
        bank_reference=bank_reference,
        signed_by_student=signed_by_student,
        signed_by_guardian=signed_by_guardian,
        lock=True,
    )
    planned = {row.number: row.amount_fen for row in award.plan.all()}
    if award.disbursements.filter(instalment=instalment, reversal__isnull=True).exists():
        raise Conflict(_("This award instalment has already been paid."), field="instalment")
    amount = planned[instalment]
    # The payment's ledger row, then the payment, and only then the balance: the
    # database refuses a balance below what unpaid awards commit (migration
    # 0013), and the commitment shrinks by this payment once it is written. A
    # payment from an account that holds exactly its awards is thus allowed.
    entry = ledger_entry_write(
        account_id=fund_account_of(award.project).pk,
        kind=LedgerKind.DISBURSEMENT,
        amount_fen=-amount,
        by=by,
        memo=_("Award #%(award)s, instalment %(instalment)s")
        % {"award": award.pk, "instalment": instalment},
    )
    disbursement = Disbursement.objects.create(
        award=award,
        instalment=instalment,
        amount_fen=amount,
        method=method,
        paid_on=paid_on,
        bank_reference=bank_reference.strip(),
        signed_by_student=signed_by_student,
        signed_by_guardian=signed_by_guardian,
        ledger_entry=entry,
        paid_by=by,
    )
    ledger_entry_settle(entry)
    if award_paid_fen(award) == award.amount_fen:
        award.status = AwardStatus.PAID
        award._history_user = by
        award.save(update_fields=["status"])
    return disbursement


@answers_award_guard(field="disbursement")
@transaction.atomic
def disbursement_reverse(*, by: User, disbursement_id: int, reason: str) -> Disbursement:
    """Reverse a payment made in error: a reversing ledger entry names the payment's entry.

    District administrators only. Who and why are on the reversing entry (and
    in the payment's history); the payment stays on record, the award returns
    to unpaid and the instalment can be paid again. A payment is reversed once.
    """

    found = (
        Disbursement.objects.filter(
            pk=disbursement_id, award__student__school__in=schools_administered_by(by)
        )
        .values_list("award_id", flat=True)
        .first()
    )
    if found is None:
        raise DomainError(_("Unknown payment."), field="disbursement")
    # The award first, as a payment takes it: a payment and a reversal of one
    # award queue instead of crossing.
    award = award_locked_for_change(by, found)
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement_id)
    require_district_admin_of_award(
        by, award, _("Only the district's administrators may reverse a payment.")
    )
    if disbursement.reversal_id is not None:
        raise Conflict(_("This payment has already been reversed."), field="disbursement")
    reason = correction_reason(reason)
    reversal = ledger_reverse(
        entry_id=disbursement.ledger_entry_id,
        by=by,
        memo=(
            _("Payment of award #%(award)s, instalment %(instalment)s, reversed: %(reason)s")
            % {"award": award.pk, "instalment": disbursement.instalment, "reason": reason}
        )[:200],
    )
    disbursement.reversal = reversal
    disbursement._history_user = by
    disbursement._change_reason = reason
    disbursement.save(update_fields=["reversal"])
    if award.status == AwardStatus.PAID:
        award.status = AwardStatus.AWARDED
        award._history_user = by
        award._change_reason = reason
        award.save(update_fields=["status"])
    return disbursement
