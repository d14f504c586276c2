"""/api/v1/scores/: entered by the student's administrators and active mentors, read by whoever
sees the student, refused with every bad field at once."""

from decimal import Decimal

import pytest

from mentoring.models import (
    AccessLogEntry,
    PairingStatus,
    Role,
    Subject,
    SubjectScore,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.pairings.pairing_world import World, build_world, clock  # noqa: F401
from workers.factories import (
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

SCORES_URL = "/api/v1/scores/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    w = build_world()
    for pairing in (w.owned, w.colleagues, w.outsiders, w.volunteers):
        record = StudentRecordFactory(student=pairing.student, term=w.term)
        SubjectScore.objects.create(record=record, subject=Subject.MATH, start_score=Decimal("48"))
    return w


def score_of(pairing) -> SubjectScore:
    return SubjectScore.objects.get(record__student=pairing.student)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def rows() -> tuple[int, int]:
    return SubjectScore.objects.count(), SubjectScore.history.count()


def new_score(w: World, pairing=None, **overrides) -> dict:
    payload = {
        "student": (pairing or w.owned).student_id,
        "term": w.term.pk,
        "subject": Subject.CHINESE,
        "start_score": "61.5",
    }
    payload.update(overrides)
    return payload


def district_admin(w: World):
    user = member(Role.ADMINISTRATOR, w.school_a, username="district.admin")
    user.memberships.create(school=w.school_b, role=Role.ADMINISTRATOR)
    return user


# Reading


def test_anonymous_request_answers_401(api, world):
    before = rows()
    assert api.get(SCORES_URL).status_code == 401
    assert api.post(SCORES_URL, new_score(world), format="json").status_code == 401
    assert rows() == before


@pytest.mark.parametrize("persona", ["donor", "supervisor"])
def test_donors_and_supervisors_read_and_enter_no_score(world, persona):
    client = client_for(getattr(world, persona))
    before = rows()
    assert client.get(SCORES_URL).status_code == 403
    assert client.get(f"{SCORES_URL}{score_of(world.owned).pk}/").status_code == 403
    assert client.post(SCORES_URL, new_score(world), format="json").status_code == 403
    assert rows() == before


def test_each_reader_sees_the_scores_of_the_students_they_see(world):
    w = world
    school_a = {score_of(p).pk for p in (w.owned, w.colleagues, w.volunteers)}
    everyone = school_a | {score_of(w.outsiders).pk}
    assert ids(client_for(w.owner).get(SCORES_URL)) == {score_of(w.owned).pk}
    assert ids(client_for(w.colleague).get(SCORES_URL)) == {score_of(w.colleagues).pk}
    assert ids(client_for(w.volunteer).get(SCORES_URL)) == {score_of(w.volunteers).pk}
    assert ids(client_for(w.admin_a).get(SCORES_URL)) == school_a
    assert ids(client_for(w.admin_b).get(SCORES_URL)) == {score_of(w.outsiders).pk}
    assert ids(client_for(district_admin(w)).get(SCORES_URL)) == everyone
    assert ids(client_for(w.superuser).get(SCORES_URL)) == everyone


def test_a_score_outside_the_scope_answers_404(world):
    foreign = score_of(world.colleagues)
    client = client_for(world.owner)
    assert client.get(f"{SCORES_URL}{foreign.pk}/").status_code == 404
    assert client.patch(f"{SCORES_URL}{foreign.pk}/", {"end_score": "70"}).status_code == 404
    assert client.get(f"{SCORES_URL}999999/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.end_score is None


def test_a_score_reads_with_its_student_term_and_exams(world):
    score = score_of(world.owned)
    body = client_for(world.owner).get(f"{SCORES_URL}{score.pk}/").json()
    assert body == {
        "id": score.pk,
        "student": world.owned.student_id,
        "student_name": world.owned.student.name,
        "school": world.school_a.pk,
        "term": world.term.pk,
        "term_code": world.term.code,
        "school_year": world.term.school_year,
        "subject": "math",
        "start_score": "48.0",
        "end_score": None,
    }


def test_reads_are_written_to_the_access_log(world):
    score = score_of(world.owned)
    client = client_for(world.owner)
    client.get(SCORES_URL)
    client.get(f"{SCORES_URL}{score.pk}/")
    entries = list(AccessLogEntry.objects.order_by("pk"))
    assert [(e.action, e.object_kind, e.object_id) for e in entries] == [
        ("list", "subjectscore", None),
        ("read", "subjectscore", score.pk),
    ]
    assert [list(e.students.values_list("student_id", flat=True)) for e in entries] == [
        [world.owned.student_id],
        [world.owned.student_id],
    ]


def test_filters_by_student_term_and_subject(world):
    w = world
    spring = TermFactory(
        district=w.term.district,
        code="2027-spring",
        start_date="2027-02-20",
        end_date="2027-07-01",
    )
    record = StudentRecordFactory(student=w.owned.student, term=spring)
    later = SubjectScore.objects.create(record=record, subject=Subject.CHINESE, start_score=70)
    client = client_for(w.admin_a)
    assert ids(client.get(SCORES_URL, {"student": w.owned.student_id})) == {
        SubjectScore.objects.get(record__term=w.term, record__student=w.owned.student).pk,
        later.pk,
    }
    assert ids(client.get(SCORES_URL, {"term": spring.pk})) == {later.pk}
    assert ids(client.get(SCORES_URL, {"subject": "chinese"})) == {later.pk}
    assert client.get(SCORES_URL, {"subject": "dance"}).status_code == 400


def test_list_queries_do_not_grow_with_the_scores(world, django_assert_max_num_queries):
    w = world
    for _ in range(30):
        pairing = PairingFactory(
            mentor=w.owner.mentor, student=StudentFactory(school=w.school_a), term=w.term
        )
        record = StudentRecordFactory(student=pairing.student, term=w.term)
        for subject in (Subject.MATH, Subject.CHINESE, Subject.ENGLISH):
            SubjectScore.objects.create(record=record, subject=subject, start_score=50)
    client = client_for(w.owner)
    # The user, the count, the page (with students and terms); then the access log.
    with django_assert_max_num_queries(4 + ACCESS_LOG_QUERIES):
        response = client.get(SCORES_URL, {"page_size": 200})
    assert response.json()["count"] == 91


# Entering


@pytest.mark.parametrize("persona", ["owner", "admin_a", "superuser"])
def test_the_mentor_and_administrators_enter_a_score(world, persona):
    response = client_for(getattr(world, persona)).post(SCORES_URL, new_score(world), format="json")
    assert response.status_code == 201, response.content
    score = SubjectScore.objects.get(pk=response.json()["id"])
    assert (score.record.student_id, score.record.term_id) == (
        world.owned.student_id,
        world.term.pk,
    )
    assert (score.subject, score.start_score, score.end_score) == ("chinese", Decimal("61.5"), None)


def test_a_district_administrator_enters_a_score_in_any_of_its_schools(world):
    response = client_for(district_admin(world)).post(
        SCORES_URL, new_score(world, world.outsiders), format="json"
    )
    assert response.status_code == 201, response.content


def test_entering_a_subject_again_changes_the_exam_given_and_keeps_the_other(world):
    client = client_for(world.owner)
    before = SubjectScore.objects.count()
    response = client.post(
        SCORES_URL,
        new_score(world, subject="math", start_score=None, end_score="66"),
        format="json",
    )
    # start_score given as null clears it; the row keeps the closing exam.
    assert response.status_code == 200, response.content
    assert response.json()["end_score"] == "66.0"
    assert SubjectScore.objects.count() == before
    response = client.post(
        SCORES_URL,
        {
            "student": world.owned.student_id,
            "term": world.term.pk,
            "subject": "math",
            "start_score": "50",
        },
        format="json",
    )
    assert response.status_code == 200
    score = score_of(world.owned)
    assert (score.start_score, score.end_score) == (Decimal("50"), Decimal("66"))


@pytest.mark.parametrize("persona", ["colleague", "outsider", "volunteer", "admin_b"])
def test_a_student_outside_the_scope_is_refused_like_an_unknown_one(world, persona):
    before = rows()
    response = client_for(getattr(world, persona)).post(SCORES_URL, new_score(world), format="json")
    assert response.status_code == 400
    missing = client_for(getattr(world, persona)).post(
        SCORES_URL, new_score(world, student=999999), format="json"
    )
    assert missing.status_code == 400
    assert response.json() == missing.json()
    assert len(response.json()["student"]) == 1
    assert rows() == before


def test_a_mentor_whose_pairing_ended_reads_but_no_longer_enters_scores(world):
    world.owned.status = PairingStatus.ENDED
    world.owned.save()
    client = client_for(world.owner)
    score = score_of(world.owned)
    before = rows()
    assert ids(client.get(SCORES_URL)) == {score.pk}
    assert client.post(SCORES_URL, new_score(world), format="json").status_code == 403
    assert (
        client.patch(f"{SCORES_URL}{score.pk}/", {"end_score": "1"}, format="json").status_code
        == 403
    )
    assert rows() == before


def test_every_bad_field_is_named_at_once_and_nothing_is_written(world):
    before = rows()
    response = client_for(world.owner).post(
        SCORES_URL,
        {
            "student": world.owned.student_id,
            "term": TermFactory(district=world.term.district, code="2025-autumn").pk,
            "subject": "dance",
            "start_score": "151",
            "end_score": "60.25",
            "extra": 1,
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"term", "subject", "start_score", "end_score", "extra"}
    assert len(body["term"]) == 1
    assert rows() == before


def test_a_score_with_neither_exam_is_refused(world):
    before = rows()
    response = client_for(world.admin_a).post(
        SCORES_URL, new_score(world, start_score=None), format="json"
    )
    assert response.status_code == 400
    assert "start_score" in response.json()
    assert rows() == before


# Changing


def test_the_mentor_changes_a_score(world):
    score = score_of(world.owned)
    response = client_for(world.owner).patch(
        f"{SCORES_URL}{score.pk}/", {"end_score": "72.5"}, format="json"
    )
    assert response.status_code == 200, response.content
    score.refresh_from_db()
    assert (score.start_score, score.end_score) == (Decimal("48"), Decimal("72.5"))


def test_a_change_leaving_no_exam_or_out_of_range_is_refused(world):
    score = score_of(world.owned)
    client = client_for(world.admin_a)
    emptied = client.patch(f"{SCORES_URL}{score.pk}/", {"start_score": None}, format="json")
    assert emptied.status_code == 400
    assert "start_score" in emptied.json()
    bad = client.patch(
        f"{SCORES_URL}{score.pk}/", {"end_score": "-1", "subject": "math"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"end_score", "subject"}
    score.refresh_from_db()
    assert (score.start_score, score.end_score) == (Decimal("48"), None)
