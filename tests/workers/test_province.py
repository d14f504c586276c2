"""A province's term as one job (workers.province): who may start it, its parts, its progress
and its end, with tasks in-process; tests/workers/test_province_worker.py runs it on a worker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from bench.province_data import TERM_CODE, WEIGHTS, populate_province
from core.errors import DomainError, NotPermitted
from mentoring.models import MatchRun, MatchRunStatus, Pairing, PairingStatus, Role, Term
from mentoring.services.match_runs import match_run_start
from workers.factories import DistrictFactory, SchoolFactory, member
from workers.models import Job, JobKind, JobStatus, Report, ReportStatus
from workers.province import (
    province_progress,
    province_settle,
    province_term_start,
    provinces_settle,
)
from workers.reports import report_start
from workers.services import jobs_reap

pytestmark = pytest.mark.django_db

RULES = {"same_gender_from_age": None}


def start(province, admin, **kwargs):
    return province_term_start(
        by=admin,
        province_id=province.pk,
        term_code=TERM_CODE,
        kinds=["academic"],
        weights=WEIGHTS,
        rules=RULES,
        **kwargs,
    )


def proposals(district) -> set:
    return set(
        Pairing.objects.filter(
            student__school__district=district, status=PairingStatus.PROPOSED
        ).values_list("student_id", "mentor_id", "kind")
    )


def figures(report: Report) -> dict:
    left = ("version", "built_at", "built_by", "built_by_name")
    return {key: value for key, value in report.data.items() if key not in left}


def test_province_job_equals_its_counties_run_one_by_one(django_capture_on_commit_callbacks):
    province, districts, admin = populate_province("P1", counties=3, students_per_county=60)

    with django_capture_on_commit_callbacks(execute=True):
        job = start(province, admin)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    parts = list(job.parts.order_by("pk"))
    assert [part.parameters["district"] for part in parts] == [d.code for d in districts]
    assert all(part.status == JobStatus.SUCCEEDED for part in parts)
    by_province = {d.code: proposals(d) for d in districts}
    reports = {d.code: Report.objects.get(job__parent=job, district=d) for d in districts}
    assert all(len(pairs) > 0 for pairs in by_province.values())
    assert job.result["proposed"] == sum(len(p) for p in by_province.values())
    assert job.result["students"] == 3 * 60
    assert set(job.result["counties"]) == {d.code for d in districts}
    assert job.result["failed"] == {}

    # The same counties, one by one, through the county's own run and report.
    for district in districts:
        term = Term.objects.get(district=district, code=TERM_CODE)
        with django_capture_on_commit_callbacks(execute=True):
            run = match_run_start(
                by=admin, term_id=term.pk, kinds=["academic"], weights=WEIGHTS, rules=RULES
            )
        run.refresh_from_db()
        assert run.status == MatchRunStatus.PROPOSED
        assert proposals(district) == by_province[district.code]
        with django_capture_on_commit_callbacks(execute=True):
            alone = report_start(by=admin, term_id=term.pk, district_id=district.pk)
        alone.refresh_from_db()
        assert alone.status == ReportStatus.ISSUED
        assert alone.version == reports[district.code].version + 1
        assert figures(alone) == figures(reports[district.code])


def test_only_an_administrator_of_every_county_starts_it():
    province, districts, _admin = populate_province("P2", counties=2, students_per_county=8)
    one_county = member(Role.ADMINISTRATOR, *districts[0].schools.all())

    with pytest.raises(NotPermitted):
        start(province, one_county)
    assert not Job.objects.exists()
    assert not MatchRun.objects.exists()


def test_a_county_of_no_school_is_named_and_nobody_runs_it():
    # "No school outside the user's reach" must not let anyone in where there is no school.
    province, districts, admin = populate_province("P5", counties=2, students_per_county=8)
    empty = DistrictFactory(province=province, code="P5-EMPTY")
    anyone = member(Role.DONOR, *districts[0].schools.all())

    for user in (admin, anyone):
        with pytest.raises(DomainError) as refused:
            start(province, user)
        assert empty.name in str(refused.value)
    assert not Job.objects.exists()


def test_a_county_without_the_term_is_named_and_nothing_is_written():
    province, _districts, admin = populate_province("P3", counties=2, students_per_county=8)
    SchoolFactory(district=DistrictFactory(code="P3-late", province=province))

    with pytest.raises(DomainError) as refused:
        start(province, admin)

    assert refused.value.field == "term"
    assert "P3-late" in str(refused.value)
    assert not Job.objects.exists()
    assert not Report.objects.exists()


def test_progress_is_the_parts_summed_and_never_goes_back():
    province, _districts, admin = populate_province("P4", counties=4, students_per_county=8)
    job = start(province, admin)  # not committed: no task runs
    parts = list(job.parts.order_by("pk"))
    assert len(parts) == 4
    for part, value in zip(parts, (100, 60, 20, 0), strict=True):
        Job.objects.filter(pk=part.pk).update(status=JobStatus.RUNNING, progress=value)

    province_progress(parent_id=job.pk)
    job.refresh_from_db()
    assert job.progress == (100 + 60 + 20 + 0) // 4

    Job.objects.filter(pk=parts[1].pk).update(progress=0)
    province_progress(parent_id=job.pk)
    job.refresh_from_db()
    assert job.progress == 45
    assert province_settle(parent_id=job.pk) is False
    assert job.status == JobStatus.PENDING


def test_a_failed_county_fails_the_province_naming_it_once_every_part_has_ended():
    province, districts, admin = populate_province("P5", counties=3, students_per_county=8)
    job = start(province, admin)
    first, second, third = job.parts.order_by("pk")
    Job.objects.filter(pk__in=[first.pk, third.pk]).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        result={"students": 8, "proposed": 2, "cpu_seconds": 0.5},
    )
    Job.objects.filter(pk=second.pk).update(status=JobStatus.RUNNING, progress=30)
    assert province_settle(parent_id=job.pk) is False

    Job.objects.filter(pk=second.pk).update(status=JobStatus.FAILED, error="OperationalError")
    # The reaper's sweep ends it, once.
    assert provinces_settle() == [job.pk]
    assert provinces_settle() == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == gettext("These counties failed: %(counties)s.") % {
        "counties": districts[1].code
    }
    assert job.result["failed"] == {districts[1].code: "OperationalError"}
    assert set(job.result["counties"]) == {districts[0].code, districts[2].code}
    assert job.result["proposed"] == 4
    assert job.progress == (100 + 30 + 100) // 3


def test_the_reaper_sends_again_the_lost_part_alone_never_the_province(settings, monkeypatch):
    province, _districts, admin = populate_province("P6", counties=3, students_per_county=8)
    job = start(province, admin)
    parts = list(job.parts.order_by("pk"))
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT * 3)
    # The province's task ran and fanned out; the first part's worker died while
    # it ran, the others are still running.
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    Job.objects.filter(pk=parts[0].pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago, task_id="dead"
    )
    Job.objects.filter(pk__in=[p.pk for p in parts[1:]]).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    sent = []
    monkeypatch.setattr(
        "workers.services.job_send",
        lambda *, task, job_id, task_id=None: sent.append((task.name, job_id)) or True,
    )

    assert jobs_reap() == {"sent": [parts[0].pk], "failed": []}
    assert sent == [("workers.province_county", parts[0].pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.kind == JobKind.PROVINCE_TERM
