"""The spring re-check (复核) of an identification carried through the school year.

An identification approved in the autumn holds for the spring term
(`mentoring.selectors.school_year`); a re-check records what changed (the
student left, or the family's circumstances changed) as a new assessment of
the term, which then goes the application's way in
`mentoring.services.identification`: the investigation, both reviews, the
public notice and approval.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors
from mentoring.models import (
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    RecheckChange,
    StudentRecord,
    Term,
    User,
)
from mentoring.selectors.school_year import identifications_in_force
from mentoring.services.identification import TRANSITIONS, Action, _may_propose, _move


def assessment_recheck_problems(
    errors: ValidationErrors,
    *,
    carried: Assessment,
    term_id: int | None,
    change: str | None,
    reason: str | None,
) -> Term | None:
    """Add to `errors` everything wrong with re-checking `carried` in the term; answers the term.

    The term must be a later term of the carried identification's school year,
    with the identification still in force there: not yet re-checked or
    replaced. A student whose circumstances changed must be on the term's
    roster; one who left need not be.
    """
    if reason is not None and not reason.strip():
        errors.add("reason", _("Give the reason for the re-check."))
    if term_id is None:
        return None
    term = (
        Term.objects.filter(
            pk=term_id,
            district_id=carried.term.district_id,
            school_year=carried.term.school_year,
            start_date__gt=carried.term.start_date,
        )
        .select_related("district")
        .first()
    )
    if term is None:
        errors.add(
            "term",
            _("No such later term in the school year %(year)s.")
            % {"year": carried.term.school_year},
        )
        return None
    student_id = carried.student_id
    if Assessment.objects.filter(student_id=student_id, term=term).exists():
        errors.add("term", _("The student already has an assessment for this term."))
    elif not identifications_in_force(term).filter(pk=carried.pk).exists():
        errors.add("term", _("This identification is not in force in that term."))
    elif (
        change == RecheckChange.CIRCUMSTANCES
        and not StudentRecord.objects.filter(student_id=student_id, term=term).exists()
    ):
        errors.add(
            "term",
            _("The student has no archive record for this term; import the roster first."),
        )
    return term


@transaction.atomic
def assessment_recheck(
    *, by: User, carried: Assessment, term_id: int, change: str, reason: str
) -> Assessment:
    """Re-check an approved identification in a later term of its school year.

    Creates the term's re-check assessment in `submitted`; it then goes the
    application's way (review, public notice, approval) and, once approved,
    is the identification in force. Only an approved identification is
    re-checked (409 otherwise); all that is wrong with the input is refused in
    one `ValidationErrors`.
    """
    carried = Assessment.objects.select_related("term", "student").filter(pk=carried.pk).get()
    if not _may_propose(by, carried.student):
        raise NotPermitted(_("Your role in this school does not allow this action."))
    if carried.status != AssessmentStatus.APPROVED:
        raise Conflict(
            _("Only an approved identification is re-checked; this one is “%(status)s”.")
            % {"status": carried.get_status_display()}
        )
    errors = ValidationErrors()
    term = assessment_recheck_problems(
        errors, carried=carried, term_id=term_id, change=change, reason=reason
    )
    errors.raise_if_any()
    assessment = Assessment(
        student_id=carried.student_id,
        term=term,
        route=AssessmentRoute.RECHECK,
        carried_from=carried,
        change=change,
        status=AssessmentStatus.SUBMITTED,
        reason=reason.strip(),
        created_by=by,
    )
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        # Two re-checks at the same moment: the constraint lets one through.
        raise DomainError(
            _("The student already has an assessment for this term."), field="term"
        ) from None
    _move(
        assessment=assessment,
        transition=TRANSITIONS[(None, Action.RECHECK)],
        by=by,
        note=assessment.get_change_display(),
    )
    return assessment
