"""/api/v1/match-runs/{id}/inputs/: what a run solved, for the administrators who see the run.

The rule is the run's detail's: administrators of every school of the run
(and platform administrators); another administrator gets 404, other roles
403. Each read is written to the access log with the students it names.
"""

import pytest

from mentoring.models import AccessLogEntry, MatchRun
from mentoring.selectors.match_runs import students_in_inputs
from tests.conftest import client_for
from tests.mentoring.match_run_api.run_api_scene import ACADEMIC, detail_url


def inputs_url(run) -> str:
    return f"{detail_url(run)}inputs/"


def test_an_administrator_of_the_run_reads_its_stored_inputs(people, run_a, scene):
    response = client_for(people.admin_a).get(inputs_url(run_a))

    assert response.status_code == 200, response.content
    body = response.json()
    run_a.refresh_from_db()
    assert body == run_a.inputs
    assert body["term"] == scene.term.code
    assert set(body["students"]) == {ACADEMIC}
    assert {student["school"] for student in body["students"][ACADEMIC]} == {scene.school_a.pk}
    assert body["mentors"], "the run's mentors are part of its inputs"
    # No child's name or ID number is in the inputs, only ids and what matching weighs.
    assert set(body["students"][ACADEMIC][0]) == {
        "id",
        "school",
        "grade",
        "gender",
        "age",
        "weak_subjects",
        "need_rank",
        "previous_mentor",
    }


def test_the_read_is_written_to_the_access_log_with_the_students_named(people, run_a):
    before = AccessLogEntry.objects.count()

    response = client_for(people.colleague).get(inputs_url(run_a))

    assert response.status_code == 200
    assert AccessLogEntry.objects.count() == before + 1
    entry = AccessLogEntry.objects.latest("pk")
    assert entry.user == people.colleague
    assert entry.object_kind == "matchrun"
    assert entry.object_id == run_a.pk
    assert entry.path == inputs_url(run_a)
    logged = set(entry.students.values_list("student_id", flat=True))
    assert logged == students_in_inputs(response.json())
    assert logged


@pytest.mark.parametrize("persona", ["admin_a", "colleague", "district", "superuser"])
def test_every_administrator_who_sees_the_run_reads_its_inputs(people, run_a, persona):
    assert client_for(getattr(people, persona)).get(inputs_url(run_a)).status_code == 200


def test_a_run_of_two_schools_is_read_only_by_administrators_of_both(people, run_ab):
    assert client_for(people.district).get(inputs_url(run_ab)).status_code == 200
    assert client_for(people.superuser).get(inputs_url(run_ab)).status_code == 200
    assert client_for(people.admin_a).get(inputs_url(run_ab)).status_code == 404
    assert client_for(people.admin_b).get(inputs_url(run_ab)).status_code == 404


def test_an_administrator_of_another_school_gets_404_like_a_missing_run(people, run_a):
    before = AccessLogEntry.objects.count()
    client = client_for(people.admin_b)

    foreign = client.get(inputs_url(run_a))
    missing = client.get("/api/v1/match-runs/987654321/inputs/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert AccessLogEntry.objects.count() == before


@pytest.mark.parametrize("persona", ["teacher", "volunteer", "donor", "supervisor"])
def test_other_roles_are_refused(people, run_a, persona):
    before = AccessLogEntry.objects.count()

    assert client_for(getattr(people, persona)).get(inputs_url(run_a)).status_code == 403
    assert AccessLogEntry.objects.count() == before


def test_anonymous_is_refused(api, run_a):
    assert api.get(inputs_url(run_a)).status_code == 401


def test_a_run_whose_job_has_not_stored_inputs_answers_409(people, scene):
    pending = MatchRun.objects.create(term=scene.term, created_by=people.admin_a, kinds=[ACADEMIC])
    pending.schools.set([scene.school_a])
    before = AccessLogEntry.objects.count()

    response = client_for(people.admin_a).get(inputs_url(pending))

    assert response.status_code == 409
    assert "detail" in response.json()
    assert AccessLogEntry.objects.count() == before


def test_query_count_does_not_grow_with_the_runs_students(
    people, run_a, run_ab, django_assert_max_num_queries
):
    client = client_for(people.district)

    # The run's lookup (the administrator's schools, the run), its packed
    # inputs, and the access log's entry and its students: whatever their number.
    with django_assert_max_num_queries(8):
        small = client.get(inputs_url(run_a))
    with django_assert_max_num_queries(8):
        large = client.get(inputs_url(run_ab))

    assert small.status_code == large.status_code == 200
    assert len(students_in_inputs(large.json())) > len(students_in_inputs(small.json()))
