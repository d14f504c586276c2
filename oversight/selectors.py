"""Who reads which supervision records and complaints.

A school's records are read by its administrators and supervisors; the
district's own (no school) by anyone who administers or supervises one of
its schools. Writing is `services`' question (administrators only).
"""

from django.db.models import Q, QuerySet

from core.permissions import is_active_account
from mentoring.models import District, Role, School, User
from mentoring.selectors.accounts import districts_administered_by, schools_administered_by
from oversight.models import (
    Complaint,
    Suggestion,
    SupervisionMeeting,
    SupervisionMember,
    complaint_standing,
)


def reads_oversight(user: User) -> bool:
    """Administrators and supervisors; teachers, volunteers and donors read none of it."""
    if not is_active_account(user):
        return False
    return (
        user.is_superuser
        or user.memberships.filter(role__in=[Role.ADMINISTRATOR, Role.SUPERVISOR]).exists()
    )


def _scope(user: User) -> Q:
    if user.is_superuser:
        return Q()
    schools = School.objects.filter(
        memberships__user=user, memberships__role__in=[Role.ADMINISTRATOR, Role.SUPERVISOR]
    )
    districts = District.objects.filter(schools__in=schools)
    return Q(school__in=schools.values("pk")) | Q(
        school__isnull=True, district__in=districts.values("pk")
    )


def _visible(model, user: User) -> QuerySet:
    if not reads_oversight(user):
        return model.objects.none()
    return model.objects.filter(_scope(user)).select_related("district", "school")


def members_visible_to(user: User) -> QuerySet[SupervisionMember]:
    return _visible(SupervisionMember, user)


def meetings_visible_to(user: User) -> QuerySet[SupervisionMeeting]:
    return _visible(SupervisionMeeting, user).prefetch_related("attendees")


def suggestions_visible_to(user: User) -> QuerySet[Suggestion]:
    return _visible(Suggestion, user)


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    return _visible(Complaint, user)


def administers_scope(user: User, *, district_id: int, school_id: int | None) -> bool:
    """May `user` write the records of this school's group (or the district's, no school)?"""
    if not is_active_account(user):
        return False
    if school_id is not None:
        return schools_administered_by(user).filter(pk=school_id).exists()
    return districts_administered_by(user).filter(pk=district_id).exists()


def administered_ids(user: User) -> tuple[set[int], set[int]]:
    """The schools and districts whose records `user` writes: two queries, for a whole list."""
    return (
        set(schools_administered_by(user).values_list("pk", flat=True)),
        set(districts_administered_by(user).values_list("pk", flat=True)),
    )


def administers_record(record, ids: tuple[set[int], set[int]]) -> bool:
    """With `administered_ids`: may the user write this record (and see who complained)?"""
    schools, districts = ids
    if record.school_id is not None:
        return record.school_id in schools
    return record.district_id in districts


def complaint_rows(
    *, district: District, school_ids: list[int], start, end, with_district: bool
) -> list[dict]:
    """Complaints received from `start` to `end`, counted per school (None: the district's own).

    Each row: received, answered by the due day, answered after it, open and
    not yet due, open past the due day (as of today, Beijing time). One query.
    """
    from django.utils import timezone

    where = Q(school__in=school_ids)
    if with_district:
        where |= Q(school__isnull=True, district=district)
    today = timezone.localdate()
    counts: dict[int | None, dict] = {}
    for school, due, answered_at in Complaint.objects.filter(
        where, received_on__gte=start, received_on__lte=end
    ).values_list("school", "answer_due_on", "answered_at"):
        row = counts.setdefault(
            school,
            {
                "school": school,
                "received": 0,
                "answered_in_time": 0,
                "answered_late": 0,
                "open": 0,
                "overdue": 0,
            },
        )
        row["received"] += 1
        row[complaint_standing(due, answered_at, today)] += 1
    return sorted(counts.values(), key=lambda row: (row["school"] is None, row["school"] or 0))
