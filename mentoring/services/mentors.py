"""Mentors: who may tutor or sponsor students, in which schools, and how many.

Administrators create and change mentors in the schools they administer.
The rules about one mentor (DESIGN §2.5) are checked here on the whole new
state, so that a PATCH of one field cannot leave the others inconsistent.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mentoring.errors import Conflict, DomainError, NotPermitted
from mentoring.models import (
    Membership,
    Mentor,
    MentorKind,
    PairingStatus,
    Role,
    School,
    Student,
    User,
)
from mentoring.selectors.accounts import schools_administered_by

# Teachers, party-member teachers and leaders belong to one school and hold a
# teacher role there; volunteers serve one or more schools as volunteers.
STAFF_KINDS = {MentorKind.TEACHER, MentorKind.PARTY_TEACHER, MentorKind.LEADER}
KINDS_WITH_A_MINIMUM = {MentorKind.PARTY_TEACHER, MentorKind.LEADER}

# Fields an administrator may change after creation. The user is fixed: a
# mentor profile belongs to one account for its whole history.
CHANGEABLE_FIELDS = {
    "kind",
    "subjects",
    "grades",
    "party_branch",
    "gender",
    "capacity",
    "min_mentees",
    "vetted_until",
    "schools",
    "conflicts",
    "active",
}


def mentors_visible_to(user: User) -> QuerySet[Mentor]:
    """Mentors of the schools a user administers, and the user's own mentor profile.

    `visible_schools` and `visible_conflicts` are prefetched, limited to the
    schools the viewer administers, so a volunteer who also serves another
    school does not reveal that school or its students. A mentor reading their
    own profile sees all of it.
    """
    if not (user and user.is_authenticated and user.is_active):
        return Mentor.objects.none()
    if user.is_superuser:
        mentors = Mentor.objects.all()
        schools = School.objects.all()
        students = Student.objects.all()
    else:
        administered = list(schools_administered_by(user).values_list("pk", flat=True))
        own = Mentor.objects.filter(user=user)
        own_schools = list(own.values_list("schools", flat=True))
        own_conflicts = list(own.values_list("conflicts", flat=True))
        mentors = Mentor.objects.filter(Q(schools__in=administered) | Q(user=user)).distinct()
        schools = School.objects.filter(pk__in=[*administered, *own_schools])
        students = Student.objects.filter(Q(school_id__in=administered) | Q(pk__in=own_conflicts))
    return (
        mentors.select_related("user")
        .prefetch_related(
            Prefetch("schools", queryset=schools.order_by("pk"), to_attr="visible_schools"),
            Prefetch("conflicts", queryset=students.order_by("pk"), to_attr="visible_conflicts"),
        )
        .order_by("user__username")
    )


def _administered_schools(*, by: User, school_ids: list[int]) -> list[School]:
    """The requested schools, all of which `by` must administer.

    A school that does not exist answers like one administered by somebody
    else, so the answer never tells which schools exist.
    """
    wanted = set(school_ids)
    schools = list(schools_administered_by(by).filter(pk__in=wanted).order_by("pk"))
    if len(schools) != len(wanted):
        raise DomainError(
            _("You can only name schools you administer."),
            field="schools",
        )
    return schools


def _check_membership(*, user: User, kind: str, schools: list[School]) -> None:
    role = Role.VOLUNTEER if kind == MentorKind.VOLUNTEER else Role.TEACHER
    member_of = set(
        Membership.objects.filter(user=user, role=role, school__in=schools).values_list(
            "school_id", flat=True
        )
    )
    if member_of != {school.pk for school in schools}:
        if role == Role.VOLUNTEER:
            message = _("A volunteer mentor must hold a volunteer role in each of its schools.")
        else:
            message = _("A teacher or leader mentor must hold a teacher role in its school.")
        raise DomainError(message, field="user")


def _check_rules(
    *,
    kind: str,
    schools: list[School],
    party_branch: str,
    capacity: int,
    min_mentees: int,
    vetted_until: date | None,
) -> None:
    """The rules about one mentor, each reported on the field it concerns."""
    if kind in STAFF_KINDS and len(schools) != 1:
        raise DomainError(_("A teacher or leader mentors in exactly one school."), field="schools")
    if kind == MentorKind.VOLUNTEER and not schools:
        raise DomainError(_("A volunteer serves at least one school."), field="schools")
    if kind == MentorKind.VOLUNTEER and vetted_until is None:
        raise DomainError(
            _("A volunteer must be vetted: give the date the vetting is valid until."),
            field="vetted_until",
        )
    if kind == MentorKind.PARTY_TEACHER and not party_branch.strip():
        raise DomainError(
            _("A party-member teacher needs their party branch."), field="party_branch"
        )
    if kind in KINDS_WITH_A_MINIMUM and min_mentees < 1:
        raise DomainError(
            _("Party-member teachers and leaders mentor at least one student."),
            field="min_mentees",
        )
    if min_mentees > capacity:
        raise DomainError(
            _("The minimum number of mentees cannot exceed the capacity."), field="min_mentees"
        )


def _conflict_students(*, student_ids: list[int], schools: list[School]) -> list[Student]:
    """The students named as conflicts, all of whom must be in the mentor's schools.

    A student of another school answers exactly like one that does not exist.
    """
    wanted = set(student_ids)
    students = list(Student.objects.filter(pk__in=wanted, school__in=schools).order_by("pk"))
    if len(students) != len(wanted):
        raise DomainError(
            _("Conflicts must be students of the mentor's schools; check the student ids."),
            field="conflicts",
        )
    return students


@transaction.atomic
def mentor_create(
    *,
    by: User,
    user_id: int,
    kind: str,
    gender: str,
    school_ids: list[int],
    subjects: list[str] | None = None,
    grades: list[int] | None = None,
    party_branch: str = "",
    capacity: int = 3,
    min_mentees: int | None = None,
    vetted_until: date | None = None,
    conflict_ids: list[int] | None = None,
) -> Mentor:
    """Make a teacher or volunteer of the administrator's schools a mentor.

    `min_mentees` defaults to 1 for party-member teachers and leaders, 0 otherwise.
    """
    if not school_ids:
        raise DomainError(_("Give the school or schools the mentor serves."), field="schools")
    schools = _administered_schools(by=by, school_ids=school_ids)
    # Only accounts with a role in the administrator's schools can be named;
    # any other id answers like one that does not exist.
    user = User.objects.filter(pk=user_id, memberships__school__in=schools).distinct().first()
    if user is None:
        raise DomainError(
            _("This account has no teacher or volunteer role in the given schools."),
            field="user",
        )
    _check_membership(user=user, kind=kind, schools=schools)
    if min_mentees is None:
        min_mentees = 1 if kind in KINDS_WITH_A_MINIMUM else 0
    _check_rules(
        kind=kind,
        schools=schools,
        party_branch=party_branch,
        capacity=capacity,
        min_mentees=min_mentees,
        vetted_until=vetted_until,
    )
    if kind == MentorKind.VOLUNTEER and vetted_until < timezone.localdate():
        raise DomainError(_("This volunteer's vetting has expired."), field="vetted_until")
    conflicts = _conflict_students(student_ids=conflict_ids or [], schools=schools)
    mentor = Mentor(
        user=user,
        kind=kind,
        gender=gender,
        subjects=sorted(set(subjects or [])),
        grades=sorted(set(grades or [])),
        party_branch=party_branch.strip(),
        capacity=capacity,
        min_mentees=min_mentees,
        vetted_until=vetted_until,
    )
    try:
        with transaction.atomic():
            mentor.save()
    except IntegrityError:
        raise DomainError(_("This account is already a mentor."), field="user") from None
    mentor.schools.set(schools)
    mentor.conflicts.set(conflicts)
    return mentor


@transaction.atomic
def mentor_update(*, by: User, mentor: Mentor, **fields) -> Mentor:
    """Change a mentor; only an administrator of every school the mentor serves may.

    `schools` and `conflicts` (lists of ids) replace the current ones. The
    rules are checked on the mentor as it would be after the change.
    Deactivating a mentor who still has active pairings is refused: those
    pairings are ended first, each with its reason.
    """
    unknown = set(fields) - CHANGEABLE_FIELDS
    if unknown:
        raise DomainError(_("This field cannot be changed here."), field=sorted(unknown)[0])
    mentor = Mentor.objects.select_for_update().get(pk=mentor.pk)
    current_school_ids = set(mentor.schools.values_list("pk", flat=True))
    if not by.is_superuser:
        administered = set(
            schools_administered_by(by)
            .filter(pk__in=current_school_ids)
            .values_list("pk", flat=True)
        )
        if current_school_ids - administered:
            raise NotPermitted(_("This mentor also serves schools you do not administer."))

    if "schools" in fields:
        schools = _administered_schools(by=by, school_ids=fields.pop("schools"))
    else:
        schools = list(mentor.schools.order_by("pk"))
    conflict_ids = fields.pop("conflicts", None)
    for name, value in fields.items():
        setattr(mentor, name, value)
    mentor.subjects = sorted(set(mentor.subjects))
    mentor.grades = sorted(set(mentor.grades))
    mentor.party_branch = mentor.party_branch.strip()

    _check_membership(user=mentor.user, kind=mentor.kind, schools=schools)
    _check_rules(
        kind=mentor.kind,
        schools=schools,
        party_branch=mentor.party_branch,
        capacity=mentor.capacity,
        min_mentees=mentor.min_mentees,
        vetted_until=mentor.vetted_until,
    )
    if mentor.active is False and mentor.pairings.filter(status=PairingStatus.ACTIVE).exists():
        raise Conflict(
            _("This mentor still has active pairings; end them before deactivating."),
            field="active",
        )
    if {school.pk for school in schools} != current_school_ids and mentor.pairings.filter(
        status=PairingStatus.ACTIVE
    ).exclude(student__school__in=schools).exists():
        raise Conflict(
            _("This mentor has active pairings in a school being removed; end them first."),
            field="schools",
        )
    if conflict_ids is not None:
        conflicts = _conflict_students(student_ids=conflict_ids, schools=schools)
    else:
        # Conflicts in a school the mentor no longer serves are dropped with it.
        conflicts = list(mentor.conflicts.filter(school__in=schools))
    mentor.save()
    mentor.schools.set(schools)
    mentor.conflicts.set(conflicts)
    return mentor
