"""Starting background jobs: create the Job, send its task once the row is committed."""

from django.db import transaction

from mentoring.models import School, User
from workers.models import Job, JobKind
from workers.services import job_create
from workers.tasks import account_census_task


@transaction.atomic
def account_census_start(*, by: User | None, school: School | None = None) -> Job:
    job = job_create(
        kind=JobKind.ACCOUNT_CENSUS,
        started_by=by,
        school=school,
        parameters={"school": school.code if school else None},
    )
    account_census_task.delay_on_commit(job.pk)
    return job
