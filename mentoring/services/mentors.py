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

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from core.permissions import is_active_account
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
    if not is_active_account(user):
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


def _administered_schools(
    errors: ValidationErrors, *, by: User, school_ids: list[int]
) -> list[School] | None:
    """The requested schools, all of which `by` must administer; None if not.

    A school that does not exist answers like one administered by somebody
    else, so the answer never tells which schools exist.
    """
    wanted = set(school_ids)
    schools = list(schools_administered_by(by).filter(pk__in=wanted).order_by("pk"))
    if len(schools) != len(wanted):
        errors.add("schools", _("You can only name schools you administer."))
        return None
    return schools


def _check_membership(
    errors: ValidationErrors, *, user: User, kind: str, schools: list[School]
) -> None:
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
        errors.add("user", message)


def _check_rules(
    errors: ValidationErrors,
    *,
    kind: str | None,
    schools: list[School] | None,
    party_branch: str | None,
    capacity: int | None,
    min_mentees: int | None,
    vetted_until: date | None,
) -> None:
    """The rules about one mentor, each added to `errors` on the field it concerns.

    A value None is not checked (refused already), except `vetted_until`,
    which a volunteer needs; the schools given as None are not counted.
    """
    if schools is not None:
        if kind in STAFF_KINDS and len(schools) != 1:
            errors.add("schools", _("A teacher or leader mentors in exactly one school."))
        if kind == MentorKind.VOLUNTEER and not schools:
            errors.add("schools", _("A volunteer serves at least one school."))
    if kind == MentorKind.VOLUNTEER and vetted_until is None:
        errors.add(
            "vetted_until",
            _("A volunteer must be vetted: give the date the vetting is valid until."),
        )
    if kind == MentorKind.PARTY_TEACHER and party_branch is not None and not party_branch.strip():
        errors.add("party_branch", _("A party-member teacher needs their party branch."))
    if min_mentees is not None:
        if kind in KINDS_WITH_A_MINIMUM and min_mentees < 1:
            errors.add(
                "min_mentees", _("Party-member teachers and leaders mentor at least one student.")
            )
        elif capacity is not None and min_mentees > capacity:
            errors.add(
                "min_mentees", _("The minimum number of mentees cannot exceed the capacity.")
            )


def _conflict_students(
    errors: ValidationErrors, *, by: User, student_ids: list[int], schools: list[School] | None
) -> list[Student]:
    """The students named as conflicts, all of whom must be in the mentor's schools.

    A student of another school answers exactly like one that does not exist.
    With the schools unknown (refused already), the students are looked for in
    the schools `by` administers.
    """
    wanted = set(student_ids)
    scope = schools if schools is not None else schools_administered_by(by)
    students = list(Student.objects.filter(pk__in=wanted, school__in=scope).order_by("pk"))
    if len(students) != len(wanted):
        errors.add(
            "conflicts",
            _("Conflicts must be students of the mentor's schools; check the student ids."),
        )
    return students


def mentor_create_problems(
    errors: ValidationErrors,
    *,
    by: User,
    user_id: int | None,
    kind: str | None,
    school_ids: list[int] | None,
    party_branch: str | None = "",
    capacity: int | None = 3,
    min_mentees: int | None = None,
    vetted_until: date | None = None,
    conflict_ids: list[int] | None = None,
) -> tuple[User | None, list[School] | None, list[Student]]:
    """Add to `errors` everything wrong with making this mentor; answers user, schools, conflicts.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already by the caller).
    `min_mentees` None takes the kind's default.
    """
    schools = None
    if school_ids is not None:
        if not school_ids:
            errors.add("schools", _("Give the school or schools the mentor serves."))
        else:
            schools = _administered_schools(errors, by=by, school_ids=school_ids)
    user = None
    if user_id is not None:
        # Only accounts with a role in the administrator's schools can be named;
        # any other id answers like one that does not exist.
        scope = schools if schools is not None else schools_administered_by(by)
        user = User.objects.filter(pk=user_id, memberships__school__in=scope).distinct().first()
        if user is None:
            errors.add(
                "user", _("This account has no teacher or volunteer role in the given schools.")
            )
        elif Mentor.objects.filter(user=user).exists():
            errors.add("user", _("This account is already a mentor."))
        elif schools is not None and kind is not None:
            _check_membership(errors, user=user, kind=kind, schools=schools)
    if min_mentees is None and kind is not None:
        min_mentees = 1 if kind in KINDS_WITH_A_MINIMUM else 0
    _check_rules(
        errors,
        kind=kind,
        schools=schools,
        party_branch=party_branch,
        capacity=capacity,
        min_mentees=min_mentees,
        vetted_until=vetted_until,
    )
    if (
        kind == MentorKind.VOLUNTEER
        and vetted_until is not None
        and vetted_until < timezone.localdate()
    ):
        errors.add("vetted_until", _("This volunteer's vetting has expired."))
    conflicts = []
    if conflict_ids:
        conflicts = _conflict_students(errors, by=by, student_ids=conflict_ids, schools=schools)
    return user, schools, conflicts


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

    `min_mentees` defaults to 1 for party-member teachers and leaders, 0
    otherwise. Every field is checked before anything is written; all that is
    wrong is refused in one `FieldErrors`.
    """
    user, schools, conflicts = checked(
        mentor_create_problems,
        by=by,
        user_id=user_id,
        kind=kind,
        school_ids=school_ids,
        party_branch=party_branch,
        capacity=capacity,
        min_mentees=min_mentees,
        vetted_until=vetted_until,
        conflict_ids=conflict_ids,
    )
    if min_mentees is None:
        min_mentees = 1 if kind in KINDS_WITH_A_MINIMUM else 0
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


def mentor_update_problems(
    errors: ValidationErrors, *, by: User, mentor: Mentor, fields: dict
) -> tuple[Mentor, list[School] | None, list[Student] | None]:
    """Add to `errors` everything wrong with changing `mentor` so.

    Answers the mentor changed (not saved), its schools and its conflicts
    (None: unchanged). The rules are checked on the mentor as it would be.
    A user who does not administer every school of the mentor is refused
    outright (403). `mentor_update` calls it, and so does a view whose own
    validation refused some fields, with the others.
    """
    fields = dict(fields)
    for name in sorted(set(fields) - CHANGEABLE_FIELDS):
        errors.add(name, _("This field cannot be changed here."))
        fields.pop(name)
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
        schools = _administered_schools(errors, by=by, school_ids=fields.pop("schools"))
    else:
        schools = list(mentor.schools.order_by("pk"))
    conflict_ids = fields.pop("conflicts", None)
    for name, value in fields.items():
        setattr(mentor, name, value)
    mentor.subjects = sorted(set(mentor.subjects))
    mentor.grades = sorted(set(mentor.grades))
    mentor.party_branch = mentor.party_branch.strip()
    if schools is not None:
        _check_membership(errors, user=mentor.user, kind=mentor.kind, schools=schools)
    _check_rules(
        errors,
        kind=mentor.kind,
        schools=schools,
        party_branch=mentor.party_branch,
        capacity=mentor.capacity,
        min_mentees=mentor.min_mentees,
        vetted_until=mentor.vetted_until,
    )
    conflicts = None
    if conflict_ids is not None:
        conflicts = _conflict_students(errors, by=by, student_ids=conflict_ids, schools=schools)
    return mentor, schools, conflicts


@transaction.atomic
def mentor_update(*, by: User, mentor: Mentor, **fields) -> Mentor:
    """Change a mentor; only an administrator of every school the mentor serves may.

    `schools` and `conflicts` (lists of ids) replace the current ones. The
    rules are checked on the mentor as it would be after the change, all at
    once. Deactivating a mentor who still has active pairings is refused:
    those pairings are ended first, each with its reason.
    """
    mentor = Mentor.objects.select_for_update().get(pk=mentor.pk)
    current_school_ids = set(mentor.schools.values_list("pk", flat=True))
    mentor, schools, conflicts = checked(
        mentor_update_problems, by=by, mentor=mentor, fields=fields
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
    if conflicts is None:
        # Conflicts in a school the mentor no longer serves are dropped with it.
        conflicts = list(mentor.conflicts.filter(school__in=schools))
    mentor.save()
    mentor.schools.set(schools)
    mentor.conflicts.set(conflicts)
    return mentor
