"""The life of a Job: created, sent, claimed by a worker, progressing, finished.

Every state change is a conditional UPDATE, so two workers that receive the
same task (a redelivery after a lost worker, or a task sent twice) cannot both
move a job, and a finished job is never run again. The database is the truth:
a task that could not be sent leaves its job pending, and `jobs_reap` (a
periodic task) sends it again, and ends the jobs whose worker was lost.
"""

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from core.jobs import Progress
from mentoring.models import MatchRun, MatchRunStatus, School, User
from workers.dispatch import task_for
from workers.models import Job, JobKind, JobStatus, Report, ReportStatus

logger = logging.getLogger(__name__)

# Errors a later attempt may not meet: the database or the broker away for a
# moment. Tasks retry on them (workers.tasks); other errors fail the job.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, RedisError)
# What sending a task raises when Redis is down or does not answer in time.
PUBLISH_ERRORS = (BrokerError, RedisError, OSError)


def job_create(
    *,
    kind: JobKind,
    started_by: User | None = None,
    school: School | None = None,
    parameters: dict | None = None,
    key: str | None = None,
    parent: Job | None = None,
) -> Job:
    """A new pending job (a part of `parent`, if given); with a `key`, the job of that key,
    made the first time only."""
    if key is None:
        return Job.objects.create(
            kind=kind,
            started_by=started_by,
            school=school,
            parameters=parameters or {},
            parent=parent,
        )
    existing = Job.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Job.objects.create(
                kind=kind,
                started_by=started_by,
                school=school,
                parameters=parameters or {},
                key=key,
            )
    except IntegrityError:
        # The same occasion's task, delivered twice at once: the other made it.
        return Job.objects.get(key=key)


def job_send(*, task, job_id: int, task_id: str | None = None) -> bool:
    """Send the job's task; False, with the job left pending, when the broker is away.

    The job's row is committed and is the truth: answering the request with
    an error now would only make the client repeat what is already recorded,
    and the reaper sends a pending job's task again once the broker is back.
    Eager mode (no broker) runs the task here, and its errors are the task's.
    """
    if task.app.conf.task_always_eager:
        task.apply_async((job_id,), task_id=task_id)
        return True
    try:
        task.apply_async((job_id,), task_id=task_id)
    except PUBLISH_ERRORS as exc:
        logger.warning(
            "Job %s stays pending: its task %s could not be sent (%s: %s); "
            "the reaper sends it again.",
            job_id,
            task.name,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def job_send_on_commit(*, task, job_id: int) -> None:
    """Send the job's task once the current transaction commits (its rows are then readable)."""
    transaction.on_commit(lambda: job_send(task=task, job_id=job_id))


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)


def job_claim(*, job_id: int, worker: str = "", task_id: str = "") -> Job | None:
    """Mark the job running for this attempt; None when it has finished or another attempt holds it.

    A job found running is claimed again by the same task (`task_id`): with
    acks_late, that is a task whose worker died, re-delivered by the broker,
    or the task's own retry, and the work is safe to repeat. A job running
    under another task id is left to it while its heartbeat is recent: that
    message is a copy (the reaper's, or a task sent twice).
    """
    now = timezone.now()
    claimable = (
        Q(status=JobStatus.PENDING)
        | Q(status=JobStatus.RUNNING, task_id=task_id)
        | Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True)
        | Q(status=JobStatus.RUNNING, heartbeat_at__lt=_stale_before(now))
    )
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        error="",
        worker=worker[:200],
        task_id=task_id[:255],
    )
    if not claimed:
        job = Job.objects.filter(pk=job_id).only("status").first()
        if job is None:
            raise Job.DoesNotExist(f"Job {job_id} does not exist.")
        if job.status == JobStatus.RUNNING:
            logger.info("Job %s is running in another attempt; this copy leaves it.", job_id)
        else:
            logger.info("Job %s has already finished; nothing to do.", job_id)
        return None
    return Job.objects.get(pk=job_id)


def job_heartbeat(*, job_id: int, task_id: str = "") -> bool:
    """Say that the attempt holding the job is alive; False once it no longer holds it."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, task_id=task_id).update(
            heartbeat_at=timezone.now()
        )
    )


def job_progress(*, job_id: int, progress: int) -> None:
    """Record progress (0-100). Progress never goes backwards."""
    progress = max(0, min(100, int(progress)))
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=Greatest(F("progress"), progress), heartbeat_at=timezone.now()
    )


def job_succeed(*, job_id: int, result: dict) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED, progress=100, result=result, finished_at=timezone.now()
        )
    )


def _on_a_working_connection(write: Callable[[], bool], *, tries: int = 5) -> bool:
    """Run `write`, on a new database connection if the current one has failed.

    A soft time limit raised in the middle of a query leaves the connection
    busy ("another command is already in progress"), and a restarted
    PostgreSQL leaves it dead: such a connection is closed first, and a write
    that fails on its connection is tried again on a new one, waiting a
    little longer each time for a database that is coming back. Inside a transaction the connection
    cannot be replaced, and the error is the caller's.
    """
    if (
        not connection.in_atomic_block
        and connection.connection is not None
        and not connection.is_usable()
    ):
        # Busy or dead; it would refuse even to start the write's transaction.
        with contextlib.suppress(DatabaseError):
            connection.close()
    for attempt in range(tries):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or attempt == tries - 1:
                raise
            logger.warning("The database connection failed; writing on a new one.")
            # A broken connection may fail to close too; it is dropped all the same.
            with contextlib.suppress(DatabaseError):
                connection.close()
            time.sleep(min(0.25 * 2**attempt, 2.0))
    return False


def _fail_job_and_its_record(job_id: int, error: str) -> bool:
    with transaction.atomic():
        failed = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=error[:10_000], finished_at=timezone.now()
        )
        if failed:
            # The job's own record ends with it: a run or a report never waits
            # for a job that has ended.
            MatchRun.objects.filter(
                job_id=job_id, status__in=[MatchRunStatus.PENDING, MatchRunStatus.RUNNING]
            ).update(status=MatchRunStatus.FAILED)
            Report.objects.filter(job_id=job_id, status=ReportStatus.BUILDING).update(
                status=ReportStatus.FAILED, error=error[:10_000]
            )
    return bool(failed)


def job_fail(*, job_id: int, error: str) -> bool:
    """Fail a running job, and its match run or report; works after the connection failed."""
    return _on_a_working_connection(lambda: _fail_job_and_its_record(job_id, error))


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat every JOB_HEARTBEAT_EVERY seconds while its work runs.

    A thread, so that a long step that reports no progress (the solver, one
    big query) still shows a live worker; it dies with the worker's process,
    which is how the reaper tells a lost worker from a slow one.
    """

    def __init__(self, *, job_id: int, task_id: str):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.task_id = job_id, task_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_EVERY):
                try:
                    if not job_heartbeat(job_id=self.job_id, task_id=self.task_id):
                        return
                except (OperationalError, InterfaceError):
                    # The database is away; the next beat uses a new connection.
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def run_job(
    *,
    job_id: int,
    work: Callable[[Job, Progress], dict],
    worker: str = "",
    task_id: str = "",
    last_attempt: bool = True,
    heartbeat: bool = False,
) -> dict | None:
    """Run `work` for a job and record its outcome; the one body of every task.

    `work` receives the job and a progress callback and returns the result (a
    JSON-serialisable dict). The work is not wrapped in one transaction: its
    writes go through services, each atomic, so that progress recorded between
    steps is visible to readers while the job runs, and a repeated run must
    find each step done (idempotent services). Returns the result, or None if
    the job had already finished.

    A transient error (database or broker away) leaves the job running for
    the task's retry, unless this is the `last_attempt`; any other error, or
    the soft time limit, fails the job. `heartbeat` (a real worker) writes
    the job's heartbeat from a thread while the work runs.
    """
    job = job_claim(job_id=job_id, worker=worker, task_id=task_id)
    if job is None:
        return None

    def progress(value: int) -> None:
        job_progress(job_id=job_id, progress=value)

    beating = _Heartbeat(job_id=job_id, task_id=task_id) if heartbeat else None
    if beating is not None:
        beating.start()
    try:
        result = work(job, progress)
    except SoftTimeLimitExceeded:
        job_fail(job_id=job_id, error=_("The job took longer than its time limit."))
        logger.exception("Job %s reached its time limit.", job_id)
        raise
    except TRANSIENT_ERRORS as exc:
        if not last_attempt:
            logger.warning("Job %s met %s; its task tries again.", job_id, type(exc).__name__)
            raise
        job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        logger.exception("Job %s failed on its last attempt.", job_id)
        raise
    except Exception as exc:
        job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        logger.exception("Job %s failed.", job_id)
        raise
    finally:
        if beating is not None:
            beating.stop()
    if not _on_a_working_connection(lambda: job_succeed(job_id=job_id, result=result)):
        # Another attempt finished the job first; its result stands.
        logger.info("Job %s was finished by another attempt; result discarded.", job_id)
        return None
    return result


# The reaper ------------------------------------------------------------------------------


def jobs_reap(*, now: datetime | None = None) -> dict:
    """Send again the jobs left pending, and end the jobs whose worker was lost.

    - A job pending for JOB_RESEND_AFTER seconds (since it was made or last
      sent) had its task lost or never sent (the broker was away): its task
      is sent again.
    - A job running without a heartbeat for JOB_HEARTBEAT_TIMEOUT seconds has
      lost its worker: it is sent again, as a new attempt, up to
      JOB_MAX_RESENDS times, then failed. A job running past its hard time
      limit, or whose heartbeat stopped after its soft limit, is failed.

    Each change is a conditional UPDATE, so two reapers at once send a job
    once. Returns the job ids sent again and failed.
    """
    now = now or timezone.now()
    resend_before = now - timedelta(seconds=settings.JOB_RESEND_AFTER)
    limit_before = now - timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT + settings.JOB_HEARTBEAT_TIMEOUT
    )
    sent, failed = [], []

    pending = Job.objects.filter(status=JobStatus.PENDING).annotate(
        last_sent=Coalesce("sent_at", "created_at")
    )
    for job in pending.filter(last_sent__lt=resend_before).order_by("pk"):
        task_id = str(uuid.uuid4())
        # Compared with the `sent_at` read, so that two reapers send it once.
        claimed = Job.objects.filter(
            pk=job.pk, status=JobStatus.PENDING, sent_at=job.sent_at
        ).update(sent_at=now, task_id=task_id)
        if claimed and job_send(task=task_for(job), job_id=job.pk, task_id=task_id):
            sent.append(job.pk)

    lost = (
        Job.objects.filter(status=JobStatus.RUNNING)
        .filter(
            Q(heartbeat_at__lt=_stale_before(now))
            | Q(heartbeat_at__isnull=True, started_at__lt=_stale_before(now))
            | Q(started_at__lt=limit_before)
        )
        # A province's job runs nothing itself once its parts are sent: its parts
        # are the ones reaped, and it ends with them (workers.province).
        .exclude(kind=JobKind.PROVINCE_TERM)
    )
    soft_limit = timedelta(seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT)
    for job in lost.order_by("pk"):
        # Beating until the soft limit and then silent: the pool killed it at
        # its hard limit (a lost worker stops beating earlier). Running it
        # again would only meet the same limit.
        past_limit = (job.started_at is not None and job.started_at < limit_before) or (
            job.started_at is not None
            and job.heartbeat_at is not None
            and job.heartbeat_at - job.started_at >= soft_limit
        )
        if job.resends < settings.JOB_MAX_RESENDS and not past_limit:
            task_id = str(uuid.uuid4())
            # Back to pending, so that the new message claims it whatever its
            # task id; the heartbeat compared makes this reaper the only one.
            if Job.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(
                status=JobStatus.PENDING,
                sent_at=now,
                task_id=task_id,
                resends=F("resends") + 1,
            ):
                logger.warning("Job %s lost its worker; its task is sent again.", job.pk)
                if job_send(task=task_for(job), job_id=job.pk, task_id=task_id):
                    sent.append(job.pk)
            continue
        error = (
            _("The job ran past its time limit.")
            if past_limit
            else _("The worker running the job was lost.")
        )
        if job_fail(job_id=job.pk, error=error):
            logger.warning("Job %s failed: %s", job.pk, error)
            failed.append(job.pk)
    return {"sent": sent, "failed": failed}
