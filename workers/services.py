"""The life of a Job: created, claimed by a worker, progressing, finished.

Every state change is a conditional UPDATE, so two workers that receive the
same task (a redelivery after a lost worker, or a task sent twice) cannot both
move a job, and a finished job is never run again.
"""

import logging
from collections.abc import Callable

from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from mentoring.models import School, User
from workers.models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


def job_create(
    *,
    kind: JobKind,
    started_by: User | None = None,
    school: School | None = None,
    parameters: dict | None = None,
) -> Job:
    return Job.objects.create(
        kind=kind, started_by=started_by, school=school, parameters=parameters or {}
    )


def job_claim(*, job_id: int, worker: str = "") -> Job | None:
    """Mark the job running for this attempt; None when it has already finished.

    A job found running is claimed again: with acks_late, that is a task whose
    worker died, re-delivered by the broker, and the work is safe to repeat.
    """
    claimed = Job.objects.filter(
        pk=job_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
    ).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        error="",
        worker=worker[:200],
    )
    if not claimed:
        if not Job.objects.filter(pk=job_id).exists():
            raise Job.DoesNotExist(f"Job {job_id} does not exist.")
        logger.info("Job %s has already finished; nothing to do.", job_id)
        return None
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: int, progress: int) -> None:
    """Record progress (0-100). Progress never goes backwards."""
    progress = max(0, min(100, int(progress)))
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=Greatest(F("progress"), progress)
    )


def job_succeed(*, job_id: int, result: dict) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED, progress=100, result=result, finished_at=timezone.now()
        )
    )


def job_fail(*, job_id: int, error: str) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=error[:10_000], finished_at=timezone.now()
        )
    )


def run_job(*, job_id: int, work: Callable[[Job, Progress], dict], worker: str = "") -> dict | None:
    """Run `work` for a job and record its outcome; the one body of every task.

    `work` receives the job and a progress callback and returns the result (a
    JSON-serialisable dict). The work is not wrapped in one transaction: its
    writes go through services, each atomic, so that progress recorded between
    steps is visible to readers while the job runs, and a repeated run must
    find each step done (idempotent services). Returns the result, or None if
    the job had already finished.
    """
    job = job_claim(job_id=job_id, worker=worker)
    if job is None:
        return None

    def progress(value: int) -> None:
        job_progress(job_id=job_id, progress=value)

    try:
        result = work(job, progress)
    except Exception as exc:
        job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        logger.exception("Job %s failed.", job_id)
        raise
    if not job_succeed(job_id=job_id, result=result):
        # Another attempt finished the job first; its result stands.
        logger.info("Job %s was finished by another attempt; result discarded.", job_id)
        return None
    return result
