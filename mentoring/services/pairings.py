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

from mentoring.errors import Conflict, DomainError, NotPermitted
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
    like ids that do not exist. The mentor's row is locked while its capacity
    is counted, so two pairings at once cannot both take its last place.
    """
    if kind not in PairingKind.values:
        raise DomainError(_("Unknown pairing kind."), field="kind")
    if not reason.strip():
        raise DomainError(_("Give the reason for this pairing."), field="reason")
    administered = schools_administered_by(by)
    student = (
        Student.objects.filter(pk=student_id, school__in=administered)
        .select_related("school__district")
        .first()
    )
    if student is None:
        raise DomainError(_("Unknown student."), field="student")
    if not Mentor.objects.filter(pk=mentor_id, schools__in=administered).exists():
        raise DomainError(_("Unknown mentor."), field="mentor")
    mentor = Mentor.objects.select_for_update().get(pk=mentor_id)
    term = Term.objects.filter(pk=term_id, district_id=student.school.district_id).first()
    if term is None:
        raise DomainError(_("This term is not a term of the student's district."), field="term")
    if started_on is None:
        started_on = timezone.localdate()
    if not term.contains(started_on):
        raise DomainError(_("The start date must fall inside the term."), field="started_on")

    if not mentor.active:
        raise DomainError(_("This mentor is not active."), field="mentor")
    # The same hard rules the match job's candidates obey (kind, school,
    # vetting, conflict of interest, the district's safeguarding policy).
    broken = pair_exclusion(student=student, mentor=mentor, kind=kind, on=started_on)
    if broken is not None:
        raise DomainError(
            exclusion_message(broken, district=student.school.district),
            field="mentor",
            extra={"rule": broken},
        )
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
    if kind == PairingKind.ACADEMIC:
        record = StudentRecord.objects.filter(student=student, term=term).first()
        if record is not None and not record.struggling:
            raise DomainError(
                _("Academic tutoring is for students recorded as struggling this term."),
                field="student",
            )
    if Pairing.objects.filter(
        student=student, term=term, kind=kind, status=PairingStatus.ACTIVE
    ).exists():
        raise _one_active_per_kind_error()

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
