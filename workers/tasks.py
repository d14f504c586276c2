"""Celery tasks: ids in, one service call, outcome recorded in the Job."""

import contextlib

from celery import shared_task

from mentoring.models import School
from mentoring.selectors.accounts import account_census, active_accounts_in, schools_administered_by
from workers.services import run_job


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


@shared_task(bind=True, name="workers.account_census")
def account_census_task(self, job_id: int) -> None:
    """Count the active accounts of each role in the job's schools."""
    run_job(job_id=job_id, work=_census, worker=worker_name(self))


def _match_run(job, progress):
    from workers.matching import match_run_execute
    from workers.models import MatchRun, MatchRunStatus

    run = MatchRun.objects.get(job=job)
    if run.status == MatchRunStatus.PENDING:
        MatchRun.objects.filter(pk=run.pk).update(status=MatchRunStatus.RUNNING)
    try:
        return match_run_execute(run, progress)
    except Exception:
        MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.RUNNING).update(
            status=MatchRunStatus.FAILED
        )
        raise


@shared_task(bind=True, name="workers.match_run")
def match_run_task(self, job_id: int) -> None:
    """Solve a matching run and write its proposal."""
    run_job(job_id=job_id, work=_match_run, worker=worker_name(self))


def _post_contribution(job, progress):
    from donations.services import contribution_post

    contribution = contribution_post(contribution_id=job.parameters["contribution"])
    progress(100)
    return {
        "contribution": contribution.pk,
        "receipt_number": contribution.receipt_number,
        "ledger_entry": contribution.ledger_entry_id,
    }


@shared_task(bind=True, name="workers.post_contribution")
def post_contribution_task(self, job_id: int) -> None:
    """Post a received contribution to its fund account (the social-fund log), once."""
    run_job(job_id=job_id, work=_post_contribution, worker=worker_name(self))


def _check_pledges(job, progress):
    import datetime

    from donations.aid import awards_flag_late
    from donations.services import pledges_mark_overdue

    today = datetime.date.fromisoformat(job.parameters["day"])
    overdue = pledges_mark_overdue(today=today)
    progress(50)
    late = awards_flag_late(today=today)
    progress(100)
    return {"overdue": overdue, "late_awards": late}


@shared_task(bind=True, name="workers.pledges_daily_check")
def pledges_daily_check_task(self) -> int:
    """Celery beat, every morning: mark pledges whose due money has not arrived as overdue,
    and flag awards not paid in time (their schools' administrators are notified)."""
    from django.utils import timezone

    from workers.models import JobKind
    from workers.services import job_create

    job = job_create(
        kind=JobKind.PLEDGE_CHECK, parameters={"day": timezone.localdate().isoformat()}
    )
    run_job(job_id=job.pk, work=_check_pledges, worker=worker_name(self))
    return job.pk


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


@shared_task(bind=True, name="workers.weekly_check")
def weekly_check_task(self, job_id: int | None = None) -> int:
    """The weekly tutoring check: compliance rows and reminders of the weeks ended.

    Celery beat sends it without a job (Monday morning): it then checks every
    term whose last week has just ended. The on-demand check sends its job.
    """
    if job_id is None:
        from django.utils import timezone

        from workers.models import JobKind
        from workers.services import job_create

        job_id = job_create(
            kind=JobKind.WEEKLY_CHECK, parameters={"day": timezone.localdate().isoformat()}
        ).pk
    run_job(job_id=job_id, work=_weekly_check, worker=worker_name(self))
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


@shared_task(bind=True, name="workers.compliance_refresh")
def compliance_refresh_task(self, job_id: int) -> None:
    """Refresh a pairing's compliance rows after a session of a checked week changed."""
    run_job(job_id=job_id, work=_refresh_compliance, worker=worker_name(self))


def _term_report(job, progress):
    from workers.models import Report
    from workers.reports import report_build

    return report_build(Report.objects.get(job=job), progress)


@shared_task(bind=True, name="workers.term_report")
def term_report_task(self, job_id: int) -> None:
    """Build one version of a term report; a money mismatch fails the job, not the worker."""
    from workers.reports import MoneyMismatch

    # A mismatch is recorded in the job and the report; running again would
    # meet the same ledger, so the task ends there.
    with contextlib.suppress(MoneyMismatch):
        run_job(job_id=job_id, work=_term_report, worker=worker_name(self))


@shared_task(name="workers.flush_expired_tokens")
def flush_expired_tokens_task() -> None:
    """Celery beat, every night: forget refresh tokens past their expiry.

    Each login and each refresh records a token (simplejwt's token_blacklist);
    an expired one is refused by its signature anyway, so its rows only grow
    the tables. Safe to run twice: the second run finds nothing to delete.
    """
    from django.core.management import call_command

    call_command("flushexpiredtokens")
