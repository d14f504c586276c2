"""/api/v1/jobs/: read-only status of background jobs, for their starter and administrators."""

import pytest

from mentoring.models import Role
from tests.conftest import client_for
from workers.factories import JobFactory, UserFactory, member
from workers.models import Job, JobKind, JobStatus

JOBS_URL = "/api/v1/jobs/"


def detail_url(job) -> str:
    return f"{JOBS_URL}{job.pk}/"


def job_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def starter(school_a):
    return member(Role.TEACHER, school_a, username="starter.teacher")


@pytest.fixture
def colleague(school_a):
    return member(Role.TEACHER, school_a, username="colleague.teacher")


@pytest.fixture
def job(starter, school_a):
    return JobFactory(
        started_by=starter,
        school=school_a,
        status=JobStatus.SUCCEEDED,
        progress=100,
        parameters={"school": school_a.code},
        result={"accounts": 3},
    )


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True)


def test_anonymous_request_answers_401(api, job):
    assert api.get(JOBS_URL).status_code == 401
    assert api.get(detail_url(job)).status_code == 401


def test_starter_sees_own_job_with_its_status_and_result(starter, school_a, job):
    client = client_for(starter)

    listed = client.get(JOBS_URL)
    detail = client.get(detail_url(job))

    assert listed.status_code == 200
    assert job_ids(listed) == {job.pk}
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == job.pk
    assert body["kind"] == JobKind.ACCOUNT_CENSUS
    assert body["status"] == JobStatus.SUCCEEDED
    assert body["progress"] == 100
    assert body["result"] == {"accounts": 3}
    assert body["parameters"] == {"school": school_a.code}
    assert body["error"] == ""
    assert body["school"] == school_a.code
    assert body["started_by"] == "starter.teacher"


def test_starter_sees_own_job_without_a_school(starter):
    own = JobFactory(started_by=starter, school=None)

    response = client_for(starter).get(detail_url(own))

    assert response.status_code == 200
    assert response.json()["school"] is None


def test_colleague_teacher_in_the_same_school_does_not_see_the_job(colleague, job):
    client = client_for(colleague)

    assert job_ids(client.get(JOBS_URL)) == set()
    detail = client.get(detail_url(job))
    assert detail.status_code == 404
    assert "result" not in detail.json()


def test_administrator_of_the_jobs_school_sees_it(admin_a, job):
    client = client_for(admin_a)

    assert job_ids(client.get(JOBS_URL)) == {job.pk}
    assert client.get(detail_url(job)).json()["result"] == {"accounts": 3}


def test_administrator_of_another_school_gets_404(admin_b, job):
    client = client_for(admin_b)

    assert job_ids(client.get(JOBS_URL)) == set()
    assert client.get(detail_url(job)).status_code == 404


def test_administrator_does_not_see_a_schoolless_job_started_by_a_teacher(admin_a, starter):
    JobFactory(started_by=starter, school=None)

    assert job_ids(client_for(admin_a).get(JOBS_URL)) == set()


def test_teacher_in_a_who_administers_b_sees_jobs_of_b_only(school_a, school_b, job):
    viewer = member(Role.ADMINISTRATOR, school_b)
    viewer.memberships.create(school=school_a, role=Role.TEACHER)
    job_of_b = JobFactory(school=school_b)

    response = client_for(viewer).get(JOBS_URL)

    assert job_ids(response) == {job_of_b.pk}


def test_district_admin_sees_jobs_of_both_schools(district_admin, school_a, school_b, job):
    job_of_b = JobFactory(school=school_b)
    JobFactory(school=None)

    response = client_for(district_admin).get(JOBS_URL)

    assert job_ids(response) == {job.pk, job_of_b.pk}


def test_platform_admin_sees_every_job(superuser, school_b, job):
    others = [JobFactory(school=school_b), JobFactory(school=None, started_by=None)]

    response = client_for(superuser).get(JOBS_URL)

    assert job_ids(response) == {job.pk, *(o.pk for o in others)}
    assert client_for(superuser).get(detail_url(others[1])).status_code == 200


def test_unknown_job_answers_404(superuser):
    response = client_for(superuser).get(f"{JOBS_URL}999999/")

    assert response.status_code == 404


def test_filter_by_status(starter, school_a, job):
    running = JobFactory(started_by=starter, school=school_a, status=JobStatus.RUNNING)
    failed = JobFactory(started_by=starter, school=school_a, status=JobStatus.FAILED)
    client = client_for(starter)

    assert job_ids(client.get(JOBS_URL, {"status": JobStatus.RUNNING})) == {running.pk}
    assert job_ids(client.get(JOBS_URL, {"status": JobStatus.FAILED})) == {failed.pk}
    assert job_ids(client.get(JOBS_URL, {"status": JobStatus.SUCCEEDED})) == {job.pk}
    assert job_ids(client.get(JOBS_URL, {"status": JobStatus.PENDING})) == set()


def test_filter_by_kind(starter, job):
    response = client_for(starter).get(JOBS_URL, {"kind": JobKind.ACCOUNT_CENSUS})

    assert job_ids(response) == {job.pk}


@pytest.mark.parametrize("param", ["status", "kind"])
def test_bad_filter_value_answers_400(starter, job, param):
    response = client_for(starter).get(JOBS_URL, {param: "bogus"})

    assert response.status_code == 400
    assert param in response.json()


def test_filters_do_not_widen_visibility(colleague, job):
    response = client_for(colleague).get(JOBS_URL, {"status": JobStatus.SUCCEEDED})

    assert job_ids(response) == set()


def test_jobs_are_listed_newest_first(starter, school_a):
    first = JobFactory(started_by=starter)
    second = JobFactory(started_by=starter)

    response = client_for(starter).get(JOBS_URL)

    assert [row["id"] for row in response.json()["results"]] == [second.pk, first.pk]


def test_jobs_are_read_only(starter, superuser, job):
    before = list(Job.objects.values_list("pk", "status", "progress"))

    for client in (client_for(starter), client_for(superuser)):
        assert (
            client.post(JOBS_URL, {"kind": JobKind.ACCOUNT_CENSUS}, format="json").status_code
            == 405
        )
        assert client.put(detail_url(job), {"status": "failed"}, format="json").status_code == 405
        assert client.patch(detail_url(job), {"status": "failed"}, format="json").status_code == 405
        assert client.delete(detail_url(job)).status_code == 405

    assert list(Job.objects.values_list("pk", "status", "progress")) == before


@pytest.mark.parametrize("n_jobs", [3, 30])
def test_list_query_count_does_not_grow_with_jobs(
    n_jobs, school_a, admin_a, django_assert_max_num_queries
):
    starters = [member(Role.TEACHER, school_a) for _ in range(n_jobs)]
    for user in starters:
        JobFactory(started_by=user, school=school_a)
    client = client_for(admin_a)

    with django_assert_max_num_queries(2):
        response = client.get(JOBS_URL, {"page_size": 100})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == n_jobs
    assert {row["started_by"] for row in results} == {u.username for u in starters}
    assert {row["school"] for row in results} == {school_a.code}
