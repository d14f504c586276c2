"""Starting background jobs: create the Job, send its task once the row is committed."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from mentoring.models import School, Term, User
from mentoring.selectors.accounts import schools_administered_by
from workers.models import Job, JobKind
from workers.services import job_create, job_send_on_commit
from workers.tasks import account_census_task, weekly_check_task


@transaction.atomic
def account_census_start(*, by: User | None, school: School | None = None) -> Job:
    job = job_create(
        kind=JobKind.ACCOUNT_CENSUS,
        started_by=by,
        school=school,
        parameters={"school": school.code if school else None},
    )
    job_send_on_commit(task=account_census_task, job_id=job.pk)
    return job


@transaction.atomic
def weekly_check_start(*, by: User, term_id: int, whole_term: bool = False) -> Job:
    """Check a term's weeks now, for the schools `by` administers in its district.

    A term outside the administrator's districts answers like one that does
    not exist. The job checks the weeks ended by today, the day it was started,
    so that running it again gives the same rows.
    """
    administered = schools_administered_by(by)
    term = Term.objects.filter(pk=term_id, district__schools__in=administered).distinct().first()
    if term is None:
        raise DomainError(_("Unknown term."), field="term")
    schools = list(administered.filter(district=term.district).order_by("pk"))
    job = job_create(
        kind=JobKind.WEEKLY_CHECK,
        started_by=by,
        school=schools[0] if len(schools) == 1 else None,
        parameters={
            "term": term.pk,
            "term_code": term.code,
            # A platform administrator checks the whole term.
            "schools": None if by.is_superuser else [school.pk for school in schools],
            "day": timezone.localdate().isoformat(),
            # Like the Monday check, the weeks since each pairing's last stored
            # row; `whole_term` recomputes every week (and drops rows of weeks
            # that no longer count, e.g. a holiday week added later).
            "since": term.start_date.isoformat() if whole_term else None,
        },
    )
    job_send_on_commit(task=weekly_check_task, job_id=job.pk)
    return job
