"""Which Celery task runs a job: the one map from a Job's kind to its task.

The services that send a job without being asked by a task (the reaper
sending a lost job again, a report's start) find its task here. The map
names each task by its registered name and takes it from the Celery app's
registry, as the `shared_task` proxies in `workers.tasks` do themselves, so
this module imports no task: `workers.tasks` imports the services, and
nothing the tasks import imports them back.

The registry holds the tasks once `workers.tasks` is imported, which the
app's `ready()` does (through `workers.receivers`) in every process, and a
Celery worker does again when it discovers tasks.
"""

from celery import Task, current_app

from workers.models import Job, JobKind

# The `name=` of each job's task (workers.tasks), by the job's kind.
TASK_NAMES = {
    JobKind.ACCOUNT_CENSUS: "workers.account_census",
    JobKind.MATCH_RUN: "workers.match_run",
    JobKind.CONTRIBUTION_POSTING: "workers.post_contribution",
    JobKind.PLEDGE_CHECK: "workers.pledges_daily_check",
    JobKind.WEEKLY_CHECK: "workers.weekly_check",
    JobKind.TERM_REPORT: "workers.term_report",
    JobKind.PROVINCE_TERM: "workers.province_term",
    JobKind.PROVINCE_COUNTY: "workers.province_county",
    JobKind.REMINDER_MAIL: "workers.reminder_mail",
}
# A weekly-check job made for one pairing refreshes that pairing's rows only.
COMPLIANCE_REFRESH = "workers.compliance_refresh"


def task_name_for(job: Job) -> str:
    if job.kind == JobKind.WEEKLY_CHECK and "pairing" in job.parameters:
        return COMPLIANCE_REFRESH
    return TASK_NAMES[job.kind]


def task_for(job: Job) -> Task:
    """The task that runs a job of this kind (what the reaper sends again)."""
    return current_app.tasks[task_name_for(job)]
