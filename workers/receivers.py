"""Jobs started by events of the domain apps."""

from django.dispatch import receiver

from donations.signals import contribution_received
from workers.models import JobKind
from workers.services import job_create


@receiver(contribution_received, dispatch_uid="workers.post_contribution")
def post_contribution_in_background(sender, contribution_id: int, by=None, **kwargs):
    from workers.tasks import post_contribution_task

    job = job_create(
        kind=JobKind.CONTRIBUTION_POSTING,
        started_by=by,
        parameters={"contribution": contribution_id},
    )
    post_contribution_task.delay_on_commit(job.pk)
