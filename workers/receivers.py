"""Jobs started by events of the domain apps."""

from django.dispatch import receiver

from donations.signals import contribution_received
from mentoring.signals import match_run_started, session_changed
from workers.models import Job, JobKind
from workers.services import job_create, job_send_on_commit
from workers.tasks import compliance_refresh_task, match_run_task, post_contribution_task


@receiver(contribution_received, dispatch_uid="workers.post_contribution")
def post_contribution_in_background(sender, contribution_id: int, by=None, **kwargs):
    job = job_create(
        kind=JobKind.CONTRIBUTION_POSTING,
        started_by=by,
        parameters={"contribution": contribution_id},
    )
    job_send_on_commit(task=post_contribution_task, job_id=job.pk)


@receiver(match_run_started, dispatch_uid="workers.match_run")
def match_run_in_background(sender, run, schools, by, **kwargs):
    """A run was recorded: its job, in the same transaction, and its task after commit."""
    job = job_create(
        kind=JobKind.MATCH_RUN,
        started_by=by,
        school=schools[0] if len(schools) == 1 else None,
        parameters={
            "term": run.term.code,
            "schools": sorted(s.code for s in schools),
            "run": run.pk,
        },
    )
    run.job = job
    run.save(update_fields=["job"])
    job_send_on_commit(task=match_run_task, job_id=job.pk)


@receiver(session_changed, dispatch_uid="workers.refresh_compliance")
def refresh_compliance_in_background(sender, pairing_id: int, days, by=None, **kwargs):
    """A session of a week already checked changed: refresh that pairing's rows after commit.

    Weeks not checked yet (the current one, or ended weeks the Monday check
    has not reached) have no row; the weekly check computes them when it runs.
    """
    from django.utils import timezone

    from mentoring.models import WeeklyCompliance
    from mentoring.school_weeks import week_has_ended
    from mentoring.workdays import week_monday

    today = timezone.localdate()
    weeks = sorted({week_monday(day) for day in days if week_has_ended(week_monday(day), today)})
    if not weeks:
        return
    school_id = (
        WeeklyCompliance.objects.filter(pairing_id=pairing_id, week_start__in=weeks)
        # Any of the pairing's rows names its school: ordered by the key, not by the
        # model's default, which joined the term, school, mentor and pairing for nothing.
        .order_by("pk")
        .values_list("school_id", flat=True)
        .first()
    )
    if school_id is None:
        return
    job = job_create(
        kind=JobKind.WEEKLY_CHECK,
        started_by=by,
        parameters={
            "pairing": pairing_id,
            "weeks": [week.isoformat() for week in weeks],
            "day": today.isoformat(),
        },
    )
    Job.objects.filter(pk=job.pk).update(school_id=school_id)
    job_send_on_commit(task=compliance_refresh_task, job_id=job.pk)
