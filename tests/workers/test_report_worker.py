"""A real Celery worker on Redis builds the term report twice: two versions, the same figures."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from tests.report_scene import busy_school, kindergarten_scene
from workers.models import Job, JobStatus, Report, ReportStatus
from workers.reports import report_start
from workers.tasks import term_report_task

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_app(settings):
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def wait_for(report: Report) -> Report:
    for _ in range(600):
        report.job.refresh_from_db()
        if report.job.is_finished:
            break
        time.sleep(0.1)
    report.refresh_from_db()
    return report


def figures(report: Report) -> dict:
    return {k: v for k, v in report.data.items() if k not in ("version", "built_at")}


def test_worker_builds_two_versions_with_the_same_figures(broker_app):
    scene = kindergarten_scene()
    busy_school(scene, "BUSY", 60)
    assert broker_app.conf.broker_url.startswith("redis://")

    with start_worker(
        broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        first = wait_for(
            report_start(by=scene.admin, term_id=scene.term.pk, district_id=scene.district.pk)
        )
        second = wait_for(
            report_start(by=scene.admin, term_id=scene.term.pk, district_id=scene.district.pk)
        )
        # The first version's task delivered again: the issued version stays as it was.
        issued = first.data
        term_report_task.delay(first.job_id)
        third = wait_for(
            report_start(by=scene.admin, term_id=scene.term.pk, district_id=scene.district.pk)
        )

    for report in (first, second, third):
        assert report.status == ReportStatus.ISSUED, report.error
        assert report.job.status == JobStatus.SUCCEEDED
        assert report.job.attempts == 1
        assert report.job.worker not in ("", "in-process")
        assert report.job.worker in worker.hostname
        assert report.job.result["headline"] == report.data["headline"]
    assert [first.version, second.version, third.version] == [1, 2, 3]
    assert figures(first) == figures(second) == figures(third)
    assert first.data["aid"]["schools"]["SEED-KG"]["share_of_enrolment"] == "11.16"
    first.refresh_from_db()
    assert first.data == issued
    assert Job.objects.filter(kind="term_report").count() == 3
