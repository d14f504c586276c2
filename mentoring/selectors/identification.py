"""Reads for identification: who sees which assessments, and the public notice.

- administrators (and platform administrators): every assessment of the
  schools they administer;
- teachers: the assessments they submitted, while they teach the student
  (`students_taught_by`: an active pairing as the student's mentor);
- volunteers, donors and supervisors: none. Supervisors read the public
  notice instead, and may object to any assessment under notice in their
  schools without reading the record (`assessments_open_to_objection_by`).
"""

from datetime import date

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from core.permissions import is_active_account
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    Membership,
    Objection,
    StudentRecord,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.school_year import NO_AID_TIERS
from mentoring.selectors.scoping import schools_visible_to, students_taught_by


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    if not is_active_account(user):
        return Assessment.objects.none()
    if user.is_superuser:
        return Assessment.objects.all()
    return Assessment.objects.filter(
        Q(student__school__in=schools_administered_by(user))
        | Q(created_by=user, student__in=students_taught_by(user))
    )


def assessments_open_to_objection_by(user: User) -> QuerySet[Assessment]:
    """The assessments a user may object to: those they see, and any under public
    notice in a school where they hold any role."""
    if not is_active_account(user):
        return Assessment.objects.none()
    under_notice = Q(
        status=AssessmentStatus.PUBLICIZED, student__school__in=schools_visible_to(user)
    )
    return Assessment.objects.filter(
        Q(pk__in=assessments_visible_to(user).values("pk")) | under_notice
    )


def _with_term_record(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Grade and class from the student's archive of the assessment's term, in the same query."""
    record = StudentRecord.objects.filter(student=OuterRef("student"), term=OuterRef("term"))
    return queryset.annotate(
        grade=Subquery(record.values("grade")[:1]),
        class_name=Subquery(record.values("class_name")[:1]),
    )


def assessment_list(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """`queryset` with what the assessment serializer reads, in a fixed number of queries."""
    return _with_term_record(
        queryset.select_related("student__school", "term__district")
    ).prefetch_related(
        # Unanswered objections decide whether `answer` and `approve` are offered.
        Prefetch(
            "objections",
            queryset=Objection.objects.filter(answered_at__isnull=True),
            to_attr="unanswered_objections",
        )
    )


def assessment_detail(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return assessment_list(queryset).prefetch_related(
        Prefetch("events", queryset=AssessmentEvent.objects.select_related("by")),
        Prefetch(
            "objections",
            queryset=Objection.objects.select_related("filed_by", "answered_by"),
        ),
    )


def roles_by_school(user: User) -> dict[int, set[str]]:
    """The user's roles in each school, in one query, for `allowed_actions` on a list."""
    roles: dict[int, set[str]] = {}
    if not is_active_account(user):
        return roles
    for school_id, role in Membership.objects.filter(user=user).values_list("school_id", "role"):
        roles.setdefault(school_id, set()).add(role)
    return roles


def public_notices(*, today: date) -> QuerySet[Assessment]:
    """Assessments under public notice today, for everyone to read.

    A student found not in hardship is not listed: the notice shows whom the
    school proposes to support, and naming the families it turned down would
    serve no one; nor is a re-check that withdraws the identification of a
    student who left (its tier is blank).
    """
    queryset = Assessment.objects.filter(
        status=AssessmentStatus.PUBLICIZED,
        notice_starts_on__lte=today,
        notice_ends_on__gte=today,
    ).exclude(tier__in=NO_AID_TIERS)
    return (
        _with_term_record(queryset)
        .select_related("student__school__district")
        .order_by("student__school__code", "grade", "class_name", "student__student_number")
    )
