"""/api/v1/match-runs/: start (202), read, adjust by hand and approve the term's matching.

Only administrators of every school of a run may see or touch it; anyone
else answers 401, 403 or 404 as their role and scope say.
"""

import datetime
from dataclasses import dataclass

import pytest

from mentoring.models import (
    MatchRun,
    MatchRunStatus,
    MentorKind,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
    Role,
    User,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.test_match_runs import ACADEMIC_OPTIMUM, Scene, build_scene, clock  # noqa: F401
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    member,
)
from workers.models import Job, JobKind, JobStatus

RUNS_URL = "/api/v1/match-runs/"
ACADEMIC = PairingKind.ACADEMIC


def detail_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/"


def pairs_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/pairs/"


def pair_url(run, proposal_id) -> str:
    return f"{RUNS_URL}{run.pk}/pairs/{proposal_id}/"


def approve_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/approve/"


def row_counts() -> tuple[int, int, int, int]:
    return (
        MatchRun.objects.count(),
        Job.objects.count(),
        Pairing.objects.count(),
        ProposedPair.objects.count(),
    )


def run_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@dataclass
class People:
    admin_a: User
    colleague: User  # another administrator of school A
    admin_b: User
    district: User  # administrator of A and B
    teacher: User
    volunteer: User
    donor: User
    supervisor: User
    superuser: User


@pytest.fixture
def scene(db, clock) -> Scene:  # noqa: F811
    return build_scene()


@pytest.fixture
def people(scene) -> People:
    return People(
        admin_a=scene.admin,
        colleague=member(Role.ADMINISTRATOR, scene.school_a, username="colleague.a"),
        admin_b=member(Role.ADMINISTRATOR, scene.school_b, username="admin.b"),
        district=member(
            Role.ADMINISTRATOR, scene.school_a, scene.school_b, username="district.admin"
        ),
        teacher=scene.mentors["p1"].user,
        volunteer=scene.mentors["vetted"].user,
        donor=member(Role.DONOR, scene.school_a, username="donor"),
        supervisor=member(Role.SUPERVISOR, scene.school_a, username="supervisor"),
        superuser=UserFactory(username="platform.root", is_superuser=True, is_staff=True),
    )


@pytest.fixture
def start(scene, django_capture_on_commit_callbacks):
    """POST a run as `user` and let its task run once the request commits."""

    def post(user, **overrides):
        payload = {"term": scene.term.pk, "kinds": [ACADEMIC], **overrides}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(RUNS_URL, payload, format="json")
        return response

    return post


def started(response) -> MatchRun:
    assert response.status_code == 202, response.content
    return MatchRun.objects.get(pk=response.json()["id"])


@pytest.fixture
def run_a(people, start) -> MatchRun:
    return started(start(people.admin_a))


@pytest.fixture
def run_b(people, start, scene) -> MatchRun:
    return started(start(people.admin_b, schools=[scene.school_b.pk]))


@pytest.fixture
def run_ab(people, start) -> MatchRun:
    return started(start(people.district))


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


# The proposal


def test_pairs_lists_the_proposal_with_its_reasons(people, run_a, scene):
    response = client_for(people.admin_a).get(pairs_url(run_a))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert response.json()["count"] == 5
    assert {(row["student"], row["mentor"]) for row in rows} == {
        (scene.s(s), scene.m(m)) for s, m in ACADEMIC_OPTIMUM.items()
    }
    s3 = next(row for row in rows if row["student"] == scene.s("s3"))
    assert s3["student_name"] == "s3"
    assert s3["mentor_username"] == "vetted"
    assert s3["kind"] == ACADEMIC
    assert s3["status"] == PairingStatus.PROPOSED
    assert s3["cost"] == 10
    assert s3["reasons"] == {"subjects_matched": ["math"], "grade_fit": True, "continuity": True}
    assert s3["by_hand"] is False
    # Names, never ID numbers.
    assert set(s3) == {
        "id",
        "pairing",
        "student",
        "student_name",
        "mentor",
        "mentor_username",
        "kind",
        "status",
        "cost",
        "reasons",
        "by_hand",
    }


def test_administrator_adds_a_pair_by_hand(people, run_a, scene):
    client = client_for(people.admin_a)
    s1 = ProposedPair.objects.get(run=run_a, pairing__student_id=scene.s("s1"))
    assert client.delete(pair_url(run_a, s1.pk)).status_code == 204

    response = client.post(
        pairs_url(run_a),
        {"student": scene.s("s1"), "mentor": scene.m("t1"), "kind": ACADEMIC},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["mentor"] == scene.m("t1")
    assert response.json()["by_hand"] is True
    assert response.json()["status"] == PairingStatus.PROPOSED
    assert ProposedPair.objects.filter(run=run_a).count() == 5


@pytest.mark.parametrize(
    ("mentor", "rule"),
    [("p2", "conflict"), ("unvetted", "volunteer_not_vetted"), ("t1", "safeguarding_gender")],
)
def test_adding_a_pair_that_breaks_a_rule_answers_400_naming_mentor(
    people, run_a, scene, mentor, rule
):
    before = row_counts()

    response = client_for(people.admin_a).post(
        pairs_url(run_a),
        {"student": scene.s("unmatchable"), "mentor": scene.m(mentor), "kind": ACADEMIC},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["rule"] == rule
    assert response.json()["mentor"] == [f"This pair breaks a rule: {rule}."]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"mentor": 1, "kind": ACADEMIC}, "student"),
        ({"student": 1, "kind": ACADEMIC}, "mentor"),
        ({"student": 1, "mentor": 1, "kind": "tutoring"}, "kind"),
        ({"student": "x", "mentor": 1, "kind": ACADEMIC}, "student"),
    ],
)
def test_adding_a_pair_with_bad_input_answers_400(people, run_a, payload, field):
    before = row_counts()

    response = client_for(people.admin_a).post(pairs_url(run_a), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert row_counts() == before


def test_administrator_changes_the_mentor_of_a_pair(people, run_a, scene):
    s1 = ProposedPair.objects.get(run=run_a, pairing__student_id=scene.s("s1"))

    response = client_for(people.admin_a).patch(
        pair_url(run_a, s1.pk), {"mentor": scene.m("t1")}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["mentor"] == scene.m("t1")
    assert response.json()["mentor_username"] == "t1"
    assert response.json()["by_hand"] is True
    assert response.json()["reasons"]["changed_by"] == "admin.a"


@pytest.mark.parametrize(("student", "mentor"), [("s1", "p2"), ("conflicted", "p1")])
def test_changing_to_a_mentor_that_breaks_a_rule_answers_400_naming_mentor(
    people, run_a, scene, student, mentor
):
    chosen = ProposedPair.objects.get(run=run_a, pairing__student_id=scene.s(student))
    before = Pairing.objects.get(pk=chosen.pairing_id).mentor_id

    response = client_for(people.admin_a).patch(
        pair_url(run_a, chosen.pk), {"mentor": scene.m(mentor)}, format="json"
    )

    assert response.status_code == 400
    assert "mentor" in response.json()
    assert Pairing.objects.get(pk=chosen.pairing_id).mentor_id == before


def test_a_proposal_of_another_run_answers_404(people, run_a, run_b):
    foreign = ProposedPair.objects.filter(run=run_b).first()
    client = client_for(people.district)

    assert (
        client.patch(pair_url(run_a, foreign.pk), {"mentor": 1}, format="json").status_code == 404
    )
    assert client.delete(pair_url(run_a, foreign.pk)).status_code == 404
    assert ProposedPair.objects.filter(pk=foreign.pk).exists()


def test_removing_a_pair_deletes_the_proposed_pairing(people, run_a, scene):
    s1 = ProposedPair.objects.get(run=run_a, pairing__student_id=scene.s("s1"))

    response = client_for(people.admin_a).delete(pair_url(run_a, s1.pk))

    assert response.status_code == 204
    assert not Pairing.objects.filter(pk=s1.pairing_id).exists()
    assert client_for(people.admin_a).get(pairs_url(run_a)).json()["count"] == 4


# Approval


def test_approve_makes_the_proposal_active_and_twice_is_harmless(people, run_a, scene):
    client = client_for(people.colleague)

    first = client.post(approve_url(run_a))
    second = client.post(approve_url(run_a))

    assert first.status_code == 200
    assert first.json()["status"] == MatchRunStatus.APPROVED
    assert first.json()["approved_by"] == "colleague.a"
    assert second.status_code == 200
    assert second.json() == first.json()
    assert set(Pairing.objects.filter(term=scene.term).values_list("status", flat=True)) == {
        PairingStatus.ACTIVE
    }
    assert Pairing.objects.filter(term=scene.term).count() == 5


def test_editing_an_approved_run_answers_409(people, run_a, scene):
    client = client_for(people.admin_a)
    s1 = ProposedPair.objects.get(run=run_a, pairing__student_id=scene.s("s1"))
    client.post(approve_url(run_a))
    before = row_counts()

    added = client.post(
        pairs_url(run_a),
        {"student": scene.s("unmatchable"), "mentor": scene.m("p1"), "kind": ACADEMIC},
        format="json",
    )
    changed = client.patch(pair_url(run_a, s1.pk), {"mentor": scene.m("t1")}, format="json")
    removed = client.delete(pair_url(run_a, s1.pk))

    assert (added.status_code, changed.status_code, removed.status_code) == (409, 409, 409)
    assert changed.json()["status"] == MatchRunStatus.APPROVED
    assert row_counts() == before


def test_approval_ends_the_pairing_it_replaces(people, run_a, scene):
    meanwhile = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        started_on=datetime.date(2026, 9, 7),
    )

    response = client_for(people.admin_a).post(approve_url(run_a), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    meanwhile.refresh_from_db()
    assert meanwhile.status == PairingStatus.ENDED
    assert meanwhile.end_reason
    assert str(run_a.pk) in meanwhile.end_reason


# Query counts


def _runs(scene, by, n):
    for _ in range(n):
        job = Job.objects.create(kind=JobKind.MATCH_RUN, started_by=by, school=scene.school_a)
        run = MatchRun.objects.create(
            term=scene.term,
            kinds=[ACADEMIC],
            job=job,
            created_by=by,
            approved_by=by,
            status=MatchRunStatus.APPROVED,
            summary={"kinds": {}},
        )
        run.schools.set([scene.school_a])


@pytest.mark.parametrize("persona", ["admin_a", "superuser"])
def test_list_query_count_does_not_grow_with_runs(
    people, scene, persona, django_assert_max_num_queries
):
    client = client_for(getattr(people, persona))

    _runs(scene, people.admin_a, 5)
    with django_assert_max_num_queries(4):
        small = client.get(RUNS_URL)
    _runs(scene, people.admin_a, 45)
    with django_assert_max_num_queries(4):
        large = client.get(RUNS_URL)

    assert small.json()["count"] == 5
    assert large.json()["count"] == 50
    assert len(large.json()["results"]) == 50
    assert large.json()["results"][0]["schools"] == [scene.school_a.code]
    assert large.json()["results"][0]["job"]["started_by"] == "admin.a"


def test_pairs_query_count_does_not_grow_with_proposals(
    people, scene, django_assert_max_num_queries
):
    run = MatchRun.objects.create(
        term=scene.term, kinds=[ACADEMIC], created_by=people.admin_a, status="proposed"
    )
    run.schools.set([scene.school_a])
    client = client_for(people.admin_a)

    def propose(n):
        for _ in range(n):
            mentor = MentorFactory(kind=MentorKind.TEACHER, schools=[scene.school_a], capacity=1)
            student = StudentFactory(school=scene.school_a)
            StudentRecordFactory(student=student, term=scene.term, struggling=True)
            pairing = PairingFactory(
                student=student, mentor=mentor, term=scene.term, status=PairingStatus.PROPOSED
            )
            ProposedPair.objects.create(run=run, pairing=pairing, reasons={"grade_fit": True})

    propose(5)
    with django_assert_max_num_queries(5 + ACCESS_LOG_QUERIES):
        small = client.get(pairs_url(run))
    propose(45)
    with django_assert_max_num_queries(5 + ACCESS_LOG_QUERIES):
        large = client.get(pairs_url(run))

    assert small.json()["count"] == 5
    assert large.json()["count"] == 50
    assert len(large.json()["results"]) == 50
    assert all(row["mentor_username"] for row in large.json()["results"])
