"""Who sees which records. Every list and detail endpoint starts from these.

Scoping happens in the queryset, so a record outside a user's scope answers
404 and its existence is never revealed.

- administrators (and platform administrators): everything in the schools
  they administer;
- teachers and volunteers: only their own mentees (students in their active
  or ended pairings), those pairings and their sessions; what a teacher may
  do for a student as their teacher (propose them for identification) needs
  an active pairing (`students_taught_by`);
- donors and supervisors: no student, pairing or session records.
"""

from django.db.models import Q, QuerySet

from core.permissions import is_active_account
from mentoring.models import (
    PAIRED_STATUSES,
    District,
    Pairing,
    PairingStatus,
    Role,
    School,
    Student,
    SubjectScore,
    Term,
    TutoringSession,
    User,
)
from mentoring.selectors.accounts import schools_administered_by

# A mentor sees a pairing once it is approved, and keeps seeing it after it ends.
MENTOR_VISIBLE_STATUSES = PAIRED_STATUSES
# The roles that take part in mentoring: their holders may have mentees (teachers
# and leaders, who may hold the administrator role, and volunteers), and read
# mentoring records within their scope. Donors and supervisors never do, even if
# a mentor profile were created for them by mistake.
MENTORING_ROLES = frozenset({Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER})


def schools_visible_to(user: User) -> QuerySet[School]:
    """Schools a user has any role in (all for a platform administrator)."""
    if not is_active_account(user):
        return School.objects.none()
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(memberships__user=user).distinct()


def districts_visible_to(user: User) -> QuerySet[District]:
    """The districts of the schools a user has any role in (all for a platform administrator)."""
    if not is_active_account(user):
        return District.objects.none()
    if user.is_superuser:
        return District.objects.all()
    return District.objects.filter(pk__in=schools_visible_to(user).values("district"))


def terms_visible_to(user: User) -> QuerySet[Term]:
    """The terms of the districts of the schools a user has any role in.

    A platform administrator sees every term, also of a district whose
    schools are not added yet (it may create them there).
    """
    if not is_active_account(user):
        return Term.objects.none()
    terms = Term.objects.select_related("district")
    if user.is_superuser:
        return terms
    return terms.filter(district__in=schools_visible_to(user).values("district"))


def roles_of(user: User) -> set[str]:
    return user.roles() if is_active_account(user) else set()


def students_visible_to(user: User) -> QuerySet[Student]:
    if not is_active_account(user):
        return Student.objects.none()
    if user.is_superuser:
        return Student.objects.all()
    administered = schools_administered_by(user)
    # Two subqueries, not a join with the pairings: joined, every student came
    # once per pairing and needed DISTINCT over all its columns, which the
    # page and its count paid for on every list (bench/api.py).
    mentored = Pairing.objects.filter(mentor__user=user, status__in=MENTOR_VISIBLE_STATUSES).values(
        "student_id"
    )
    return Student.objects.filter(Q(school__in=administered) | Q(pk__in=mentored))


def students_taught_by(user: User) -> QuerySet[Student]:
    """The students a teacher teaches: those they mentor through an active pairing,
    in a school where they hold the teacher role.

    Bangfu records no class teacher (班主任): a student's term record has a
    grade and a class name, and a teacher's membership a role per school,
    but nothing ties a teacher to a class. An active pairing is the one
    record that says who teaches whom.
    """
    if not is_active_account(user):
        return Student.objects.none()
    # One filter() call, so that the pairing and the membership conditions
    # each hold for one and the same row.
    return Student.objects.filter(
        pairings__mentor__user=user,
        pairings__status=PairingStatus.ACTIVE,
        school__memberships__user=user,
        school__memberships__role=Role.TEACHER,
    ).distinct()


def pairings_visible_to(user: User) -> QuerySet[Pairing]:
    if not is_active_account(user):
        return Pairing.objects.none()
    if user.is_superuser:
        return Pairing.objects.all()
    return Pairing.objects.filter(
        Q(student__school__in=schools_administered_by(user))
        | Q(mentor__user=user, status__in=MENTOR_VISIBLE_STATUSES)
    )


def sessions_visible_to(user: User) -> QuerySet[TutoringSession]:
    if not is_active_account(user):
        return TutoringSession.objects.none()
    if user.is_superuser:
        return TutoringSession.objects.all()
    return TutoringSession.objects.filter(
        Q(pairing__student__school__in=schools_administered_by(user))
        | Q(pairing__mentor__user=user, pairing__status__in=MENTOR_VISIBLE_STATUSES)
    )


def administers_school(user: User, school_id: int) -> bool:
    return schools_administered_by(user).filter(pk=school_id).exists()


def students_scored_by(user: User) -> QuerySet[Student]:
    """The students whose scores a user may enter or change.

    Administrators of the student's school (a district's administrators hold
    the role in each of its schools), and the student's mentors through an
    active pairing, whatever the mentor's kind: Bangfu records no class
    teacher (see `students_taught_by`), and the teacher who tutors a
    struggling student is the one who knows the scores. A mentor whose
    pairing ended still reads the scores (`students_visible_to`) but no
    longer changes them.
    """
    if not is_active_account(user):
        return Student.objects.none()
    if user.is_superuser:
        return Student.objects.all()
    mentored = Pairing.objects.filter(mentor__user=user, status=PairingStatus.ACTIVE).values(
        "student_id"
    )
    return Student.objects.filter(Q(school__in=schools_administered_by(user)) | Q(pk__in=mentored))


def scores_visible_to(user: User) -> QuerySet[SubjectScore]:
    """Scores of the students a user sees (`students_visible_to`): the student detail's scope."""
    if not is_active_account(user):
        return SubjectScore.objects.none()
    if user.is_superuser:
        return SubjectScore.objects.all()
    return SubjectScore.objects.filter(record__student__in=students_visible_to(user))
