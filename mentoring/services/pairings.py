"""Pairings: a mentor and a student, for academic tutoring or for care, in one term.

Administrators pair by hand here (the matching job proposes pairings in bulk)
and end a pairing, each time with a reason. A student has at most one active
pairing of each kind per term; the database constraint
`pairing_one_active_per_kind` guarantees it even under concurrent requests.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from mentoring.models import (
    Mentor,
    Pairing,
    PairingKind,
    PairingStatus,
    Student,
    StudentRecord,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.pairing_rules import exclusion_message, pair_exclusion


def _one_active_per_kind_error() -> DomainError:
    return DomainError(
        _("This student already has an active pairing of this kind in this term."),
        field="student",
    )


def pairing_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    student_id: int | None,
    mentor_id: int | None,
    term_id: int | None,
    kind: str | None,
    reason: str | None,
    started_on: date | None = None,
) -> tuple[Student | None, Mentor | None, Term | None, date]:
    """Add to `errors` everything wrong with this pairing's inputs; answers what they name.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller). The
    rules about the mentor and the student together run when both are known.
    The mentor's capacity is `pairing_create`'s, under the row lock.
    """
    if kind is not None and kind not in PairingKind.values:
        errors.add("kind", _("Unknown pairing kind."))
    if reason is not None and not reason.strip():
        errors.add("reason", _("Give the reason for this pairing."))
    administered = schools_administered_by(by)
    student = mentor = term = None
    if student_id is not None:
        student = (
            Student.objects.filter(pk=student_id, school__in=administered)
            .select_related("school__district")
            .first()
        )
        if student is None:
            errors.add("student", _("Unknown student."))
    if mentor_id is not None:
        mentor = Mentor.objects.filter(pk=mentor_id, schools__in=administered).first()
        if mentor is None:
            errors.add("mentor", _("Unknown mentor."))
    if term_id is not None:
        if student is not None:
            districts = [student.school.district_id]
        else:
            districts = administered.values("district")
        term = Term.objects.filter(pk=term_id, district__in=districts).first()
        if term is None:
            errors.add("term", _("This term is not a term of the student's district."))
    if started_on is None:
        started_on = timezone.localdate()
    if term is not None and not term.contains(started_on):
        errors.add("started_on", _("The start date must fall inside the term."))
    if mentor is not None and student is not None:
        problem = _mentor_problem(mentor, student, kind, started_on)
        if problem:
            message, rule = problem
            errors.add("mentor", message, extra={"rule": rule})
    if student is not None and term is not None and kind in PairingKind.values:
        if kind == PairingKind.ACADEMIC:
            record = StudentRecord.objects.filter(student=student, term=term).first()
            if record is not None and not record.struggling:
                errors.add(
                    "student",
                    _("Academic tutoring is for students recorded as struggling this term."),
                )
        if Pairing.objects.filter(
            student=student, term=term, kind=kind, status=PairingStatus.ACTIVE
        ).exists():
            errors.add_error(_one_active_per_kind_error())
    return student, mentor, term, started_on


def _mentor_problem(
    mentor: Mentor, student: Student, kind: str | None, started_on: date
) -> tuple[str, str] | None:
    """Why this mentor may not take this student, and the rule's name; or None.

    The hard rules are the match job's (kind, school, vetting, conflict of
    interest, the district's safeguarding policy): one rule on every path.
    """
    if not mentor.active:
        return _("This mentor is not active."), "mentor_inactive"
    if kind not in PairingKind.values:
        return None
    broken = pair_exclusion(student=student, mentor=mentor, kind=kind, on=started_on)
    if broken is None:
        return None
    message = exclusion_message(
        broken, district=student.school.district, mentor_kind=mentor.kind, pairing_kind=kind
    )
    return message, broken


@transaction.atomic
def pairing_create(
    *,
    by: User,
    student_id: int,
    mentor_id: int,
    term_id: int,
    kind: str,
    reason: str,
    started_on: date | None = None,
) -> Pairing:
    """Pair a student with a mentor by hand; the pairing is active at once.

    Students, mentors and terms outside the administrator's schools answer
    like ids that do not exist. Every input is checked before anything is
    written, and all that is wrong is refused in one `FieldErrors`. The
    mentor's row is locked while its capacity is counted, so two pairings at
    once cannot both take its last place.
    """
    student, mentor, term, started_on = checked(
        pairing_create_problems,
        by=by,
        student_id=student_id,
        mentor_id=mentor_id,
        term_id=term_id,
        kind=kind,
        reason=reason,
        started_on=started_on,
    )
    mentor = Mentor.objects.select_for_update().get(pk=mentor.pk)
    taken = Pairing.objects.filter(mentor=mentor, term=term, status=PairingStatus.ACTIVE).count()
    if taken >= mentor.capacity:
        raise DomainError(
            ngettext(
                "This mentor has reached their capacity of %(n)d active pairing this term.",
                "This mentor has reached their capacity of %(n)d active pairings this term.",
                mentor.capacity,
            )
            % {"n": mentor.capacity},
            field="mentor",
        )

    pairing = Pairing(
        student=student,
        mentor=mentor,
        term=term,
        kind=kind,
        status=PairingStatus.ACTIVE,
        started_on=started_on,
        reason=reason.strip(),
        created_by=by,
    )
    try:
        # A concurrent request can pair the student between the check above and
        # this insert; the constraint then refuses it with the same answer.
        with transaction.atomic():
            pairing.save()
    except IntegrityError:
        raise _one_active_per_kind_error() from None
    return pairing


@transaction.atomic
def pairing_end(
    *, by: User, pairing: Pairing, reason: str, ended_on: date | None = None
) -> Pairing:
    """End an active pairing, with a reason; only an administrator of its school may.

    The end date may not precede a session already logged, so that every
    session stays inside the pairing's active span.
    """
    pairing = (
        Pairing.objects.select_for_update(of=("self",)).select_related("student").get(pk=pairing.pk)
    )
    if not schools_administered_by(by).filter(pk=pairing.student.school_id).exists():
        raise NotPermitted(_("Only an administrator of the student's school ends a pairing."))
    if pairing.status != PairingStatus.ACTIVE:
        raise Conflict(_("Only an active pairing can be ended."), field="status")
    if not reason.strip():
        raise DomainError(_("Give the reason for ending this pairing."), field="reason")
    today = timezone.localdate()
    if ended_on is None:
        ended_on = today
    if ended_on > today:
        raise DomainError(_("The end date cannot be in the future."), field="ended_on")
    if ended_on < pairing.started_on:
        raise DomainError(_("The end date cannot precede the start date."), field="ended_on")
    last_session = pairing.sessions.aggregate(last=Max("date"))["last"]
    if last_session is not None and ended_on < last_session:
        raise DomainError(
            _("A session was logged on %(date)s; the pairing cannot end before it.")
            % {"date": last_session.isoformat()},
            field="ended_on",
        )
    pairing.status = PairingStatus.ENDED
    pairing.ended_on = ended_on
    pairing.end_reason = reason.strip()
    pairing.save(update_fields=["status", "ended_on", "end_reason"])
    return pairing


# Holiday work lasts at most this long after the term when the district's next
# term is not known yet; a summer holiday is about two months.
MAX_HOLIDAY_DAYS = 92


def pairing_holiday_problems(
    errors: ValidationErrors, *, pairing: Pairing, holiday_until: date | None
) -> None:
    """Add to `errors` what is wrong with this pairing's holiday work ending on `holiday_until`.

    Holiday work begins the day after the term and ends before the district's
    next term starts (or within `MAX_HOLIDAY_DAYS` when no next term is
    recorded yet). It cannot end before a session already logged after the
    term, so that every logged session stays inside the pairing's dates.
    """
    term = pairing.term
    last_after_term = pairing.sessions.filter(date__gt=term.end_date).aggregate(last=Max("date"))[
        "last"
    ]
    if holiday_until is None:
        if last_after_term is not None:
            errors.add(
                "holiday_until",
                _("A session was logged on %(date)s, after the term; holiday work must cover it.")
                % {"date": last_after_term.isoformat()},
            )
        return
    if holiday_until <= term.end_date:
        errors.add(
            "holiday_until",
            _("Holiday work follows the term, which ends on %(date)s.")
            % {"date": term.end_date.isoformat()},
        )
        return
    next_term = (
        Term.objects.filter(district_id=term.district_id, start_date__gt=term.end_date)
        .order_by("start_date")
        .first()
    )
    if next_term is not None and holiday_until >= next_term.start_date:
        errors.add(
            "holiday_until",
            _("Holiday work ends before the next term starts on %(date)s.")
            % {"date": next_term.start_date.isoformat()},
        )
    elif next_term is None and (holiday_until - term.end_date).days > MAX_HOLIDAY_DAYS:
        errors.add(
            "holiday_until",
            _("Holiday work ends within %(n)d days of the term's end.") % {"n": MAX_HOLIDAY_DAYS},
        )
    if last_after_term is not None and holiday_until < last_after_term:
        errors.add(
            "holiday_until",
            _("A session was logged on %(date)s; holiday work cannot end before it.")
            % {"date": last_after_term.isoformat()},
        )


@transaction.atomic
def pairing_holiday_set(*, by: User, pairing: Pairing, holiday_until: date | None) -> Pairing:
    """Let an active pairing continue over the holiday after its term, until `holiday_until`.

    Only an administrator of the student's school may; None ends the holiday
    work. Its sessions dated in the holiday are accepted and counted apart
    from the term's weeks (`mentoring.school_weeks.is_holiday`).
    """
    pairing = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("student", "term")
        .get(pk=pairing.pk)
    )
    if not schools_administered_by(by).filter(pk=pairing.student.school_id).exists():
        raise NotPermitted(_("Only an administrator of the student's school sets holiday work."))
    if pairing.status != PairingStatus.ACTIVE:
        raise Conflict(_("Only an active pairing continues over the holiday."), field="status")
    checked(pairing_holiday_problems, pairing=pairing, holiday_until=holiday_until)
    pairing.holiday_until = holiday_until
    pairing.save(update_fields=["holiday_until"])
    return pairing
