"""The school year's identification: which one is in force for a student in a term.

Districts identify hardship once per school year (每学年界定一次) and re-check it
in the second term. The one rule, for every reader that asks "is this student
identified in this term, and at which tier" (allocation, matching, reports, the
government list, the carry-over summary):

    the identification in force for a student in a term is the student's
    latest approved assessment among the terms of the same school year (of the
    term's district) that start no later than the term.

So a term's own approved assessment wins; without one, the approved assessment
of an earlier term of the year carries over. A re-check in the later term
(route `recheck`) changes what is in force only once it is approved, through
the same workflow and public notice as any identification: approved with
another tier it changes the tier, approved with `not_in_hardship` or (for a
student who left) a blank tier it withdraws the identification. A re-check
still under way or rejected leaves the carried identification in force.

Everything here is a queryset: readers filter, join or take `.values()` from
it, and it stays one SQL statement whatever the number of students.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from mentoring.models import Assessment, AssessmentRoute, AssessmentStatus, Term
from mentoring.outcomes import NOT_IN_HARDSHIP

# Tiers of an identification in force that give no aid: found not in hardship,
# or withdrawn because the student left.
NO_AID_TIERS = ("", NOT_IN_HARDSHIP)


def school_year_terms(term: Term) -> QuerySet[Term]:
    """The terms of `term`'s school year in its district, `term` included."""
    return Term.objects.filter(district_id=term.district_id, school_year=term.school_year)


def earlier_terms_of_year(term: Term) -> QuerySet[Term]:
    """The terms of the same school year before `term`, latest first."""
    return school_year_terms(term).filter(start_date__lt=term.start_date).order_by("-start_date")


def identifications_in_force(term: Term) -> QuerySet[Assessment]:
    """Per student, the approved assessment in force in `term` (see the module docstring).

    At most one row per student: an approved assessment is left out when a
    later term of the year, up to `term`, has an approved one for the student.
    The rows keep their own term: a carried identification's `term` is the
    earlier one. Includes outcomes that give no aid (`NO_AID_TIERS`).
    """
    so_far = school_year_terms(term).filter(start_date__lte=term.start_date)
    superseded = Assessment.objects.filter(
        student=OuterRef("student"),
        status=AssessmentStatus.APPROVED,
        term__in=so_far,
        term__start_date__gt=OuterRef("term__start_date"),
    )
    return Assessment.objects.filter(
        ~Exists(superseded), status=AssessmentStatus.APPROVED, term__in=so_far
    )


def hardship_identifications(term: Term) -> QuerySet[Assessment]:
    """The identifications in force in `term` that find the student in hardship, with a tier."""
    return identifications_in_force(term).exclude(tier__in=NO_AID_TIERS)


def carried_identifications(term: Term) -> QuerySet[Assessment]:
    """The identifications in force in `term` that were made in an earlier term of its year."""
    return identifications_in_force(term).exclude(term=term)


def carried_identification_of(*, student_id: int, term: Term) -> Assessment | None:
    """The identification carried into `term` for one student, or None."""
    return carried_identifications(term).filter(student_id=student_id).first()


@dataclass
class CarryOver:
    """What the identification of `term` holds from earlier in its school year.

    Each list holds assessment ids: `carried` the earlier terms' identifications
    still in force; `withdrawn` and `changed` the approved re-checks that
    withdrew an identification or set another tier (`confirmed`: the same tier);
    `pending` the re-checks still under way (a rejected re-check changes
    nothing: its identification stays `carried`); `new` the term's own
    applications and government-list identifications not rejected.
    """

    term: Term
    earlier_term: Term | None
    carried: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)


def carry_over(*, term: Term, visible: QuerySet[Assessment]) -> CarryOver:
    """The carry-over of `term` among the assessments of `visible`, in three queries."""
    summary = CarryOver(term=term, earlier_term=earlier_terms_of_year(term).first())
    summary.carried = list(
        carried_identifications(term)
        .filter(pk__in=visible.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = (
        visible.filter(term=term)
        .exclude(status=AssessmentStatus.REJECTED)
        .order_by("pk")
        .values_list("pk", "route", "status", "tier", "carried_from__tier")
    )
    for pk, route, status, tier, carried_tier in rows:
        if route != AssessmentRoute.RECHECK:
            summary.new.append(pk)
        elif status != AssessmentStatus.APPROVED:
            summary.pending.append(pk)
        elif tier in NO_AID_TIERS:
            summary.withdrawn.append(pk)
        elif tier != carried_tier:
            summary.changed.append(pk)
        else:
            summary.confirmed.append(pk)
    return summary
