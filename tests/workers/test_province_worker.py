"""A real Celery worker on Redis runs a province's term: one task per county, sent as a group.

Eager mode would run the parts inside the province's task, with no broker, no
serialisation and no retry of its own; here the province's task is sent after
the start commits, it sends the counties' tasks through Redis, and the
worker's retries and the last part's ending of the province are real.
"""

import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from django.utils.translation import gettext

from bench.province_data import TERM_CODE, WEIGHTS, populate_province
from config.celery import app
from mentoring.models import Pairing, PairingStatus, Term
from mentoring.services import match_runs
from mentoring.services.match_runs import match_run_start
from workers.models import Job, JobStatus, Report, ReportStatus
from workers.province import province_term_start
from workers.reports import report_start

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

RULES = {"same_gender_from_age": None}


@pytest.fixture
def broker_app(settings):
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def wait_for(job: Job, seconds: float = 90) -> Job:
    for _ in range(int(seconds * 10)):
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    return job


def failing_for(district_code: str, *, times: int, error: Exception):
    """match_run_execute_job raising `error` for one county's part, its first `times` attempts."""
    real = match_runs.match_run_execute_job
    seen = []

    def execute(*, job_id, progress):
        part = Job.objects.get(pk=job_id)
        if part.parameters["district"] == district_code and len(seen) < times:
            seen.append(job_id)
            raise error
        return real(job_id=job_id, progress=progress)

    return mock.patch("workers.province.match_run_execute_job", side_effect=execute)


def proposals(district) -> set:
    return set(
        Pairing.objects.filter(
            student__school__district=district, status=PairingStatus.PROPOSED
        ).values_list("student_id", "mentor_id", "kind")
    )


def figures(report: Report) -> dict:
    left = ("version", "built_at", "built_by", "built_by_name")
    return {key: value for key, value in report.data.items() if key not in left}


def start(province, admin) -> Job:
    return province_term_start(
        by=admin,
        province_id=province.pk,
        term_code=TERM_CODE,
        kinds=["academic"],
        weights=WEIGHTS,
        rules=RULES,
    )


def test_a_part_failing_once_is_retried_alone_and_the_result_is_the_counties_one_by_one(
    broker_app,
):
    province, districts, admin = populate_province("W1", counties=3, students_per_county=40)
    flaky = districts[1].code

    with (
        failing_for(flaky, times=1, error=OperationalError("the database blinked")),
        start_worker(
            broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ) as worker,
    ):
        job = wait_for(start(province, admin))
        by_province = {d.code: proposals(d) for d in districts}
        reports = {d.code: Report.objects.get(job__parent=job, district=d) for d in districts}
        # The same counties one by one, each through its own run and report on the worker.
        alone = {}
        for district in districts:
            term = Term.objects.get(district=district, code=TERM_CODE)
            run = match_run_start(
                by=admin, term_id=term.pk, kinds=["academic"], weights=WEIGHTS, rules=RULES
            )
            assert wait_for(run.job).status == JobStatus.SUCCEEDED
            report = report_start(by=admin, term_id=term.pk, district_id=district.pk)
            assert wait_for(report.job).status == JobStatus.SUCCEEDED
            report.refresh_from_db()
            alone[district.code] = (proposals(district), figures(report))

    assert alone == {code: (pairs, figures(reports[code])) for code, pairs in by_province.items()}
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.worker in worker.hostname
    parts = {part.parameters["district"]: part for part in job.parts.all()}
    assert {code: part.status for code, part in parts.items()} == {
        d.code: JobStatus.SUCCEEDED for d in districts
    }
    # Only the county that failed ran twice.
    assert {code: part.attempts for code, part in parts.items()} == {
        d.code: 2 if d.code == flaky else 1 for d in districts
    }
    assert all(part.worker in worker.hostname for part in parts.values())
    assert all(part.progress == 100 for part in parts.values())
    # The result, through JSON, sums the counties'.
    assert job.result["proposed"] == sum(len(p) for p in by_province.values()) > 0
    assert job.result["students"] == 120
    assert {code: r["proposed"] for code, r in job.result["counties"].items()} == {
        code: len(pairs) for code, pairs in by_province.items()
    }
    assert set(Report.objects.filter(job__parent=job).values_list("status", flat=True)) == {
        ReportStatus.ISSUED
    }


def test_a_part_that_keeps_failing_fails_the_province_naming_its_county(broker_app):
    province, districts, admin = populate_province("W2", counties=3, students_per_county=20)
    broken = districts[2].code

    with (
        failing_for(broken, times=100, error=ValueError("bad county data")),
        start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
    ):
        job = wait_for(start(province, admin))

    assert job.status == JobStatus.FAILED
    assert job.error == gettext("These counties failed: %(counties)s.") % {"counties": broken}
    assert job.result["failed"] == {broken: "ValueError: bad county data"}
    assert set(job.result["counties"]) == {districts[0].code, districts[1].code}
    parts = {part.parameters["district"]: part for part in job.parts.all()}
    # A non-transient error is not retried; the other counties are done and kept.
    assert parts[broken].attempts == 1
    assert parts[broken].status == JobStatus.FAILED
    assert Report.objects.get(job=parts[broken]).status == ReportStatus.FAILED
    assert proposals(districts[0]) and not proposals(districts[2])
    assert job.progress == (100 + 100 + parts[broken].progress) // 3
