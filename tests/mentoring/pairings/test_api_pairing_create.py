"""POST /api/v1/pairings/: administrators pair by hand, within every rule of who may take whom."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import connection

from mentoring.models import Mentor, MentorKind, Pairing, PairingKind, PairingStatus, Role, User
from tests.conftest import client_for
from tests.mentoring.pairings.pairing_world import (
    PAIRINGS_URL,
    TODAY,
    World,
    _mentor,
    _pairing,
    build_world,
    new_pairing,
    row_counts,
)
from workers.factories import (
    DistrictFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

# Create


def test_administrator_pairs_a_student_by_hand(world):
    student = StudentFactory(school=world.school_a)

    response = client_for(world.admin_a).post(
        PAIRINGS_URL, new_pairing(world, student=student.pk), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    pairing = Pairing.objects.get(pk=body["id"])
    assert pairing.student == student
    assert pairing.mentor == world.owner.mentor
    assert pairing.status == PairingStatus.ACTIVE
    assert pairing.started_on == TODAY
    assert pairing.created_by == world.admin_a
    assert pairing.reason == "低保家庭需要生活关怀"
    assert body["status"] == PairingStatus.ACTIVE
    assert body["started_on"] == TODAY.isoformat()


def test_academic_pairing_of_a_struggling_student_with_a_given_start(world):
    student = StudentFactory(school=world.school_a)
    StudentRecordFactory(student=student, term=world.term, struggling=True)

    response = client_for(world.admin_a).post(
        PAIRINGS_URL,
        new_pairing(world, student=student.pk, kind="academic", started_on="2026-09-14"),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["started_on"] == "2026-09-14"
    assert response.json()["kind"] == PairingKind.ACADEMIC


@pytest.mark.parametrize("persona", ["owner", "colleague", "volunteer", "donor", "supervisor"])
def test_only_administrators_create_pairings(world, persona):
    before = row_counts()

    response = client_for(getattr(world, persona)).post(
        PAIRINGS_URL, new_pairing(world), format="json"
    )

    assert response.status_code == 403
    assert row_counts() == before


def test_platform_administrator_creates_a_pairing(world):
    response = client_for(world.superuser).post(PAIRINGS_URL, new_pairing(world), format="json")

    assert response.status_code == 201


def _unknown_student_message(w: World) -> list[str]:
    response = client_for(w.admin_a).post(
        PAIRINGS_URL,
        new_pairing(w, student=999_999),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    return response.json()["student"]


def test_a_student_of_another_school_answers_like_one_that_does_not_exist(world):
    foreign = StudentFactory(school=world.school_b)
    before = row_counts()

    response = client_for(world.admin_a).post(
        PAIRINGS_URL,
        new_pairing(world, student=foreign.pk),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["student"] == _unknown_student_message(world) == ["Unknown student."]
    assert row_counts() == before


def _refusal(w: World, payload: dict, field: str, by: User | None = None) -> dict:
    before = row_counts()
    response = client_for(by or w.admin_a).post(
        PAIRINGS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert row_counts() == before
    return response.json()


def test_a_mentor_of_another_school_is_unknown(world):
    _refusal(world, new_pairing(world, mentor=world.outsider.mentor.pk), "mentor")


def test_a_term_of_another_district_is_refused(world):
    other = TermFactory(district=DistrictFactory())

    _refusal(world, new_pairing(world, term=other.pk), "term")


@pytest.mark.parametrize("started_on", ["2026-08-31", "2027-01-23"])
def test_a_start_outside_the_term_is_refused(world, started_on):
    _refusal(world, new_pairing(world, started_on=started_on), "started_on")


def test_a_mentor_who_does_not_serve_the_students_school_is_refused(world):
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)

    body = _refusal(
        world, new_pairing(world, mentor=world.outsider.mentor.pk), "mentor", by=district_admin
    )

    assert body["mentor"] == ["This mentor does not serve the student's school."]


def test_an_inactive_mentor_is_refused(world):
    Mentor.objects.filter(pk=world.owner.mentor.pk).update(active=False)

    _refusal(world, new_pairing(world), "mentor")


def test_a_volunteer_whose_vetting_ends_before_the_start_is_refused(world):
    Mentor.objects.filter(pk=world.volunteer.mentor.pk).update(
        vetted_until=datetime.date(2026, 10, 31)
    )

    body = _refusal(world, new_pairing(world, mentor=world.volunteer.mentor.pk), "mentor")

    assert "vetting" in body["mentor"][0]


def test_a_student_on_the_mentors_conflict_list_is_refused(world):
    relative = StudentFactory(school=world.school_a)
    world.owner.mentor.conflicts.add(relative)

    body = _refusal(world, new_pairing(world, student=relative.pk), "mentor")

    assert "conflict" in body["mentor"][0]


def test_a_mentor_at_capacity_is_refused(world):
    Mentor.objects.filter(pk=world.owner.mentor.pk).update(capacity=2, min_mentees=0)
    _pairing(world.owner.mentor, world.school_a, world.term, kind=PairingKind.CARE)

    body = _refusal(world, new_pairing(world), "mentor")

    assert "capacity" in body["mentor"][0]


def test_ended_pairings_do_not_count_against_capacity(world):
    Mentor.objects.filter(pk=world.owner.mentor.pk).update(capacity=2, min_mentees=0)
    _pairing(
        world.owner.mentor,
        world.school_a,
        world.term,
        status=PairingStatus.ENDED,
        ended_on=datetime.date(2026, 10, 1),
    )

    response = client_for(world.admin_a).post(PAIRINGS_URL, new_pairing(world), format="json")

    assert response.status_code == 201


def test_academic_pairing_of_a_student_recorded_as_not_struggling_is_refused(world):
    student = StudentFactory(school=world.school_a)
    StudentRecordFactory(student=student, term=world.term, struggling=False)

    _refusal(world, new_pairing(world, student=student.pk, kind="academic"), "student")


def test_a_second_active_pairing_of_the_same_kind_is_refused_but_another_kind_is_not(world):
    student = world.owned.student

    body = _refusal(world, new_pairing(world, student=student.pk, kind="academic"), "student")
    care = client_for(world.admin_a).post(
        PAIRINGS_URL, new_pairing(world, student=student.pk, kind="care"), format="json"
    )

    assert "already has an active pairing" in body["student"][0]
    assert care.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"kind": "friendship"}, "kind"),
        ({"mentor": "abc"}, "mentor"),
        ({"started_on": "2026-13-01"}, "started_on"),
        ({"term": None}, "term"),
    ],
)
def test_bad_input_answers_400_naming_the_field(world, overrides, field):
    _refusal(world, new_pairing(world, **overrides), field)


def test_the_database_constraint_answers_400_when_the_check_is_passed_by(world):
    """The constraint is the last word: even if the Python check misses, nothing is written."""
    student = world.owned.student
    payload = new_pairing(world, student=student.pk, kind="academic")

    with mock.patch("mentoring.services.pairings.Pairing.objects.filter") as active_check:
        # Capacity count: 1 active; duplicate check: none seen (as in a race).
        active_check.return_value.count.return_value = 1
        active_check.return_value.exists.return_value = False
        body = _refusal(world, payload, "student")

    assert "already has an active pairing" in body["student"][0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pairings_of_one_student_let_exactly_one_win(clock):
    w = build_world()
    student = StudentFactory(school=w.school_a)
    # Two different mentors, so the mentor row lock does not serialise them.
    second = _mentor(Role.TEACHER, MentorKind.TEACHER, w.school_a, "second.mentor")
    payloads = [
        new_pairing(w, student=student.pk, mentor=w.owner.mentor.pk),
        new_pairing(w, student=student.pk, mentor=second.pk),
    ]
    barrier = threading.Barrier(2)
    answers = []

    def create(payload):
        try:
            barrier.wait()
            response = client_for(w.admin_a).post(PAIRINGS_URL, payload, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(code for code, _ in answers) == [201, 400]
    refused = next(body for code, body in answers if code == 400)
    assert "student" in refused
    assert (
        Pairing.objects.filter(
            student=student, kind=PairingKind.CARE, status=PairingStatus.ACTIVE
        ).count()
        == 1
    )
