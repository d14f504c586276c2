"""/api/v1/match-runs/: start (202) and read the term's matching.

Only administrators of every school of a run may see or touch it; anyone
else answers 401, 403 or 404 as their role and scope say. The world is in
run_api_scene.py, next to this file; adjusting by hand and approving are in
test_match_run_api_review.py.
"""

import pytest

from mentoring.models import MatchRun, MatchRunStatus, ProposedPair
from tests.conftest import client_for
from tests.mentoring.match_run_api.run_api_scene import (
    ACADEMIC,
    RUNS_URL,
    approve_url,
    detail_url,
    pair_url,
    pairs_url,
    row_counts,
    run_ids,
)
from workers.factories import TermFactory
from workers.models import JobKind, JobStatus

# Starting a run


def test_administrator_starts_a_run_answered_202_with_the_run_and_its_job(people, start, scene):
    response = start(people.admin_a)

    assert response.status_code == 202, response.content
    body = response.json()
    run = MatchRun.objects.get(pk=body["id"])
    assert body["term"] == "2026-autumn"
    assert body["schools"] == [scene.school_a.code]
    assert body["kinds"] == [ACADEMIC]
    assert body["created_by"] == "admin.a"
    assert body["rules"] == {"same_gender_from_age": 12}
    # The task is sent once the request commits, after the answer is built.
    assert body["status"] == MatchRunStatus.PENDING
    assert body["job"]["id"] == run.job_id
    assert body["job"]["status"] == JobStatus.PENDING
    assert body["job"]["kind"] == JobKind.MATCH_RUN
    assert body["job"]["school"] == scene.school_a.code
    assert body["job"]["parameters"] == {
        "term": "2026-autumn",
        "schools": [scene.school_a.code],
        "run": run.pk,
    }

    detail = client_for(people.admin_a).get(detail_url(run)).json()
    assert detail["status"] == MatchRunStatus.PROPOSED
    assert detail["job"]["status"] == JobStatus.SUCCEEDED
    assert detail["job"]["progress"] == 100
    assert detail["summary"]["kinds"][ACADEMIC]["proposed"] == 5
    assert detail["summary"]["kinds"][ACADEMIC]["unmatched_students"] == [
        {"student": scene.s("unmatchable"), "reason": "safeguarding_gender"}
    ]


def test_the_job_of_a_run_is_readable_at_jobs(people, run_a):
    response = client_for(people.admin_a).get(f"/api/v1/jobs/{run_a.job_id}/")

    assert response.status_code == 200
    assert response.json()["result"] == run_a.summary


def test_anonymous_request_answers_401_and_writes_nothing(api, run_a, scene):
    before = row_counts()

    assert api.get(RUNS_URL).status_code == 401
    assert api.get(detail_url(run_a)).status_code == 401
    assert api.get(pairs_url(run_a)).status_code == 401
    assert (
        api.post(RUNS_URL, {"term": scene.term.pk, "kinds": [ACADEMIC]}, format="json").status_code
        == 401
    )
    assert api.post(approve_url(run_a)).status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["teacher", "volunteer", "donor", "supervisor"])
def test_other_roles_answer_403_and_write_nothing(people, run_a, scene, persona):
    client = client_for(getattr(people, persona))
    proposal = ProposedPair.objects.filter(run=run_a).first()
    before = row_counts()

    assert client.get(RUNS_URL).status_code == 403
    assert client.get(detail_url(run_a)).status_code == 403
    assert client.get(pairs_url(run_a)).status_code == 403
    started = client.post(RUNS_URL, {"term": scene.term.pk, "kinds": [ACADEMIC]}, format="json")
    assert started.status_code == 403
    assert client.patch(pair_url(run_a, proposal.pk), {"mentor": 1}).status_code == 403
    assert client.delete(pair_url(run_a, proposal.pk)).status_code == 403
    assert client.post(approve_url(run_a)).status_code == 403
    assert row_counts() == before
    run_a.refresh_from_db()
    assert run_a.status == MatchRunStatus.PROPOSED


def test_administrator_cannot_start_a_run_for_a_school_they_do_not_administer(people, start, scene):
    before = row_counts()

    response = start(people.admin_a, schools=[scene.school_b.pk])

    assert response.status_code == 403
    assert "schools" in response.json()
    assert row_counts() == before


def test_a_term_of_another_district_answers_400_naming_term(people, start, scene):
    other = TermFactory()
    before = row_counts()

    response = start(people.admin_a, term=other.pk)

    assert response.status_code == 400
    assert "term" in response.json()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kinds": []}, "kinds"),
        ({"kinds": ["tutoring"]}, "kinds"),
        ({"kinds": "academic"}, "kinds"),
        ({"kinds": None}, "kinds"),
        ({"term": None}, "term"),
        ({"term": "autumn"}, "term"),
        ({"term": 0}, "term"),
        ({"weights": "heavy"}, "weights"),
        ({"weights": [1, 2]}, "weights"),
        ({"weights": {"kindness": 1}}, "weights"),
        ({"weights": {"subject_miss": -5}}, "weights"),
        ({"weights": {"grade_miss": True}}, "weights"),
        ({"weights": {"unmatched": "many"}}, "weights"),
        ({"rules": "strict"}, "rules"),
        ({"rules": {"same_gender_from_age": 99}}, "rules"),
        ({"rules": {"curfew": 21}}, "rules"),
        ({"schools": "all"}, "schools"),
        ({"schools": ["A"]}, "schools"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(people, start, overrides, field):
    before = row_counts()

    response = start(people.admin_a, **overrides)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert row_counts() == before


def test_a_missing_term_or_kinds_answers_400(people, scene):
    client = client_for(people.admin_a)
    before = row_counts()

    no_term = client.post(RUNS_URL, {"kinds": [ACADEMIC]}, format="json")
    no_kinds = client.post(RUNS_URL, {"term": scene.term.pk}, format="json")

    assert no_term.status_code == 400
    assert "term" in no_term.json()
    assert no_kinds.status_code == 400
    assert "kinds" in no_kinds.json()
    assert row_counts() == before


def test_weight_errors_are_explained_in_english(people, scene):
    response = client_for(people.admin_a).post(
        RUNS_URL,
        {"term": scene.term.pk, "kinds": [ACADEMIC], "weights": {"kindness": 1, "zeal": 2}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"weights": ["Unknown weights: kindness, zeal."]}


# Reading: scope


def test_owner_and_colleague_administrators_read_the_run_of_their_school(people, run_a):
    for user in (people.admin_a, people.colleague):
        client = client_for(user)
        assert run_ids(client.get(RUNS_URL)) == {run_a.pk}
        assert client.get(detail_url(run_a)).status_code == 200
        assert client.get(pairs_url(run_a)).json()["count"] == 5


def test_administrator_of_another_school_gets_404_for_every_action(people, run_a, scene):
    client = client_for(people.admin_b)
    proposal = ProposedPair.objects.filter(run=run_a).first()
    before = row_counts()

    assert run_ids(client.get(RUNS_URL)) == set()
    assert client.get(detail_url(run_a)).status_code == 404
    assert client.get(pairs_url(run_a)).status_code == 404
    added = client.post(
        pairs_url(run_a),
        {"student": scene.s("unmatchable"), "mentor": scene.m("p1"), "kind": ACADEMIC},
        format="json",
    )
    assert added.status_code == 404
    assert (
        client.patch(
            pair_url(run_a, proposal.pk), {"mentor": scene.m("t1")}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(pair_url(run_a, proposal.pk)).status_code == 404
    assert client.post(approve_url(run_a)).status_code == 404
    assert row_counts() == before
    run_a.refresh_from_db()
    assert run_a.status == MatchRunStatus.PROPOSED


def test_administrator_of_school_a_cannot_touch_the_run_of_school_b(people, run_b, scene):
    client = client_for(people.admin_a)

    assert client.get(detail_url(run_b)).status_code == 404
    assert client.get(pairs_url(run_b)).status_code == 404
    assert client.post(approve_url(run_b)).status_code == 404
    run_b.refresh_from_db()
    assert run_b.status == MatchRunStatus.PROPOSED
    assert proposal_students(run_b) == {scene.s("b_student")}


def proposal_students(run) -> set[int]:
    return set(ProposedPair.objects.filter(run=run).values_list("pairing__student_id", flat=True))


def test_district_administrator_reads_and_approves_runs_of_each_school(people, run_a, run_b):
    client = client_for(people.district)

    assert run_ids(client.get(RUNS_URL)) == {run_a.pk, run_b.pk}
    assert client.get(pairs_url(run_b)).json()["count"] == 1
    approved = client.post(approve_url(run_b))

    assert approved.status_code == 200
    assert approved.json()["status"] == MatchRunStatus.APPROVED
    assert approved.json()["approved_by"] == "district.admin"


def test_a_run_of_two_schools_is_invisible_to_an_administrator_of_only_one(people, run_ab):
    assert {s.pk for s in run_ab.schools.all()} == {
        people.admin_a.schools.get().pk,
        people.admin_b.schools.get().pk,
    }

    for user in (people.admin_a, people.admin_b):
        client = client_for(user)
        assert run_ids(client.get(RUNS_URL)) == set()
        assert client.get(detail_url(run_ab)).status_code == 404
        assert client.post(approve_url(run_ab)).status_code == 404
    assert run_ids(client_for(people.district).get(RUNS_URL)) == {run_ab.pk}
    run_ab.refresh_from_db()
    assert run_ab.status == MatchRunStatus.PROPOSED


def test_platform_administrator_sees_every_run(people, run_a, run_b, run_ab):
    client = client_for(people.superuser)

    assert run_ids(client.get(RUNS_URL)) == {run_a.pk, run_b.pk, run_ab.pk}
    assert client.get(detail_url(run_ab)).status_code == 200


def test_runs_filter_by_status_and_term(people, run_a, run_b, scene):
    client = client_for(people.district)
    client.post(approve_url(run_b))
    spring = TermFactory(district=scene.term.district, code="2027-spring")

    assert run_ids(client.get(RUNS_URL, {"status": "approved"})) == {run_b.pk}
    assert run_ids(client.get(RUNS_URL, {"status": "proposed"})) == {run_a.pk}
    assert run_ids(client.get(RUNS_URL, {"term": scene.term.pk})) == {run_a.pk, run_b.pk}
    assert run_ids(client.get(RUNS_URL, {"term": spring.pk})) == set()
    bad = client.get(RUNS_URL, {"status": "finished"})
    assert bad.status_code == 400
    assert "status" in bad.json()
