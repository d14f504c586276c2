"""workers.services: the life of a Job, and the account census task that runs through it."""

import pytest
from django.db import IntegrityError, transaction

from mentoring.models import District, Membership, Role, School, User
from workers.factories import JobFactory, MembershipFactory, SchoolFactory, member
from workers.jobs import account_census_start
from workers.models import Job, JobKind, JobStatus
from workers.services import (
    job_claim,
    job_create,
    job_fail,
    job_progress,
    job_succeed,
    run_job,
)

pytestmark = pytest.mark.django_db


def running_job(**fields) -> Job:
    job = JobFactory(**fields)
    job_claim(job_id=job.pk)
    job.refresh_from_db()
    return job


# job_create / job_claim


def test_job_create_starts_pending_with_its_parameters(school_a, admin_a):
    job = job_create(
        kind=JobKind.ACCOUNT_CENSUS, started_by=admin_a, school=school_a, parameters={"x": 1}
    )

    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert job.progress == 0
    assert job.attempts == 0
    assert job.parameters == {"x": 1}
    assert job.started_at is None
    assert job.finished_at is None


def test_claiming_a_pending_job_marks_it_running():
    job = JobFactory()

    claimed = job_claim(job_id=job.pk)

    assert claimed is not None
    assert claimed.pk == job.pk
    assert claimed.status == JobStatus.RUNNING
    assert claimed.attempts == 1
    assert claimed.started_at is not None


def test_claiming_a_running_job_again_counts_another_attempt_and_clears_the_error():
    job = JobFactory(status=JobStatus.RUNNING, attempts=1, error="worker lost")

    claimed = job_claim(job_id=job.pk)

    assert claimed.status == JobStatus.RUNNING
    assert claimed.attempts == 2
    assert claimed.error == ""


@pytest.mark.parametrize(
    ("status", "progress"), [(JobStatus.SUCCEEDED, 100), (JobStatus.FAILED, 40)]
)
def test_a_finished_job_cannot_be_claimed(status, progress):
    job = JobFactory(status=status, progress=progress, attempts=1)

    assert job_claim(job_id=job.pk) is None

    job.refresh_from_db()
    assert job.status == status
    assert job.attempts == 1
    assert job.started_at is None


def test_claiming_an_unknown_job_raises():
    with pytest.raises(Job.DoesNotExist):
        job_claim(job_id=987654)


# job_progress


def test_progress_is_recorded_and_never_goes_backwards():
    job = running_job()
    seen = []

    for value in [10, 40, 25, 40, 70, 0]:
        job_progress(job_id=job.pk, progress=value)
        job.refresh_from_db()
        seen.append(job.progress)

    assert seen == [10, 40, 40, 40, 70, 70]


@pytest.mark.parametrize(("value", "expected"), [(150, 100), (-20, 0), (100, 100), (0, 0)])
def test_progress_is_clamped_between_0_and_100(value, expected):
    job = running_job()

    job_progress(job_id=job.pk, progress=value)

    job.refresh_from_db()
    assert job.progress == expected


def test_progress_of_a_job_that_is_not_running_is_ignored():
    pending = JobFactory()
    failed = JobFactory(status=JobStatus.FAILED, progress=30)

    job_progress(job_id=pending.pk, progress=50)
    job_progress(job_id=failed.pk, progress=90)

    pending.refresh_from_db()
    failed.refresh_from_db()
    assert pending.progress == 0
    assert failed.progress == 30


def test_database_refuses_progress_over_100():
    job = JobFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(progress=101)


def test_database_refuses_a_succeeded_job_below_100():
    job = JobFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, progress=50)


# job_succeed / job_fail


def test_succeeding_a_running_job_records_result_and_completes_progress():
    job = running_job()
    job_progress(job_id=job.pk, progress=30)

    assert job_succeed(job_id=job.pk, result={"accounts": 7}) is True

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.result == {"accounts": 7}
    assert job.finished_at is not None
    assert job.is_finished


def test_a_job_succeeds_only_once():
    job = running_job()
    job_succeed(job_id=job.pk, result={"first": True})

    assert job_succeed(job_id=job.pk, result={"second": True}) is False
    assert job_fail(job_id=job.pk, error="late failure") is False

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"first": True}
    assert job.error == ""


def test_a_pending_job_cannot_succeed_or_fail_without_being_claimed():
    job = JobFactory()

    assert job_succeed(job_id=job.pk, result={}) is False
    assert job_fail(job_id=job.pk, error="boom") is False

    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_failing_a_running_job_records_the_error_and_keeps_progress():
    job = running_job()
    job_progress(job_id=job.pk, progress=60)

    assert job_fail(job_id=job.pk, error="ValueError: bad row 3") is True

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: bad row 3"
    assert job.progress == 60
    assert job.result is None
    assert job.finished_at is not None
    assert job_succeed(job_id=job.pk, result={}) is False


def test_a_very_long_error_is_cut_to_10000_characters():
    job = running_job()

    job_fail(job_id=job.pk, error="x" * 20_000)

    job.refresh_from_db()
    assert len(job.error) == 10_000


# run_job


def test_run_job_passes_the_job_and_records_the_result():
    job = JobFactory(parameters={"n": 3})
    seen = {}

    def work(claimed, progress):
        seen["status"] = claimed.status
        seen["parameters"] = claimed.parameters
        progress(50)
        seen["progress"] = Job.objects.get(pk=claimed.pk).progress
        return {"done": claimed.parameters["n"]}

    result = run_job(job_id=job.pk, work=work)

    assert result == {"done": 3}
    assert seen == {"status": JobStatus.RUNNING, "parameters": {"n": 3}, "progress": 50}
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"done": 3}
    assert job.progress == 100
    assert job.attempts == 1


@pytest.mark.parametrize(
    ("status", "progress"), [(JobStatus.SUCCEEDED, 100), (JobStatus.FAILED, 20)]
)
def test_a_finished_job_is_not_run_again(status, progress):
    job = JobFactory(status=status, progress=progress, result={"old": True}, attempts=1)
    calls = []

    def work(claimed, report):
        calls.append(claimed.pk)
        return {"new": True}

    assert run_job(job_id=job.pk, work=work) is None

    assert calls == []
    job.refresh_from_db()
    assert job.status == status
    assert job.result == {"old": True}
    assert job.attempts == 1


def test_a_failing_work_function_leaves_the_job_failed_and_reraises():
    job = JobFactory()

    def work(claimed, progress):
        progress(30)
        raise ValueError("roster row 12 has no school")

    with pytest.raises(ValueError, match="roster row 12 has no school"):
        run_job(job_id=job.pk, work=work)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: roster row 12 has no school"
    assert job.progress == 30
    assert job.result is None
    assert job.finished_at is not None


def test_a_failed_job_is_not_retried_by_run_job():
    job = JobFactory()
    calls = []

    def failing(claimed, progress):
        calls.append("fail")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_job(job_id=job.pk, work=failing)
    assert run_job(job_id=job.pk, work=failing) is None

    assert calls == ["fail"]


def test_a_redelivered_running_job_is_run_again_to_completion():
    # A worker died mid-run: the job is still "running" and the broker
    # delivers the task again.
    job = JobFactory(status=JobStatus.RUNNING, progress=40, attempts=1)

    result = run_job(job_id=job.pk, work=lambda claimed, progress: {"ok": True})

    assert result == {"ok": True}
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 2


# The account census (workers.jobs.account_census_start)


def census_roles(**counts) -> dict[str, int]:
    return {role: counts.get(role, 0) for role in Role.values}


def row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "schools": School.objects.count(),
        "districts": District.objects.count(),
        "user_history": User.history.count(),
        "membership_history": Membership.history.count(),
        "jobs": Job.objects.count(),
    }


@pytest.fixture
def census_school(school_a, school_b):
    """School A: 1 administrator, 3 teachers (one also a volunteer), 1 inactive teacher.

    School B has its own accounts, which must not be counted for A.
    """
    member(Role.ADMINISTRATOR, school_a)
    member(Role.TEACHER, school_a)
    member(Role.TEACHER, school_a)
    both = member(Role.TEACHER, school_a)
    MembershipFactory(user=both, school=school_a, role=Role.VOLUNTEER)
    member(Role.TEACHER, school_a, is_active=False)
    member(Role.DONOR, school_b)
    member(Role.TEACHER, school_b)
    return school_a


def start_census(django_capture_on_commit_callbacks, **kwargs) -> Job:
    # The task is sent only once the job row is committed; in tests it then
    # runs eagerly, in this thread.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = account_census_start(**kwargs)
    assert len(callbacks) == 1
    job.refresh_from_db()
    return job


def test_account_census_counts_active_accounts_per_role_in_a_school(
    census_school, admin_a, django_capture_on_commit_callbacks
):
    job = start_census(django_capture_on_commit_callbacks, by=admin_a, school=census_school)

    assert job.kind == JobKind.ACCOUNT_CENSUS
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.school_id == census_school.pk
    assert job.started_by_id == admin_a.pk
    assert job.parameters == {"school": census_school.code}
    # admin_a plus the fixture's administrator; the inactive teacher is not counted.
    assert job.result == {
        "schools": [
            {
                "school": census_school.code,
                "roles": census_roles(administrator=2, teacher=3, volunteer=1),
            }
        ],
        "accounts": 5,
    }


def test_account_census_task_is_not_sent_before_commit(
    census_school, admin_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = account_census_start(by=admin_a, school=census_school)

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert job.result is None


def test_account_census_twice_gives_the_same_result_and_only_a_second_job(
    census_school, admin_a, django_capture_on_commit_callbacks
):
    first = start_census(django_capture_on_commit_callbacks, by=admin_a, school=census_school)
    after_first = row_counts()

    second = start_census(django_capture_on_commit_callbacks, by=admin_a, school=census_school)

    assert second.pk != first.pk
    assert second.status == JobStatus.SUCCEEDED
    assert second.result == first.result
    assert row_counts() == {**after_first, "jobs": after_first["jobs"] + 1}


def test_account_census_of_a_district_admin_covers_each_administered_school(
    census_school, school_a, school_b, district_admin, django_capture_on_commit_callbacks
):
    job = start_census(django_capture_on_commit_callbacks, by=district_admin)

    assert job.status == JobStatus.SUCCEEDED, job.error
    by_school = {row["school"]: row["roles"] for row in job.result["schools"]}
    assert by_school == {
        school_a.code: census_roles(administrator=2, teacher=3, volunteer=1),
        school_b.code: census_roles(administrator=1, teacher=1, donor=1),
    }
    # Seven active accounts: the district admin counted once, not once per school.
    assert job.result["accounts"] == 7


def test_account_census_of_an_empty_school_counts_zero(
    district, admin_a, django_capture_on_commit_callbacks
):
    empty = SchoolFactory(district=district)

    job = start_census(django_capture_on_commit_callbacks, by=admin_a, school=empty)

    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {
        "schools": [{"school": empty.code, "roles": census_roles()}],
        "accounts": 0,
    }
