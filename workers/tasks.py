"""Celery tasks: ids in, one service call, outcome recorded in the Job."""

import contextlib
import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from donations.services.contributions import contribution_post_receipt
from donations.services.daily_check import donations_daily_check
from mentoring.selectors.census import accounts_census
from mentoring.services.compliance_reminders import reminders_mail
from mentoring.services.match_runs import match_run_execute_job
from mentoring.services.weekly_check import compliance_check_terms, compliance_refresh_weeks
from workers.dispatch import COMPLIANCE_REFRESH, TASK_NAMES
from workers.models import JobKind
from workers.province import (
    province_county_run,
    province_fan_out,
    province_settle_for_part,
    provinces_settle,
)
from workers.reports import MoneyMismatch, report_build_for_job
from workers.services import TRANSIENT_ERRORS, job_create, jobs_reap, run_job

# The retry policy of every job's task: the database or the broker away for a
# moment is tried again, 2, 4, 8 s later (with jitter); the job stays running
# meanwhile and fails on the last attempt (workers.services.run_job).
JOB_TASK = {
    "bind": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 3,
}


def worker_name(task) -> str:
    return task.request.hostname or "in-process"


def _run(task, job_id: int, work):
    request = task.request
    return run_job(
        job_id=job_id,
        work=work,
        worker=worker_name(task),
        task_id=request.id or "",
        # An eager task's error goes to its caller, with no retry to wait for.
        last_attempt=request.is_eager or request.retries >= task.max_retries,
        # Eager tasks run in the caller's thread, which a heartbeat cannot outlive.
        heartbeat=not request.is_eager,
    )


def _day_job(kind: JobKind, job_id: int | None) -> int:
    """The job of a periodic task: its own when sent with one, else today's, made once."""
    if job_id is not None:
        return job_id
    day = timezone.localdate().isoformat()
    return job_create(kind=kind, parameters={"day": day}, key=f"{kind}:{day}").pk


# Each job's work: the job's ids and parameters in, one domain service, its result out.


def _census(job, progress):
    return accounts_census(school_id=job.school_id, by_id=job.started_by_id, progress=progress)


def _match_run(job, progress):
    return match_run_execute_job(job_id=job.pk, progress=progress)


def _post_contribution(job, progress):
    return contribution_post_receipt(
        contribution_id=job.parameters["contribution"], progress=progress
    )


def _check_pledges(job, progress):
    return donations_daily_check(
        today=datetime.date.fromisoformat(job.parameters["day"]), progress=progress
    )


def _weekly_check(job, progress):
    since = job.parameters.get("since")
    return compliance_check_terms(
        day=datetime.date.fromisoformat(job.parameters["day"]),
        term_id=job.parameters.get("term"),
        school_ids=job.parameters.get("schools"),
        since=datetime.date.fromisoformat(since) if since else None,
        progress=progress,
    )


def _refresh_compliance(job, progress):
    return compliance_refresh_weeks(
        pairing_id=job.parameters["pairing"],
        weeks=[datetime.date.fromisoformat(week) for week in job.parameters["weeks"]],
        today=datetime.date.fromisoformat(job.parameters["day"]),
        progress=progress,
    )


def _reminder_mail(job, progress):
    return reminders_mail(progress=progress)


def _term_report(job, progress):
    return report_build_for_job(job_id=job.pk, progress=progress)


def _province_county(job, progress):
    return province_county_run(job_id=job.pk, progress=progress)


@shared_task(name=TASK_NAMES[JobKind.ACCOUNT_CENSUS], **JOB_TASK)
def account_census_task(self, job_id: int) -> None:
    """Count the active accounts of each role in the job's schools."""
    _run(self, job_id, _census)


@shared_task(name=TASK_NAMES[JobKind.MATCH_RUN], **JOB_TASK)
def match_run_task(self, job_id: int) -> None:
    """Solve a matching run and write its proposal."""
    _run(self, job_id, _match_run)


@shared_task(name=TASK_NAMES[JobKind.CONTRIBUTION_POSTING], **JOB_TASK)
def post_contribution_task(self, job_id: int) -> None:
    """Post a received contribution to its fund account (the social-fund log), once."""
    _run(self, job_id, _post_contribution)


@shared_task(name=TASK_NAMES[JobKind.PLEDGE_CHECK], **JOB_TASK)
def pledges_daily_check_task(self, job_id: int | None = None) -> int:
    """Celery beat, every morning: mark pledges whose due money has not arrived as overdue,
    and flag awards not paid in time (their schools' administrators are notified).

    Beat sends it without a job: the day's job is made once, so the task
    delivered again runs (or finds finished) the same job.
    """
    job_id = _day_job(JobKind.PLEDGE_CHECK, job_id)
    _run(self, job_id, _check_pledges)
    return job_id


@shared_task(name=TASK_NAMES[JobKind.WEEKLY_CHECK], **JOB_TASK)
def weekly_check_task(self, job_id: int | None = None) -> int:
    """The weekly tutoring check: compliance rows and reminders of the weeks ended.

    Celery beat sends it without a job (Monday morning): it then checks every
    term whose last week has just ended, in the day's job, made once. The
    on-demand check sends its job.
    """
    job_id = _day_job(JobKind.WEEKLY_CHECK, job_id)
    _run(self, job_id, _weekly_check)
    return job_id


@shared_task(name=COMPLIANCE_REFRESH, **JOB_TASK)
def compliance_refresh_task(self, job_id: int) -> None:
    """Refresh a pairing's compliance rows after a session of a checked week changed."""
    _run(self, job_id, _refresh_compliance)


@shared_task(name=TASK_NAMES[JobKind.REMINDER_MAIL], **JOB_TASK)
def reminder_mail_task(self, job_id: int) -> None:
    """E-mail the weekly check's reminders not yet mailed, each once, apart from the check."""
    _run(self, job_id, _reminder_mail)


@shared_task(name=TASK_NAMES[JobKind.TERM_REPORT], **JOB_TASK)
def term_report_task(self, job_id: int) -> None:
    """Build one version of a term report; a money mismatch fails the job, not the worker."""
    # A mismatch is recorded in the job and the report; running again would
    # meet the same ledger, so the task ends there.
    with contextlib.suppress(MoneyMismatch):
        _run(self, job_id, _term_report)


@shared_task(name=TASK_NAMES[JobKind.PROVINCE_TERM], **JOB_TASK)
def province_term_task(self, job_id: int) -> list[int]:
    """A province's term: send one task per county (a Celery group); the parts sent."""
    return province_fan_out(job_id=job_id, worker=worker_name(self), task_id=self.request.id or "")


@shared_task(name=TASK_NAMES[JobKind.PROVINCE_COUNTY], **JOB_TASK)
def province_county_task(self, job_id: int) -> None:
    """One county of a province's term: its matching, then its report; retried alone."""
    try:
        # A money mismatch fails the part, as it fails a county's own report.
        with contextlib.suppress(MoneyMismatch):
            _run(self, job_id, _province_county)
    finally:
        # The part that ends last ends the province's job; a part whose retry
        # is coming has not ended, and this changes nothing then.
        province_settle_for_part(part_id=job_id)


@shared_task(
    name="workers.flush_expired_tokens",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=3,
)
def flush_expired_tokens_task() -> None:
    """Celery beat, every night: forget refresh tokens past their expiry.

    Each login and each refresh records a token (simplejwt's token_blacklist);
    an expired one is refused by its signature anyway, so its rows only grow
    the tables. Safe to run twice: the second run finds nothing to delete.
    """
    from django.core.management import call_command

    call_command("flushexpiredtokens")


@shared_task(
    name="workers.reap_jobs",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=2,
    # A reaper that could not run in time is replaced by the next one.
    expires=settings.JOB_REAP_EVERY,
)
def reap_jobs_task() -> dict:
    """Celery beat, every minute: send pending jobs again, end jobs whose worker was lost,
    and end the province jobs whose parts have all ended."""
    return {**jobs_reap(), "settled": provinces_settle()}
