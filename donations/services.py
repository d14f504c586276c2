"""Money moves only here: every change of a balance is a ledger row in the same transaction."""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.guards import answers_award_guard, refused_by_award_guard
from donations.models import (
    MAX_INSTALMENTS,
    AidProject,
    AidRefusal,
    Award,
    AwardInstalment,
    AwardStatus,
    Contribution,
    ContributionStatus,
    Disbursement,
    Donor,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    ItemKind,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
)
from donations.money_words import yuan
from donations.selectors import pledge_cancellable_by
from donations.signals import contribution_received
from mentoring.errors import Conflict, DomainError, NotPermitted, ValidationErrors
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
    entry = _ledger_entry(
        account_id=account_id,
        kind=kind,
        amount_fen=amount_fen,
        by=by,
        memo=memo,
        reverses=reverses,
        source=source,
        funding=funding,
    )
    _ledger_settle(entry)
    return entry


def _ledger_settle(entry: LedgerEntry) -> None:
    """Move the account's balance by the entry written under its lock (`_ledger_entry`)."""
    FundAccount.objects.filter(pk=entry.account_id).update(
        balance_fen=F("balance_fen") + entry.amount_fen
    )


def _ledger_entry(
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

    The caller moves it with `_ledger_settle` in the same transaction.
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


def contribution_record_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    project_id: int | None,
    amount_fen: int | None,
    received_on,
    pledge_id: int | None = None,
) -> tuple[Donor | None, AidProject | None, Pledge | None]:
    """Add to `errors` everything wrong with recording this contribution.

    Answers the donor, project and pledge found. Every field is checked, so
    one answer names them all; an input given as None is not checked (left
    out, or refused already by the caller's own validation).
    """
    from mentoring.selectors.accounts import schools_administered_by

    districts = schools_administered_by(by).values("district")
    project = None
    if project_id is not None:
        project = AidProject.objects.filter(pk=project_id, district__in=districts).first()
        if project is None:
            errors.add("project", _("Unknown project."))
    donor = None
    if donor_id is not None:
        donors = Donor.objects.filter(pk=donor_id)
        if project is not None:
            donor = donors.filter(district=project.district).first()
        else:
            donor = donors.filter(district__in=districts).first()
        if donor is None:
            errors.add("donor", _("Unknown donor in this project's district."))
    if amount_fen is not None and (
        not isinstance(amount_fen, int) or amount_fen <= 0 or amount_fen > MAX_AMOUNT_FEN
    ):
        errors.add("amount", _("The amount must be more than zero."))
    if received_on is not None and received_on > timezone.localdate():
        errors.add("received_on", _("Money cannot be received in the future."))
    pledge = None
    if pledge_id is not None:
        pledges = Pledge.objects.filter(pk=pledge_id, kind=PledgeKind.MONEY).exclude(
            status=PledgeStatus.CANCELLED
        )
        if donor is not None:
            pledge = pledges.filter(donor=donor).first()
        else:
            pledge = pledges.filter(donor__district__in=districts).first()
        if pledge is None or (project is not None and pledge.project_id not in (None, project.pk)):
            errors.add("pledge", _("No open money pledge of this donor for this project."))
    return donor, project, pledge


@transaction.atomic
def contribution_record(
    *,
    by: User,
    donor_id: int,
    project_id: int,
    amount_fen: int,
    received_on,
    memo: str = "",
    pledge_id: int | None = None,
) -> Contribution:
    """Record money received, perhaps honouring a pledge; it is posted in the background.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    errors = ValidationErrors()
    donor, project, pledge = contribution_record_problems(
        errors,
        by=by,
        donor_id=donor_id,
        project_id=project_id,
        amount_fen=amount_fen,
        received_on=received_on,
        pledge_id=pledge_id,
    )
    errors.raise_if_any()
    contribution = Contribution.objects.create(
        donor=donor,
        project=project,
        amount_fen=amount_fen,
        received_on=received_on,
        memo=memo,
        pledge=pledge,
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
    if contribution.pledge_id:
        pledge_refresh_status(pledge_id=contribution.pledge_id, today=timezone.localdate())
    return contribution


@transaction.atomic
def pledge_refresh_status(*, pledge_id: int, today) -> Pledge:
    """Pledged, partly received, fulfilled or overdue, from the money posted and the due dates.

    Money counts the contributions posted against the pledge (fen); items
    count the item donations recorded against it. Cancelled pledges stay cancelled.
    """
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    if pledge.status == PledgeStatus.CANCELLED:
        return pledge
    instalments = list(pledge.instalments.all())
    total = sum(i.amount for i in instalments)
    if pledge.kind == PledgeKind.MONEY:
        received = (
            pledge.contributions.filter(status=ContributionStatus.POSTED).aggregate(
                s=Sum("amount_fen")
            )["s"]
            or 0
        )
    else:
        received = pledge.item_donations.aggregate(s=Sum("quantity"))["s"] or 0
    due = sum(i.amount for i in instalments if i.due_on < today)
    if received >= total:
        status = PledgeStatus.FULFILLED
    elif received < due:
        status = PledgeStatus.OVERDUE
    elif received > 0:
        status = PledgeStatus.PARTLY_RECEIVED
    else:
        status = PledgeStatus.PLEDGED
    if status != pledge.status:
        pledge.status = status
        pledge.save(update_fields=["status"])
    return pledge


def pledges_mark_overdue(*, today) -> int:
    """The daily check: refresh every open pledge; returns how many are overdue."""
    open_pledges = Pledge.objects.exclude(
        status__in=[PledgeStatus.CANCELLED, PledgeStatus.FULFILLED]
    )
    for pledge_id in open_pledges.values_list("pk", flat=True):
        pledge_refresh_status(pledge_id=pledge_id, today=today)
    return Pledge.objects.filter(status=PledgeStatus.OVERDUE).count()


def _duplicate_aid(*, student, purpose: str, term_code: str) -> Award | None:
    return (
        Award.objects.filter(student_id_hash=student.id_hash, purpose=purpose, term_code=term_code)
        .exclude(status=AwardStatus.CANCELLED)
        .select_related("project", "student__school")
        .first()
    )


def _duplicate_message(other: Award) -> str:
    # The other award may be in another school: name the project and school,
    # never the student's personal data beyond what the administrator has.
    return _(
        "This student already has aid for this purpose this term: award #%(award)s of "
        "project %(project)s at %(school)s. One student is aided once per purpose."
    ) % {
        "award": other.pk,
        "project": other.project.code,
        "school": other.student.school.name,
    }


class _DuplicateAid(Exception):
    def __init__(self, *, project, student, term, other):
        super().__init__()
        self.project, self.student, self.term, self.other = project, student, term, other


def award_plan_problems(*, amount_fen: int | None, plan: list[int]) -> dict[str, list[str]]:
    """What is wrong with an instalment plan for an award of `amount_fen`: field → messages.

    A plan is the amount of each instalment in fen, in order (instalment 1
    first): between one and MAX_INSTALMENTS of them, each more than zero,
    summing exactly to the award. The sum is not checked when the amount is
    None (refused already).
    """
    if not 1 <= len(plan) <= MAX_INSTALMENTS:
        return {
            "instalments": [
                _("An award is paid in 1 to %(max)s instalments.") % {"max": MAX_INSTALMENTS}
            ]
        }
    errors = {}
    for index, amount in enumerate(plan):
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            errors[f"instalments[{index}]"] = [_("Each instalment must be more than zero.")]
    if not errors and amount_fen is not None and sum(plan) != amount_fen:
        errors["instalments"] = [
            _("The instalments add up to %(sum)s; the award is %(amount)s.")
            % {"sum": yuan(sum(plan)), "amount": yuan(amount_fen)}
        ]
    return errors


def award_plan_rows(award: Award, plan: list[int] | None = None) -> list[AwardInstalment]:
    """The award's plan as rows to create: one instalment of the whole amount by default."""
    plan = plan or [award.amount_fen]
    return [
        AwardInstalment(award=award, number=number, amount_fen=amount)
        for number, amount in enumerate(plan, start=1)
    ]


def award_paid_fen(award: Award) -> int:
    """What the award's standing payments (those not reversed) add up to."""
    return (
        award.disbursements.filter(reversal__isnull=True).aggregate(s=Sum("amount_fen"))["s"] or 0
    )


def project_committed_fen(project: AidProject) -> int:
    """Awarded but not yet paid: money the account holds for students already chosen.

    An award partly paid commits only what is left of it: its standing
    payments have left the account already.
    """
    unpaid = Award.objects.filter(project=project, status=AwardStatus.AWARDED)
    awarded = unpaid.aggregate(s=Sum("amount_fen"))["s"] or 0
    paid = (
        Disbursement.objects.filter(award__in=unpaid, reversal__isnull=True).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    return awarded - paid


@answers_award_guard(field="amount")
def award_create(
    *,
    by: User,
    project_id: int,
    student_id: int,
    term_id: int,
    amount_fen: int,
    reason: str = "",
    instalments: list[int] | None = None,
) -> Award:
    """Award a project's aid to one student for a term; duplicate aid is refused and named.

    `instalments` is the plan: the fen of each instalment, summing to the
    award (one instalment of the whole amount when not given). A refusal is
    recorded (AidRefusal) outside the failed award's transaction, so the term
    report can count it.
    """
    try:
        return _award_create(
            by=by,
            project_id=project_id,
            student_id=student_id,
            term_id=term_id,
            amount_fen=amount_fen,
            reason=reason,
            instalments=instalments,
        )
    except _DuplicateAid as refused:
        other = refused.other
        if other is not None:
            AidRefusal.objects.create(
                project=refused.project,
                term=refused.term,
                student=refused.student,
                other_award=other,
                via="manual",
                by=by,
            )
        raise DomainError(
            _duplicate_message(other) if other else _("Duplicate aid."),
            field="student",
            extra={"other_award": other.pk if other else None},
        ) from None


def _valid_amount(amount_fen) -> bool:
    return (
        isinstance(amount_fen, int)
        and not isinstance(amount_fen, bool)
        and 0 < amount_fen <= MAX_AMOUNT_FEN
    )


def award_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    project_id: int | None,
    student_id: int | None,
    term_id: int | None,
    amount_fen: int | None,
    instalments: list[int] | None = None,
):
    """Add to `errors` everything wrong with this award's inputs; answers (student, project, term).

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). A
    student, project or term outside the administrator's districts answers
    like one that does not exist. Duplicate aid and the account's balance are
    `award_create`'s, under the account's lock.
    """
    from mentoring.models import Student, Term
    from mentoring.selectors.accounts import schools_administered_by

    administered = schools_administered_by(by)
    districts = administered.values("district")
    student = project = term = None
    if student_id is not None:
        student = (
            Student.objects.filter(pk=student_id, school__in=administered)
            .select_related("school")
            .first()
        )
        if student is None:
            errors.add("student", _("Unknown student."))
    if project_id is not None:
        projects = AidProject.objects.filter(pk=project_id)
        if student is not None:
            project = projects.filter(district=student.school.district_id).first()
        else:
            project = projects.filter(district__in=districts).first()
        if project is None:
            errors.add("project", _("Unknown project in the student's district."))
    if term_id is not None:
        terms = Term.objects.filter(pk=term_id)
        if project is not None:
            term = terms.filter(district=project.district_id).first()
        elif student is not None:
            term = terms.filter(district=student.school.district_id).first()
        else:
            term = terms.filter(district__in=districts).first()
        if term is None:
            errors.add("term", _("Unknown term in the project's district."))
    if amount_fen is not None and not _valid_amount(amount_fen):
        errors.add("amount", _("The amount must be more than zero."))
        amount_fen = None
    if instalments is not None:
        for field, messages in award_plan_problems(
            amount_fen=amount_fen, plan=list(instalments)
        ).items():
            for message in messages:
                errors.add(field, message)
    return student, project, term


@transaction.atomic
def _award_create(
    *,
    by: User,
    project_id: int,
    student_id: int,
    term_id: int,
    amount_fen: int,
    reason: str,
    instalments: list[int] | None,
) -> Award:
    errors = ValidationErrors()
    plan = list(instalments) if instalments is not None else [amount_fen]
    student, project, term = award_create_problems(
        errors,
        by=by,
        project_id=project_id,
        student_id=student_id,
        term_id=term_id,
        amount_fen=amount_fen,
        instalments=instalments,
    )
    errors.raise_if_any()
    other = _duplicate_aid(student=student, purpose=project.purpose, term_code=term.code)
    if other is not None:
        raise _DuplicateAid(project=project, student=student, term=term, other=other)
    # An award promises money the account holds, as an allocation does: the
    # account is locked, so awards and allocations of one project queue.
    account = FundAccount.objects.select_for_update().get(pk=fund_account_of(project).pk)
    available = account.balance_fen - project_committed_fen(project)
    if amount_fen > available:
        raise Conflict(
            _(
                "The project's account has %(left)s not yet promised to other awards; "
                "this award needs %(amount)s."
            )
            % {"left": yuan(max(available, 0)), "amount": yuan(amount_fen)},
            field="amount",
        )
    try:
        with transaction.atomic():
            award = Award.objects.create(
                project=project,
                student=student,
                term=term,
                amount_fen=amount_fen,
                purpose=project.purpose,
                term_code=term.code,
                student_id_hash=student.id_hash,
                reason=reason,
                created_by=by,
            )
    except IntegrityError as error:
        if refused_by_award_guard(error):
            raise
        # Two awards at once: the constraint let the other one through.
        other = _duplicate_aid(student=student, purpose=project.purpose, term_code=term.code)
        raise _DuplicateAid(project=project, student=student, term=term, other=other) from None
    AwardInstalment.objects.bulk_create(award_plan_rows(award, plan))
    return award


def _award_for_change(by: User, award_id: int) -> Award:
    """The award locked for a change, if `by` administers its student's school."""
    from mentoring.selectors.accounts import schools_administered_by

    award = (
        Award.objects.select_for_update()
        .filter(pk=award_id, student__school__in=schools_administered_by(by))
        .first()
    )
    if award is None:
        raise DomainError(_("Unknown award."), field="award")
    return award


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
    the award's row, as `disbursement_pay` does inside its transaction.
    """
    from mentoring.selectors.accounts import schools_administered_by

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
    elif (
        method == PaymentMethod.CASH
        and None not in (signed_by_student, signed_by_guardian)
        and not (signed_by_student and signed_by_guardian)
    ):
        errors.add(
            "signed_by_guardian",
            _("Cash is paid only against the signatures of student and guardian."),
        )
    if paid_on is not None and paid_on > timezone.localdate():
        errors.add("paid_on", _("A payment cannot be dated in the future."))
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
    errors = ValidationErrors()
    award = disbursement_pay_problems(
        errors,
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
    errors.raise_if_any()
    planned = {row.number: row.amount_fen for row in award.plan.all()}
    if award.disbursements.filter(instalment=instalment, reversal__isnull=True).exists():
        raise Conflict(_("This award instalment has already been paid."), field="instalment")
    amount = planned[instalment]
    # The payment's ledger row, then the payment, and only then the balance: the
    # database refuses a balance below what unpaid awards commit (migration
    # 0013), and the commitment shrinks by this payment once it is written. A
    # payment from an account that holds exactly its awards is thus allowed.
    entry = _ledger_entry(
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
    _ledger_settle(entry)
    if award_paid_fen(award) == award.amount_fen:
        award.status = AwardStatus.PAID
        award._history_user = by
        award.save(update_fields=["status"])
    return disbursement


def _require_district_admin_of(by: User, award: Award, message) -> None:
    from mentoring.services.schools import administers_district

    if not administers_district(by, award.project.district):
        raise NotPermitted(message)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the correction."), field="reason")
    return reason


@answers_award_guard(field="disbursement")
@transaction.atomic
def disbursement_reverse(*, by: User, disbursement_id: int, reason: str) -> Disbursement:
    """Reverse a payment made in error: a reversing ledger entry names the payment's entry.

    District administrators only. Who and why are on the reversing entry (and
    in the payment's history); the payment stays on record, the award returns
    to unpaid and the instalment can be paid again. A payment is reversed once.
    """
    from mentoring.selectors.accounts import schools_administered_by

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
    award = _award_for_change(by, found)
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement_id)
    _require_district_admin_of(
        by, award, _("Only the district's administrators may reverse a payment.")
    )
    if disbursement.reversal_id is not None:
        raise Conflict(_("This payment has already been reversed."), field="disbursement")
    reason = _reason(reason)
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


@transaction.atomic
def award_cancel(*, by: User, award_id: int, reason: str) -> Award:
    """Cancel an award that is not paid: district administrators only, with who, when and why.

    An award with a standing payment is not cancelled: reverse its payments
    first. A cancelled award frees the student's place for its purpose and term.
    """
    award = _award_for_change(by, award_id)
    _require_district_admin_of(
        by, award, _("Only the district's administrators may cancel an award.")
    )
    if award.status == AwardStatus.CANCELLED:
        raise Conflict(_("This award was cancelled."), field="award")
    if award.disbursements.filter(reversal__isnull=True).exists():
        raise Conflict(
            _("This award has payments; reverse them before cancelling it."), field="award"
        )
    reason = _reason(reason)[:200]
    award.status = AwardStatus.CANCELLED
    award.cancelled_by = by
    award.cancelled_at = timezone.now()
    award.cancel_reason = reason
    award._history_user = by
    award._change_reason = reason
    award.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
    return award


def _item_kind_problems(
    errors: ValidationErrors, *, by: User, item_kind_id: int | None, lock: bool
) -> ItemKind | None:
    """The item kind, if in a district `by` administers; else `item_kind` is refused.

    `lock` locks its row (the stock), as the services do inside their transaction.
    """
    from mentoring.selectors.accounts import schools_administered_by

    if item_kind_id is None:
        return None
    districts = schools_administered_by(by).values("district")
    kinds = ItemKind.objects.filter(pk=item_kind_id, district__in=districts)
    kind = (kinds.select_for_update() if lock else kinds).first()
    if kind is None:
        errors.add("item_kind", _("Unknown item kind."))
    return kind


def item_donation_record_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    item_kind_id: int | None,
    quantity: int | None,
    value_fen: int | None,
    received_on,
    pledge_id: int | None = None,
    lock: bool = False,
) -> tuple[ItemKind | None, Donor | None, Pledge | None]:
    """Add to `errors` everything wrong with recording these items; answers kind, donor, pledge.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller).
    """
    from mentoring.selectors.accounts import schools_administered_by

    kind = _item_kind_problems(errors, by=by, item_kind_id=item_kind_id, lock=lock)
    donor = None
    if donor_id is not None:
        donors = Donor.objects.filter(pk=donor_id)
        if kind is not None:
            donor = donors.filter(district=kind.district_id).first()
        else:
            districts = schools_administered_by(by).values("district")
            donor = donors.filter(district__in=districts).first()
        if donor is None:
            errors.add("donor", _("Unknown donor in this district."))
    pledge = None
    if pledge_id is not None:
        pledges = Pledge.objects.filter(pk=pledge_id, kind=PledgeKind.ITEMS)
        if donor is not None:
            pledge = pledges.filter(donor=donor).first()
        else:
            districts = schools_administered_by(by).values("district")
            pledge = pledges.filter(donor__district__in=districts).first()
        if pledge is None:
            errors.add("pledge", _("Unknown item pledge of this donor."))
        elif pledge.status == PledgeStatus.CANCELLED:
            errors.add("pledge", _("This pledge was cancelled."))
    if quantity is not None and quantity <= 0:
        errors.add("quantity", _("The quantity must be more than zero."))
    if value_fen is not None and (value_fen < 0 or value_fen > MAX_AMOUNT_FEN):
        errors.add("value", _("The value cannot be negative."))
    if received_on is not None and received_on > timezone.localdate():
        errors.add("received_on", _("Items cannot be received in the future."))
    return kind, donor, pledge


@transaction.atomic
def item_donation_record(
    *,
    by: User,
    donor_id: int,
    item_kind_id: int,
    quantity: int,
    value_fen: int,
    received_on,
    pledge_id: int | None = None,
) -> ItemDonation:
    """Items received go into stock, in the same transaction; an item pledge follows them.

    Every field is checked before anything is written; all that is wrong is
    refused in one `FieldErrors`.
    """
    errors = ValidationErrors()
    kind, donor, pledge = item_donation_record_problems(
        errors,
        by=by,
        donor_id=donor_id,
        item_kind_id=item_kind_id,
        quantity=quantity,
        value_fen=value_fen,
        received_on=received_on,
        pledge_id=pledge_id,
        lock=True,
    )
    errors.raise_if_any()
    ItemKind.objects.filter(pk=kind.pk).update(stock=F("stock") + quantity)
    donation = ItemDonation.objects.create(
        donor=donor,
        item_kind=kind,
        quantity=quantity,
        value_fen=value_fen,
        received_on=received_on,
        pledge=pledge,
        recorded_by=by,
    )
    if pledge is not None:
        pledge_refresh_status(pledge_id=pledge.pk, today=timezone.localdate())
    return donation


def item_distribute_problems(
    errors: ValidationErrors,
    *,
    by: User,
    item_kind_id: int | None,
    student_id: int | None,
    quantity: int | None,
    given_on,
    signed_by_student: bool | None,
    signed_by_guardian: bool | None,
    lock: bool = False,
) -> tuple[ItemKind | None, object]:
    """Add to `errors` everything wrong with giving these items; answers the kind and student.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). The
    stock is checked only when the kind is known and the quantity valid.
    """
    from mentoring.models import Student
    from mentoring.selectors.accounts import schools_administered_by

    kind = _item_kind_problems(errors, by=by, item_kind_id=item_kind_id, lock=lock)
    student = None
    if student_id is not None:
        students = Student.objects.filter(pk=student_id, school__in=schools_administered_by(by))
        if kind is not None:
            students = students.filter(school__district=kind.district_id)
        student = students.first()
        if student is None:
            errors.add("student", _("Unknown student."))
    if quantity is not None and quantity <= 0:
        errors.add("quantity", _("The quantity must be more than zero."))
    elif quantity is not None and kind is not None and quantity > kind.stock:
        errors.add(
            "quantity",
            _("Only %(stock)s %(unit)s in stock.") % {"stock": kind.stock, "unit": kind.unit},
        )
    if None not in (signed_by_student, signed_by_guardian) and not (
        signed_by_student and signed_by_guardian
    ):
        errors.add(
            "signed_by_guardian",
            _("Items are given only against the signatures of student and guardian."),
        )
    if given_on is not None and given_on > timezone.localdate():
        errors.add("given_on", _("Items cannot be given in the future."))
    return kind, student


@transaction.atomic
def item_distribute(
    *,
    by: User,
    item_kind_id: int,
    student_id: int,
    quantity: int,
    given_on,
    signed_by_student: bool,
    signed_by_guardian: bool,
) -> ItemDistribution:
    """Give items to a student against both signatures; stock never goes below zero.

    The item kind's row is locked, so two distributions of the last books queue
    and the second is refused. Every field is checked before anything is
    written; all that is wrong is refused in one `FieldErrors`.
    """
    errors = ValidationErrors()
    kind, student = item_distribute_problems(
        errors,
        by=by,
        item_kind_id=item_kind_id,
        student_id=student_id,
        quantity=quantity,
        given_on=given_on,
        signed_by_student=signed_by_student,
        signed_by_guardian=signed_by_guardian,
        lock=True,
    )
    errors.raise_if_any()
    ItemKind.objects.filter(pk=kind.pk).update(stock=F("stock") - quantity)
    return ItemDistribution.objects.create(
        item_kind=kind,
        student=student,
        quantity=quantity,
        given_on=given_on,
        signed_by_student=True,
        signed_by_guardian=True,
        given_by=by,
    )


def pledge_due_dates(*, today: date) -> tuple[date, date]:
    """The first and last day a pledge (or one of its instalments) may fall due.

    From today to `PLEDGE_MAX_YEARS_AHEAD` years ahead (five by default): a
    promise further out is no plan a district can count on.
    """
    years = settings.PLEDGE_MAX_YEARS_AHEAD
    try:
        latest = today.replace(year=today.year + years)
    except ValueError:  # 29 February, in a year that has none
        latest = today.replace(year=today.year + years, day=28)
    return today, latest


def pledge_due_date_problem(due: date, *, today: date) -> str | None:
    """Why a pledge cannot fall due on `due`, or None when it can."""
    earliest, latest = pledge_due_dates(today=today)
    if due < earliest:
        return _("A pledge cannot fall due in the past.")
    if due > latest:
        return _("A pledge falls due by %(latest)s at the latest (%(years)s years ahead).") % {
            "latest": latest.isoformat(),
            "years": settings.PLEDGE_MAX_YEARS_AHEAD,
        }
    return None


def _instalment_problems(
    errors: ValidationErrors, instalments: list[tuple], *, schedule: str | None, today: date
) -> None:
    """Every bad due date and amount at once, each named by its instalment."""
    if not instalments:
        errors.add("instalments", _("Give at least one due date and amount."))
        return
    if schedule == PledgeSchedule.ONCE and len(instalments) != 1:
        errors.add("instalments", _("A pledge given once has one due date."))
    found = False
    for index, (due, amount) in enumerate(instalments):
        problem = pledge_due_date_problem(due, today=today)
        if problem:
            errors.add(f"instalments[{index}].due_on", problem)
            found = True
        if amount <= 0 or amount > MAX_AMOUNT_FEN:
            errors.add(f"instalments[{index}].amount", _("Each instalment must be more than zero."))
            found = True
    dates = [due for due, _amount in instalments]
    if not found and len(set(dates)) != len(dates):
        errors.add("instalments", _("Two instalments fall due on the same day."))


def pledge_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    donor_id: int | None,
    kind: str | None,
    schedule: str | None,
    instalments: list[tuple] | None,
    project_id: int | None = None,
    purpose: str | None = "",
    item_name: str | None = "",
    item_unit: str | None = "",
) -> tuple[Donor | None, AidProject | None]:
    """Add to `errors` everything wrong with this pledge; answers the donor and project.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). A donor
    or project outside `by`'s reach answers like one that does not exist.
    """
    from mentoring.selectors.accounts import schools_administered_by

    districts = schools_administered_by(by).values("district")
    donor = None
    if donor_id is not None:
        donor = Donor.objects.filter(
            Q(pk=donor_id) & (Q(user=by) | Q(district__in=districts))
        ).first()
        if donor is None:
            errors.add("donor", _("Unknown donor."))
    if project_id is not None:
        projects = AidProject.objects.filter(pk=project_id)
        if donor is not None:
            project = projects.filter(district=donor.district_id).first()
        else:
            own = Donor.objects.filter(user=by).values("district")
            project = projects.filter(Q(district__in=districts) | Q(district__in=own)).first()
        if project is None:
            errors.add("project", _("Unknown project in the donor's district."))
    else:
        project = None
        if purpose is not None and not purpose.strip():
            errors.add("purpose", _("Name a project or say what the gift is for."))
    if (
        kind == PledgeKind.ITEMS
        and None not in (item_name, item_unit)
        and not (item_name.strip() and item_unit.strip())
    ):
        errors.add("item_name", _("Say which items and in which unit."))
    if instalments is not None:
        _instalment_problems(errors, instalments, schedule=schedule, today=timezone.localdate())
    return donor, project


@transaction.atomic
def pledge_create(
    *,
    by: User,
    donor_id: int,
    kind: str,
    schedule: str,
    instalments: list[tuple],
    project_id: int | None = None,
    purpose: str = "",
    item_name: str = "",
    item_unit: str = "",
    unit_value_fen: int = 0,
    note: str = "",
) -> Pledge:
    """Record a pledge: a donor pledges for itself, an administrator for its district's donors.

    `instalments` is a list of (due date, amount): fen for money, a count for
    items. Every field is checked before anything is written; all that is
    wrong is refused in one `FieldErrors`.
    """
    errors = ValidationErrors()
    donor, project = pledge_create_problems(
        errors,
        by=by,
        donor_id=donor_id,
        kind=kind,
        schedule=schedule,
        instalments=instalments,
        project_id=project_id,
        purpose=purpose,
        item_name=item_name,
        item_unit=item_unit,
    )
    errors.raise_if_any()
    pledge = Pledge.objects.create(
        donor=donor,
        kind=kind,
        project=project,
        purpose=purpose.strip(),
        schedule=schedule,
        item_name=item_name.strip(),
        item_unit=item_unit.strip(),
        unit_value_fen=unit_value_fen,
        note=note,
        created_by=by,
    )
    PledgeInstalment.objects.bulk_create(
        [PledgeInstalment(pledge=pledge, due_on=due, amount=amount) for due, amount in instalments]
    )
    return pledge


@transaction.atomic
def pledge_cancel(*, by: User, pledge: Pledge, reason: str) -> Pledge:
    """Cancel a pledge: the donor itself, or an administrator of its whole district."""
    if not pledge_cancellable_by(by, pledge):
        raise NotPermitted(
            _(
                "Only the donor, or an administrator of every school of its district, "
                "may cancel this pledge."
            )
        )
    if pledge.status in (PledgeStatus.FULFILLED, PledgeStatus.CANCELLED):
        raise Conflict(
            _("This pledge is already %(status)s.") % {"status": pledge.get_status_display()}
        )
    if not reason.strip():
        raise DomainError(_("Say why the pledge is cancelled."), field="reason")
    pledge.status = PledgeStatus.CANCELLED
    pledge.note = f"{pledge.note}\n{reason.strip()}".strip()
    pledge.save(update_fields=["status", "note"])
    return pledge


@transaction.atomic
def donor_save(
    *,
    by: User,
    donor: Donor | None = None,
    district_code: str = "",
    kind: str | None = None,
    name: str | None = None,
    anonymous: bool | None = None,
    user_id: int | None = None,
) -> Donor:
    """Register a donor (administrators of the district) or change one.

    A donor changes its own name and whether it stays anonymous in published
    notices; administrators also link it to a donor account of the district.
    """
    from mentoring.models import District, Membership, Role
    from mentoring.selectors.accounts import schools_administered_by

    districts = schools_administered_by(by).values("district")
    if donor is None:
        district = District.objects.filter(code=district_code, pk__in=districts).first()
        if district is None:
            raise DomainError(_("Unknown district."), field="district")
        donor = Donor(district=district)
    is_admin = District.objects.filter(pk=donor.district_id, pk__in=districts).exists()
    if donor.user_id != by.pk and not is_admin:
        raise DomainError(_("Unknown donor."), field="donor")
    if kind is not None:
        if not is_admin and kind != donor.kind:
            raise DomainError(_("Only administrators change a donor's kind."), field="kind")
        donor.kind = kind
    if name is not None:
        if not name.strip():
            raise DomainError(_("Give the donor's name."), field="name")
        donor.name = name.strip()
    if anonymous is not None:
        donor.anonymous = anonymous
    if user_id is not None:
        if not is_admin:
            raise DomainError(_("Only administrators link a donor account."), field="user")
        if not Membership.objects.filter(
            user_id=user_id, role=Role.DONOR, school__district=donor.district_id
        ).exists():
            raise DomainError(_("Not a donor account of this district."), field="user")
        if Donor.objects.filter(user_id=user_id).exclude(pk=donor.pk).exists():
            raise DomainError(_("This account already belongs to another donor."), field="user")
        donor.user_id = user_id
    donor.save()
    return donor
