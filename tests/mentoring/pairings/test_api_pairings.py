"""/api/v1/pairings/: read in scope, filtered, and ended by administrators with a reason.

The world is in pairing_world.py, next to this file; creating a pairing by hand has a
file of its own (test_api_pairing_create.py).
"""

import datetime

import pytest

from mentoring.models import Mentor, PairingKind, PairingStatus, Role, Student
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.pairings.pairing_world import (
    PAIRINGS_URL,
    TODAY,
    _pairing,
    detail_url,
    end_url,
    ids,
    new_pairing,
    row_counts,
)
from workers.factories import (
    MembershipFactory,
    MentorFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)

# Permissions: reading


def test_anonymous_request_answers_401(api, world):
    before = row_counts()

    assert api.get(PAIRINGS_URL).status_code == 401
    assert api.get(detail_url(world.owned)).status_code == 401
    assert api.post(PAIRINGS_URL, new_pairing(world), format="json").status_code == 401
    assert api.post(end_url(world.owned), {"reason": "x"}, format="json").status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["donor", "supervisor"])
def test_donors_and_supervisors_see_no_pairing(world, persona):
    client = client_for(getattr(world, persona))

    listed = client.get(PAIRINGS_URL)
    retrieved = client.get(detail_url(world.owned))

    assert listed.status_code == 403
    assert "results" not in listed.json()
    assert retrieved.status_code == 403
    assert world.owned.student.name not in retrieved.content.decode()


@pytest.mark.parametrize(
    ("persona", "own"),
    [
        ("owner", "owned"),
        ("colleague", "colleagues"),
        ("outsider", "outsiders"),
        ("volunteer", "volunteers"),
    ],
)
def test_a_mentor_lists_only_their_own_pairings(world, persona, own):
    response = client_for(getattr(world, persona)).get(PAIRINGS_URL)

    assert ids(response) == {getattr(world, own).pk}


def test_owner_reads_own_pairing_with_student_and_mentor_names(world):
    response = client_for(world.owner).get(detail_url(world.owned))

    assert response.status_code == 200
    body = response.json()
    assert body["student"] == world.owned.student_id
    assert body["student_name"] == world.owned.student.name
    assert body["mentor"] == world.owner.mentor.pk
    assert body["school"] == world.school_a.pk
    assert body["term_code"] == "2026-autumn"
    assert body["status"] == PairingStatus.ACTIVE
    assert "id_masked" not in body
    assert "id_hash" not in body


@pytest.mark.parametrize("persona", ["colleague", "outsider", "volunteer", "admin_b"])
def test_a_pairing_outside_the_viewers_scope_answers_404(world, persona):
    response = client_for(getattr(world, persona)).get(detail_url(world.owned))

    assert response.status_code == 404
    assert world.owned.student.name not in response.content.decode()


def test_mentor_does_not_see_a_proposed_pairing_but_keeps_an_ended_one(world):
    proposed = _pairing(world.owner.mentor, world.school_a, world.term, status="proposed")
    ended = _pairing(
        world.owner.mentor,
        world.school_a,
        world.term,
        status=PairingStatus.ENDED,
        ended_on=datetime.date(2026, 10, 30),
    )
    client = client_for(world.owner)

    assert ids(client.get(PAIRINGS_URL)) == {world.owned.pk, ended.pk}
    assert client.get(detail_url(proposed)).status_code == 404
    assert client.get(detail_url(ended)).status_code == 200


def test_administrator_sees_every_pairing_of_their_school_proposed_included(world):
    proposed = _pairing(world.owner.mentor, world.school_a, world.term, status="proposed")

    response = client_for(world.admin_a).get(PAIRINGS_URL)

    assert ids(response) == {
        world.owned.pk,
        world.colleagues.pk,
        world.volunteers.pk,
        proposed.pk,
    }
    assert ids(client_for(world.admin_b).get(PAIRINGS_URL)) == {world.outsiders.pk}


def test_platform_administrator_sees_every_pairing(world):
    response = client_for(world.superuser).get(PAIRINGS_URL)

    assert ids(response) == {
        world.owned.pk,
        world.colleagues.pk,
        world.outsiders.pk,
        world.volunteers.pk,
    }


def test_teacher_without_a_mentor_profile_sees_an_empty_list(world):
    teacher = member(Role.TEACHER, world.school_a, username="no.mentees")

    response = client_for(teacher).get(PAIRINGS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


# Filters


def test_filters_by_kind_status_mentor_student_term_and_school(world):
    client = client_for(world.superuser)
    other_term = TermFactory(district=world.term.district, code="2027-spring")
    later = _pairing(world.owner.mentor, world.school_a, other_term)

    assert ids(client.get(PAIRINGS_URL, {"kind": PairingKind.CARE})) == {world.volunteers.pk}
    assert ids(client.get(PAIRINGS_URL, {"mentor": world.owner.mentor.pk})) == {
        world.owned.pk,
        later.pk,
    }
    assert ids(client.get(PAIRINGS_URL, {"student": world.owned.student_id})) == {world.owned.pk}
    assert ids(client.get(PAIRINGS_URL, {"term": other_term.pk})) == {later.pk}
    assert ids(client.get(PAIRINGS_URL, {"school": world.school_b.pk})) == {world.outsiders.pk}
    assert ids(client.get(PAIRINGS_URL, {"status": PairingStatus.ENDED})) == set()


def test_filter_with_an_unknown_status_answers_400(world):
    response = client_for(world.admin_a).get(PAIRINGS_URL, {"status": "paused"})

    assert response.status_code == 400
    assert "status" in response.json()


# End


def test_administrator_ends_a_pairing_with_a_reason(world):
    response = client_for(world.admin_a).post(
        end_url(world.owned), {"reason": "学生转学"}, format="json"
    )

    assert response.status_code == 200, response.content
    world.owned.refresh_from_db()
    assert world.owned.status == PairingStatus.ENDED
    assert world.owned.ended_on == TODAY
    assert world.owned.end_reason == "学生转学"
    assert response.json()["status"] == PairingStatus.ENDED
    assert world.owned.history.first().history_user == world.admin_a


def test_ending_with_a_given_date(world):
    response = client_for(world.admin_a).post(
        end_url(world.owned), {"reason": "期中调整", "ended_on": "2026-11-06"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["ended_on"] == "2026-11-06"


@pytest.mark.parametrize("persona", ["owner", "colleague", "volunteer"])
def test_mentors_cannot_end_pairings(world, persona):
    response = client_for(getattr(world, persona)).post(
        end_url(world.owned), {"reason": "x"}, format="json"
    )

    assert response.status_code == 403
    world.owned.refresh_from_db()
    assert world.owned.status == PairingStatus.ACTIVE


def test_administrator_of_another_school_gets_404_ending_a_pairing(world):
    response = client_for(world.admin_b).post(end_url(world.owned), {"reason": "x"}, format="json")

    assert response.status_code == 404
    world.owned.refresh_from_db()
    assert world.owned.status == PairingStatus.ACTIVE


def test_an_administrator_who_mentors_elsewhere_cannot_end_their_own_pairing(world):
    # admin.b also mentors in school A: the pairing is visible to them as its mentor.
    MembershipFactory(user=world.admin_b, school=world.school_a, role=Role.TEACHER)
    mentor = MentorFactory(user=world.admin_b, schools=[world.school_a])
    own = _pairing(mentor, world.school_a, world.term, kind=PairingKind.CARE)

    response = client_for(world.admin_b).post(end_url(own), {"reason": "x"}, format="json")

    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == PairingStatus.ACTIVE


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "x", "ended_on": "2026-09-06"}, "ended_on"),
        ({"reason": "x", "ended_on": "2026-11-21"}, "ended_on"),
        ({"reason": "x", "ended_on": "yesterday"}, "ended_on"),
    ],
)
def test_ending_with_bad_input_answers_400_and_changes_nothing(world, payload, field):
    response = client_for(world.admin_a).post(end_url(world.owned), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    world.owned.refresh_from_db()
    assert world.owned.status == PairingStatus.ACTIVE
    assert world.owned.ended_on is None


def test_a_pairing_cannot_end_before_a_logged_session(world):
    TutoringSessionFactory(pairing=world.owned, date=datetime.date(2026, 11, 10))

    response = client_for(world.admin_a).post(
        end_url(world.owned),
        {"reason": "x", "ended_on": "2026-11-09"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "2026-11-10" in response.json()["ended_on"][0]


def test_ending_an_ended_pairing_answers_409(world):
    client = client_for(world.admin_a)
    client.post(end_url(world.owned), {"reason": "x"}, format="json")

    again = client.post(end_url(world.owned), {"reason": "y"}, format="json")

    assert again.status_code == 409
    assert "status" in again.json()
    world.owned.refresh_from_db()
    assert world.owned.end_reason == "x"


# Query count


@pytest.mark.parametrize("persona", ["admin_a", "owner"])
def test_list_query_count_does_not_grow_with_rows(world, persona, django_assert_max_num_queries):
    user = getattr(world, persona)
    Mentor.objects.filter(pk=world.owner.mentor.pk).update(capacity=50)
    client = client_for(user)

    def make(n):
        for _ in range(n):
            _pairing(world.owner.mentor, world.school_a, world.term, kind=PairingKind.CARE)

    make(4)
    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        small = client.get(PAIRINGS_URL)
    make(45)
    with django_assert_max_num_queries(6 + ACCESS_LOG_QUERIES):
        large = client.get(PAIRINGS_URL)

    assert small.json()["count"] + 45 == large.json()["count"]
    assert len(large.json()["results"]) == 50
    assert Student.objects.count() > 50
