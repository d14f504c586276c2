"""Jobs started by events of the domain apps."""

from django.dispatch import receiver
from django.utils import timezone

from donations.signals import contribution_received
from mentoring.models import School
from mentoring.school_weeks import week_label
from mentoring.selectors.compliance_refresh import compliance_refresh_due
from mentoring.signals import match_run_started, reminders_stored, session_changed
from workers.models import JobKind
from workers.services import job_create, job_send_on_commit
from workers.tasks import (
    compliance_refresh_task,
    match_run_task,
    post_contribution_task,
    reminder_mail_task,
)


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
    """A session changed: refresh the pairing's rows of the weeks it concerns, after commit.

    Which weeks, if any, is the domain's answer (`compliance_refresh_due`).
    """
    today = timezone.localdate()
    due = compliance_refresh_due(pairing_id=pairing_id, days=days, today=today)
    if due is None:
        return
    job = job_create(
        kind=JobKind.WEEKLY_CHECK,
        started_by=by,
        # The school by its key, as the rows name it: no query to read it.
        school=School(pk=due.school_id),
        parameters={
            "pairing": pairing_id,
            "weeks": [week.isoformat() for week in due.weeks],
            "day": today.isoformat(),
        },
    )
    job_send_on_commit(task=compliance_refresh_task, job_id=job.pk)


@receiver(reminders_stored, dispatch_uid="workers.reminder_mail")
def mail_reminders_in_background(sender, term_id: int, week, **kwargs):
    """The weekly check stored reminders: their e-mails in a job of their own, after commit.

    A task that cannot be sent (the broker away) leaves its job pending and
    the check unharmed: the reaper sends it again, and any later run of the
    task mails what an earlier one left (`reminders_mail`).
    """
    job = job_create(
        kind=JobKind.REMINDER_MAIL, parameters={"term": term_id, "week": week_label(week)}
    )
    job_send_on_commit(task=reminder_mail_task, job_id=job.pk)
