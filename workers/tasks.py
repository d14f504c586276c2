"""Celery tasks: ids in, one service call, outcome recorded in the Job."""

import contextlib

from celery import shared_task
from django.conf import settings

from mentoring.models import School
from mentoring.selectors.accounts import account_census, active_accounts_in, schools_administered_by
from mentoring.services.match_runs import match_run_execute_job
from workers.models import Job, JobKind
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


def _census(job, progress):
    if job.school_id is not None:
        schools = [job.school]
    elif job.started_by is not None:
        schools = list(schools_administered_by(job.started_by))
    else:
        schools = list(School.objects.all())
    rows = []
    for done, school in enumerate(schools, start=1):
        rows.append({"school": school.code, "roles": account_census(school=school)})
        progress(done * 100 // len(schools))
    return {"schools": rows, "accounts": active_accounts_in(schools=schools)}


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
    from django.utils import timezone

    day = timezone.localdate().isoformat()
    return job_create(kind=kind, parameters={"day": day}, key=f"{kind}:{day}").pk


@shared_task(name="workers.account_census", **JOB_TASK)
def account_census_task(self, job_id: int) -> None:
    """Count the active accounts of each role in the job's schools."""
    _run(self, job_id, _census)


def _match_run(job, progress):
    return match_run_execute_job(job_id=job.pk, progress=progress)


@shared_task(name="workers.match_run", **JOB_TASK)
def match_run_task(self, job_id: int) -> None:
    """Solve a matching run and write its proposal."""
    _run(self, job_id, _match_run)


def _post_contribution(job, progress):
    from donations.services.contributions import contribution_post

    contribution = contribution_post(contribution_id=job.parameters["contribution"])
    progress(100)
    return {
        "contribution": contribution.pk,
        "receipt_number": contribution.receipt_number,
        "ledger_entry": contribution.ledger_entry_id,
    }


@shared_task(name="workers.post_contribution", **JOB_TASK)
def post_contribution_task(self, job_id: int) -> None:
    """Post a received contribution to its fund account (the social-fund log), once."""
    _run(self, job_id, _post_contribution)


def _check_pledges(job, progress):
    import datetime

    from donations.services.awards import awards_flag_late
    from donations.services.pledges import pledges_mark_overdue

    today = datetime.date.fromisoformat(job.parameters["day"])
    overdue = pledges_mark_overdue(today=today)
    progress(50)
    late = awards_flag_late(today=today)
    progress(100)
    return {"overdue": overdue, "late_awards": late}


@shared_task(name="workers.pledges_daily_check", **JOB_TASK)
def pledges_daily_check_task(self, job_id: int | None = None) -> int:
    """Celery beat, every morning: mark pledges whose due money has not arrived as overdue,
    and flag awards not paid in time (their schools' administrators are notified).

    Beat sends it without a job: the day's job is made once, so the task
    delivered again runs (or finds finished) the same job.
    """
    job_id = _day_job(JobKind.PLEDGE_CHECK, job_id)
    _run(self, job_id, _check_pledges)
    return job_id


def _weekly_check(job, progress):
    import datetime

    from mentoring.services.compliance import compliance_check, terms_to_check

    day = datetime.date.fromisoformat(job.parameters["day"])
    term_id = job.parameters.get("term")
    term_ids = [term_id] if term_id else terms_to_check(day)
    # `since` (on demand, `whole_term`): every week from then is recomputed, which
    # also repairs rows of weeks that no longer count; else only the new weeks.
    since = job.parameters.get("since")
    since = datetime.date.fromisoformat(since) if since else None
    outcomes = []
    for done, term in enumerate(term_ids, start=1):
        outcome = compliance_check(
            term_id=term, today=day, school_ids=job.parameters.get("schools"), since=since
        )
        outcomes.append(outcome.as_dict())
        progress(done * 100 // len(term_ids))
    return {"day": day.isoformat(), "terms": outcomes}


@shared_task(name="workers.weekly_check", **JOB_TASK)
def weekly_check_task(self, job_id: int | None = None) -> int:
    """The weekly tutoring check: compliance rows and reminders of the weeks ended.

    Celery beat sends it without a job (Monday morning): it then checks every
    term whose last week has just ended, in the day's job, made once. The
    on-demand check sends its job.
    """
    job_id = _day_job(JobKind.WEEKLY_CHECK, job_id)
    _run(self, job_id, _weekly_check)
    return job_id


def _refresh_compliance(job, progress):
    import datetime

    from mentoring.services.compliance import compliance_refresh_week

    weeks = [datetime.date.fromisoformat(week) for week in job.parameters["weeks"]]
    # One refresh from the earliest week covers the later ones (and their streaks).
    outcome = compliance_refresh_week(
        pairing_id=job.parameters["pairing"],
        week_start=min(weeks),
        today=datetime.date.fromisoformat(job.parameters["day"]),
    )
    progress(100)
    return {"pairing": job.parameters["pairing"], **(outcome.as_dict() if outcome else {})}


@shared_task(name="workers.compliance_refresh", **JOB_TASK)
def compliance_refresh_task(self, job_id: int) -> None:
    """Refresh a pairing's compliance rows after a session of a checked week changed."""
    _run(self, job_id, _refresh_compliance)


def _term_report(job, progress):
    from workers.models import Report
    from workers.reports import report_build

    return report_build(Report.objects.get(job=job), progress)


@shared_task(name="workers.term_report", **JOB_TASK)
def term_report_task(self, job_id: int) -> None:
    """Build one version of a term report; a money mismatch fails the job, not the worker."""
    from workers.reports import MoneyMismatch

    # A mismatch is recorded in the job and the report; running again would
    # meet the same ledger, so the task ends there.
    with contextlib.suppress(MoneyMismatch):
        _run(self, job_id, _term_report)


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
    """Celery beat, every minute: send pending jobs again, end jobs whose worker was lost."""
    return jobs_reap()


def task_for(job: Job):
    """The task that runs a job of this kind (what the reaper sends again)."""
    if job.kind == JobKind.WEEKLY_CHECK and "pairing" in job.parameters:
        return compliance_refresh_task
    return {
        JobKind.ACCOUNT_CENSUS: account_census_task,
        JobKind.MATCH_RUN: match_run_task,
        JobKind.CONTRIBUTION_POSTING: post_contribution_task,
        JobKind.PLEDGE_CHECK: pledges_daily_check_task,
        JobKind.WEEKLY_CHECK: weekly_check_task,
        JobKind.TERM_REPORT: term_report_task,
    }[job.kind]
