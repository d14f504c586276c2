"""Who reads the access log, and which of its entries.

District administrators (administrators of every school of a district) read
the entries that served students of their districts, and of each entry only
those students; platform administrators read everything. Nobody else reads
the log.
"""

from django.db.models import Prefetch, QuerySet

from core.permissions import is_active_account
from mentoring.models import AccessLogEntry, AccessLogStudent, User
from mentoring.selectors.accounts import districts_administered_by


def may_read_access_log(user: User) -> bool:
    return districts_administered_by(user).exists()


def access_log_students_visible_to(user: User) -> QuerySet[AccessLogStudent]:
    if not is_active_account(user):
        return AccessLogStudent.objects.none()
    if user.is_superuser:
        return AccessLogStudent.objects.all()
    return AccessLogStudent.objects.filter(
        student__school__district__in=districts_administered_by(user)
    )


def access_log_visible_to(user: User) -> QuerySet[AccessLogEntry]:
    """Entries that served a student the user may audit, each with `visible_students` prefetched."""
    students = access_log_students_visible_to(user)
    entries = AccessLogEntry.objects.all()
    if not user.is_superuser:
        entries = entries.filter(pk__in=students.values("entry"))
    # The user is prefetched, not joined: an entry of an account deleted since
    # (kept as a plain id) must not drop out of an inner join.
    return entries.prefetch_related(
        "user",
        Prefetch("students", queryset=students.order_by("student_id"), to_attr="visible_students"),
    )
