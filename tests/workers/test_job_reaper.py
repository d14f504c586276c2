"""Jobs that always end: a failed publish leaves the job pending, the reaper sends it
again or ends it, `job_fail` survives a broken connection, and a task delivered
again finds its job (and its work) as one delivery left them."""

import datetime
import logging
import signal
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app, check_visibility_timeout, visibility_timeout_problem
from donations.models import Contribution
from mentoring.models import MatchRun, MatchRunStatus, Pairing, ProposedPair
from tests.conftest import client_for
from tests.donations.test_api_contributions import URL as CONTRIBUTIONS
from tests.donations.test_api_contributions import body, setup  # noqa: F401
from tests.mentoring.match_runs.match_scene import build_scene, clock  # noqa: F401
from workers.factories import JobFactory, TermFactory
from workers.models import Job, JobKind, JobStatus, Report, ReportScope, ReportStatus
from workers.services import job_claim, job_fail, jobs_reap, run_job
from workers.tasks import (
    match_run_task,
    pledges_daily_check_task,
    weekly_check_task,
)

pytestmark = pytest.mark.django_db

BROKER_DOWN = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def broker_down():
    """Tasks go to a broker (not eagerly), and every publish fails as with Redis stopped."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with mock.patch("kombu.messaging.Producer.publish", side_effect=BROKER_DOWN) as publish:
        yield publish
    app.conf.task_always_eager = previous


def ago(seconds: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def census_job(school, **fields) -> Job:
    return JobFactory(kind=JobKind.ACCOUNT_CENSUS, school=school, **fields)


def running(job: Job, *, task_id="task-1", **fields) -> Job:
    assert job_claim(job_id=job.pk, worker="w1", task_id=task_id) is not None
    if fields:
        Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def match_run_job(admin, school) -> tuple[Job, MatchRun, Report]:
    term = TermFactory(district=school.district)
    job = running(JobFactory(kind=JobKind.MATCH_RUN))
    run = MatchRun.objects.create(
        term=term, kinds=["academic"], created_by=admin, job=job, status="running"
    )
    report_job = running(JobFactory(kind=JobKind.TERM_REPORT))
    report = Report.objects.create(
        term=term,
        scope=ReportScope.SCHOOL,
        district=school.district,
        school=school,
        version=1,
        job=report_job,
        built_by=admin,
    )
    return job, run, report


# A publish that fails ------------------------------------------------------------------


def test_a_match_run_whose_task_cannot_be_sent_answers_202_and_stays_pending(
    school_a, admin_a, broker_down, caplog, django_capture_on_commit_callbacks
):
    term = TermFactory(district=school_a.district)

    with (
        caplog.at_level(logging.WARNING, logger="workers.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(admin_a).post(
            "/api/v1/match-runs/", {"term": term.pk, "kinds": ["academic"]}, format="json"
        )

    assert response.status_code == 202, response.content
    assert broker_down.call_count >= 1
    run = MatchRun.objects.get()
    assert run.status == MatchRunStatus.PENDING
    assert run.job.status == JobStatus.PENDING
    assert f"Job {run.job_id} stays pending" in caplog.text


def test_a_contribution_whose_posting_cannot_be_sent_is_posted_by_the_reaper_later(
    setup,  # noqa: F811
    admin_a,
    broker_down,
    django_capture_on_commit_callbacks,
    settings,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_a).post(CONTRIBUTIONS, body(setup), format="json")

    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == "received" and contribution.ledger_entry_id is None
    job = Job.objects.get(kind=JobKind.CONTRIBUTION_POSTING)
    assert job.status == JobStatus.PENDING

    # Not yet: the job has been pending for less than JOB_RESEND_AFTER.
    assert jobs_reap() == {"sent": [], "failed": []}
    # The broker is back (tasks run in-process here), the job is old enough.
    broker_down.side_effect = None
    app.conf.task_always_eager = True
    Job.objects.filter(pk=job.pk).update(created_at=ago(settings.JOB_RESEND_AFTER + 1))

    assert jobs_reap() == {"sent": [job.pk], "failed": []}

    job.refresh_from_db()
    contribution.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.sent_at is not None and job.resends == 0
    assert contribution.status == "posted"
    assert contribution.ledger_entry_id is not None
    assert job.result["receipt_number"] == contribution.receipt_number


def test_a_pending_job_sent_again_is_not_sent_again_before_resend_after(
    school_a, broker_down, settings
):
    job = census_job(school_a)
    Job.objects.filter(pk=job.pk).update(created_at=ago(settings.JOB_RESEND_AFTER + 1))

    # The publish fails again: the job stays pending, stamped as sent now.
    assert jobs_reap() == {"sent": [], "failed": []}
    assert jobs_reap() == {"sent": [], "failed": []}

    assert broker_down.call_count == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.sent_at is not None


# Jobs whose worker was lost --------------------------------------------------------------


def test_a_running_job_with_a_recent_heartbeat_is_left_alone(school_a):
    job = running(census_job(school_a))

    assert jobs_reap() == {"sent": [], "failed": []}
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.resends == 0


def test_a_job_whose_heartbeat_stopped_is_sent_again_once_then_failed(school_a, settings):
    stale = ago(settings.JOB_HEARTBEAT_TIMEOUT + 1)
    job = running(census_job(school_a), heartbeat_at=stale)

    # Sent again: tasks run in-process here, so the new attempt finishes it.
    assert jobs_reap() == {"sent": [job.pk], "failed": []}
    job.refresh_from_db()
    assert (job.status, job.resends, job.attempts) == (JobStatus.SUCCEEDED, 1, 2)

    lost_twice = running(census_job(school_a), heartbeat_at=stale, resends=1)
    assert jobs_reap() == {"sent": [], "failed": [lost_twice.pk]}
    lost_twice.refresh_from_db()
    assert lost_twice.status == JobStatus.FAILED
    assert lost_twice.error == _("The worker running the job was lost.")
    assert lost_twice.finished_at is not None


def test_a_job_past_its_time_limit_is_failed_with_its_match_run_and_report(
    school_a, admin_a, settings
):
    run_job_, run, report = match_run_job(admin_a, school_a)
    report_job = report.job
    past = ago(settings.CELERY_TASK_TIME_LIMIT + settings.JOB_HEARTBEAT_TIMEOUT + 1)
    Job.objects.update(started_at=past)

    # Failed, not sent again, although no attempt was sent again before.
    assert jobs_reap() == {"sent": [], "failed": [run_job_.pk, report_job.pk]}

    for job in (run_job_, report_job):
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        assert job.error == _("The job ran past its time limit.")
    run.refresh_from_db()
    report.refresh_from_db()
    assert run.status == MatchRunStatus.FAILED
    assert (report.status, report.error) == (
        ReportStatus.FAILED,
        _("The job ran past its time limit."),
    )


def test_a_job_killed_at_its_hard_limit_is_failed_not_sent_again(school_a, settings):
    started = ago(settings.CELERY_TASK_SOFT_TIME_LIMIT + settings.JOB_HEARTBEAT_TIMEOUT + 1)
    last_beat = started + datetime.timedelta(seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT)
    job = running(census_job(school_a), started_at=started, heartbeat_at=last_beat)

    assert jobs_reap() == {"sent": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, _("The job ran past its time limit."))


def test_a_copy_of_a_task_leaves_a_job_another_attempt_holds(school_a, settings):
    job = running(census_job(school_a), task_id="first")

    assert job_claim(job_id=job.pk, task_id="copy") is None
    # The same message delivered again (its worker died) takes it back at once.
    assert job_claim(job_id=job.pk, task_id="first").attempts == 2
    # Once the holder's heartbeat has stopped, any copy takes it.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=ago(settings.JOB_HEARTBEAT_TIMEOUT + 1))
    assert job_claim(job_id=job.pk, task_id="copy").task_id == "copy"


# job_fail after a database error or the soft time limit ---------------------------------


def test_a_work_stopped_by_the_soft_time_limit_fails_its_job_and_match_run(school_a, admin_a):
    job, run, _report = match_run_job(admin_a, school_a)

    def work(job, progress):
        raise SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        run_job(job_id=job.pk, work=work, task_id="task-1")

    job.refresh_from_db()
    run.refresh_from_db()
    assert (job.status, job.error) == (
        JobStatus.FAILED,
        _("The job took longer than its time limit."),
    )
    assert run.status == MatchRunStatus.FAILED


def test_a_transient_error_before_the_last_attempt_leaves_the_job_to_the_retry(school_a):
    job = census_job(school_a)

    def work(job, progress):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        run_job(job_id=job.pk, work=work, task_id="t", last_attempt=False)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING

    with pytest.raises(OperationalError):
        run_job(job_id=job.pk, work=work, task_id="t", last_attempt=True)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("OperationalError: server closed")


def kill_backend(pid: int) -> None:
    """End a PostgreSQL session from another connection, as a restart does."""
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_job_fail_after_the_database_connection_died_fails_job_run_and_report(school_a, admin_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    job, run, report = match_run_job(admin_a, school_a)
    connection.ensure_connection()
    kill_backend(connection.connection.info.backend_pid)

    assert job_fail(job_id=job.pk, error="boom") is True
    assert job_fail(job_id=report.job_id, error="boom") is True

    job.refresh_from_db()
    run.refresh_from_db()
    report.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert run.status == MatchRunStatus.FAILED
    assert (report.status, report.error) == (ReportStatus.FAILED, "boom")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_soft_time_limit_in_the_middle_of_a_query_still_fails_the_job(school_a, admin_a):
    """The limit is a signal raised inside the query, as billiard raises it in a worker."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    job, run, _report = match_run_job(admin_a, school_a)

    def soft_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    def work(job, progress):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        return {}

    previous = signal.signal(signal.SIGALRM, soft_limit)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            run_job(job_id=job.pk, work=work, task_id="task-1")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert run.status == MatchRunStatus.FAILED


# Periodic jobs keyed by their day --------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "kind"),
    [(pledges_daily_check_task, JobKind.PLEDGE_CHECK), (weekly_check_task, JobKind.WEEKLY_CHECK)],
)
def test_a_periodic_task_delivered_again_reuses_the_days_job(task, kind):
    first = task.apply(task_id="beat-1").get()
    again = task.apply(task_id="beat-1").get()

    assert again == first
    job = Job.objects.get(kind=kind)
    assert job.pk == first
    assert job.key == f"{kind}:{timezone.localdate().isoformat()}"
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)


def test_a_periodic_task_killed_mid_run_is_finished_by_its_redelivery():
    day = timezone.localdate().isoformat()
    job = Job.objects.create(
        kind=JobKind.PLEDGE_CHECK, parameters={"day": day}, key=f"pledge_check:{day}"
    )
    # The first delivery claimed it and its worker died.
    running(job, task_id="beat-1")

    assert pledges_daily_check_task.apply(task_id="beat-1").get() == job.pk

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert Job.objects.count() == 1


# A match run delivered twice -------------------------------------------------------------


def test_a_match_run_delivered_again_after_writing_leaves_the_same_rows(
    clock,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    scene = build_scene()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(scene.admin).post(
            "/api/v1/match-runs/", {"term": scene.term.pk, "kinds": ["academic"]}, format="json"
        )
    run = MatchRun.objects.get()
    assert run.status == MatchRunStatus.PROPOSED

    def rows():
        return {
            "pairings": sorted(
                Pairing.objects.filter(term=scene.term).values_list("pk", flat=True)
            ),
            "proposals": sorted(ProposedPair.objects.values_list("pk", "pairing_id")),
            # Not doubled by the second delivery (nor the pairings' ids changed).
            "history": Pairing.history.count(),
            "summary": MatchRun.objects.get(pk=run.pk).summary,
        }

    once = rows()
    assert once["pairings"] and once["history"] >= len(once["pairings"])
    # The worker died after the proposal was committed, before the job was
    # marked succeeded; the broker delivers the task again.
    Job.objects.filter(pk=run.job_id).update(
        status=JobStatus.RUNNING, progress=20, task_id="delivery-1"
    )
    match_run_task.apply(args=(run.job_id,), task_id="delivery-1")

    assert rows() == once
    run.refresh_from_db()
    assert run.status == MatchRunStatus.PROPOSED
    assert run.job.status == JobStatus.SUCCEEDED and run.job.attempts == 2


# Settings ---------------------------------------------------------------------------------


def test_the_visibility_timeout_must_exceed_the_longest_task_time_limit():
    conf = mock.Mock()
    conf.broker_url = "redis://127.0.0.1:6379/0"
    conf.task_time_limit = 1800
    conf.broker_transport_options = {"visibility_timeout": 2400}
    fake = mock.Mock(conf=conf, tasks={"a": mock.Mock(time_limit=None)})

    assert visibility_timeout_problem(fake) is None

    fake.tasks["long"] = mock.Mock(time_limit=3600)
    assert "(2400 s) must exceed the longest task time limit (3600 s)" in (
        visibility_timeout_problem(fake)
    )
    conf.broker_url = "memory://localhost/"
    assert visibility_timeout_problem(fake) is None


def test_the_project_settings_pass_the_check_and_a_short_timeout_stops_the_worker():
    from django.core.exceptions import ImproperlyConfigured

    from config import celery as celery_module

    check_visibility_timeout()  # the shipped defaults
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] > app.conf.task_time_limit
    assert options["socket_timeout"] > 0 and options["socket_connect_timeout"] > 0
    short = mock.Mock()
    short.conf.broker_url = "redis://127.0.0.1:6379/0"
    short.conf.task_time_limit = app.conf.task_time_limit
    short.conf.broker_transport_options = {**options, "visibility_timeout": 60}
    short.tasks = {}

    with pytest.raises(ImproperlyConfigured, match="CELERY_VISIBILITY_TIMEOUT"):
        celery_module._check_worker_settings(sender=mock.Mock(app=short))


def test_a_short_visibility_timeout_is_refused_when_the_settings_load(tmp_path):
    import os
    import subprocess  # nosec B404 - runs this interpreter on a fixed command
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "CELERY_TIME_LIMIT": "600",
        "CELERY_SOFT_TIME_LIMIT": "500",
        "CELERY_VISIBILITY_TIMEOUT": "300",
    }
    refused = subprocess.run(  # nosec B603 - fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TIME_LIMIT" in refused.stderr
