"""Awards of aid to students: one per student, purpose and term, within the account's money.

An award is paid in its planned instalments (`donations.services.disbursements`);
an award unpaid past its project's limit is flagged late, once.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from core.money import yuan
from donations.guards import answers_award_guard, refused_by_award_guard
from donations.models import (
    MAX_INSTALMENTS,
    AidProject,
    AidRefusal,
    Award,
    AwardInstalment,
    AwardStatus,
    Disbursement,
    FundAccount,
    RefusalVia,
)
from donations.services.ledger import MAX_AMOUNT_FEN, fund_account_of
from mentoring.models import Notification, NotificationKind, Role, Term, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.notifications import both_languages, notifications_send_pending
from mentoring.services.schools import administers_district


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
                via=RefusalVia.MANUAL,
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
    from mentoring.models import Student

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
    student, project, term = checked(
        award_create_problems,
        by=by,
        project_id=project_id,
        student_id=student_id,
        term_id=term_id,
        amount_fen=amount_fen,
        instalments=instalments,
    )
    plan = list(instalments) if instalments is not None else [amount_fen]
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


def award_locked_for_change(by: User, award_id: int) -> Award:
    """The award locked for a change, if `by` administers its student's school."""

    award = (
        Award.objects.select_for_update()
        .filter(pk=award_id, student__school__in=schools_administered_by(by))
        .first()
    )
    if award is None:
        raise DomainError(_("Unknown award."), field="award")
    return award


def require_district_admin_of_award(by: User, award: Award, message) -> None:

    if not administers_district(by, award.project.district):
        raise NotPermitted(message)


def correction_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the correction."), field="reason")
    return reason


@transaction.atomic
def award_cancel(*, by: User, award_id: int, reason: str) -> Award:
    """Cancel an award that is not paid: district administrators only, with who, when and why.

    An award with a standing payment is not cancelled: reverse its payments
    first. A cancelled award frees the student's place for its purpose and term.
    """
    award = award_locked_for_change(by, award_id)
    require_district_admin_of_award(
        by, award, _("Only the district's administrators may cancel an award.")
    )
    if award.status == AwardStatus.CANCELLED:
        raise Conflict(_("This award was cancelled."), field="award")
    if award.disbursements.filter(reversal__isnull=True).exists():
        raise Conflict(
            _("This award has payments; reverse them before cancelling it."), field="award"
        )
    reason = correction_reason(reason)[:200]
    award.status = AwardStatus.CANCELLED
    award.cancelled_by = by
    award.cancelled_at = timezone.now()
    award.cancel_reason = reason
    award._history_user = by
    award._change_reason = reason
    award.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
    return award


def awards_flag_late(*, today) -> int:
    """The daily check: awards unpaid past their project's limit are flagged, once.

    The administrators of the student's school are notified once per award.
    Returns how many awards were newly flagged.
    """
    from mentoring.models import Membership

    unpaid = Award.objects.filter(status=AwardStatus.AWARDED, late_since__isnull=True)
    # Late when made before the local midnight `late_after_days` days before
    # today: one cutoff per limit in use (projects share a few), read in SQL.
    limits = set(unpaid.values_list("project__late_after_days", flat=True).distinct())
    if not limits:
        return 0
    overdue = Q()
    for days in limits:
        day = today - datetime.timedelta(days=days)
        midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        overdue |= Q(project__late_after_days=days, created_at__lt=midnight)
    late = list(unpaid.filter(overdue).select_related("project", "student__school"))
    if not late:
        return 0
    Award.objects.filter(pk__in=[a.pk for a in late], late_since__isnull=True).update(
        late_since=today
    )
    admins: dict[int, list[int]] = {}
    for school_id, user_id in Membership.objects.filter(
        school__in={a.student.school_id for a in late}, role=Role.ADMINISTRATOR
    ).values_list("school", "user"):
        admins.setdefault(school_id, []).append(user_id)

    def text(award):
        def render():
            subject = _("Award #%(award)s is not paid") % {"award": award.pk}
            body = _(
                "Award #%(award)s of %(project)s (%(amount)s yuan) was made on %(date)s and is "
                "still unpaid after %(days)s days."
            ) % {
                "award": award.pk,
                "project": award.project.code,
                "amount": yuan(award.amount_fen),
                "date": timezone.localdate(award.created_at).isoformat(),
                "days": award.project.late_after_days,
            }
            return subject, body

        return both_languages(render)

    notes = []
    for award in late:
        subject, body = text(award)
        notes += [
            Notification(
                recipient_id=user_id,
                kind=NotificationKind.LATE_AWARD,
                key=f"late_award:{award.pk}",
                school_id=award.student.school_id,
                subject=subject,
                body=body,
                data={"award": award.pk},
            )
            for user_id in admins.get(award.student.school_id, [])
        ]
    # Unique per recipient and key: a second run stores and mails nothing again.
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    transaction.on_commit(lambda: notifications_send_pending(kinds=[NotificationKind.LATE_AWARD]))
    return len(late)
