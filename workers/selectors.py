from django.db.models import Q, QuerySet

from core.permissions import is_active_account
from mentoring.models import User
from mentoring.selectors.accounts import schools_administered_by
from workers.models import Job


def jobs_visible_to(user: User) -> QuerySet[Job]:
    """Jobs a user started, and jobs of the schools they administer."""
    jobs = Job.objects.select_related("school", "started_by")
    if not is_active_account(user):
        return jobs.none()
    if user.is_superuser:
        return jobs
    return jobs.filter(Q(started_by=user) | Q(school__in=schools_administered_by(user)))
