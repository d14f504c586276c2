"""/api/v1/match-runs/{id}/pairs/ and approve/: the proposal read and edited by hand, approval,
and query counts that do not grow.
"""

import datetime

import pytest

from mentoring.models import (
    MatchRun,
    MatchRunStatus,
    MentorKind,
    Pairing,
    PairingStatus,
    ProposedPair,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.match_run_api.run_api_scene import (
    ACADEMIC,
    RUNS_URL,
    approve_url,
    pair_url,
    pairs_url,
    row_counts,
)
from tests.mentoring.match_runs.match_scene import ACADEMIC_OPTIMUM
from workers.factories import MentorFactory, PairingFactory, StudentFactory, StudentRecordFactory
from workers.models import Job, JobKind

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
    ("mentor", "rule", "words"),
    [
        ("p2", "conflict", "must not be paired with this student (conflict of interest)"),
        ("unvetted", "volunteer_not_vetted", "vetting does not cover the start date"),
        ("t1", "safeguarding_gender", "from the age of 12 a student is paired only with"),
        ("leader", "mentor_kind", "School leader mentors take only Care and sponsorship pairs"),
    ],
)
def test_adding_a_pair_that_breaks_a_rule_answers_400_naming_mentor_and_why(
    people, run_a, scene, mentor, rule, words
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
    # The rule in words, with its reason, as the pages show it (not its code).
    [message] = response.json()["mentor"]
    assert words in message and f": {rule}" not in message
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
    s1 = ProposedPair.objects.select_related("pairing").get(
        run=run_a, pairing__student_id=scene.s("s1")
    )

    response = client_for(people.admin_a).delete(pair_url(run_a, s1.pk))

    assert response.status_code == 204
    assert not Pairing.objects.filter(pk=s1.pairing_id).exists()
    assert client_for(people.admin_a).get(pairs_url(run_a)).json()["count"] == 4
    # The run keeps whose pair was removed, by whom: the console lists the student unmatched.
    removed = client_for(people.admin_a).get(f"{RUNS_URL}{run_a.pk}/").json()["summary"]
    assert [(r["student"], r["mentor"], r["by"]) for r in removed["removed_by_hand"]] == [
        (s1.pairing.student_id, s1.pairing.mentor_id, people.admin_a.username)
    ]
    # Its figures are counted from the rows as they stand, as the console's page counts them.
    figures = {kind: f for kind, f in removed["kinds"].items() if f.get("proposed") is not None}
    assert sum(f["proposed"] for f in figures.values()) == 4
    assert any(
        row["student"] == s1.pairing.student_id and row["reason"] == "removed_by_hand"
        for f in figures.values()
        for row in f["unmatched_students"]
    )


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
