"""/api/v1/pairings/: read in scope, created and ended by administrators with a reason.

`build_world` and the `clock` fixture are shared with the sessions and
idempotency tests.
"""

import datetime
import threading
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from mentoring.models import (
    Mentor,
    MentorKind,
    Pairing,
    PairingKind,
    PairingStatus,
    Role,
    School,
    Student,
    Term,
    User,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from workers.factories import (
    DistrictFactory,
    MembershipFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    TutoringSessionFactory,
    UserFactory,
    member,
)

PAIRINGS_URL = "/api/v1/pairings/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every test runs at this moment, inside the 2026-autumn term of the factories.
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def clock():
    """Freeze django.utils.timezone.now; set `clock.return_value` to move time."""
    with mock.patch("django.utils.timezone.now", return_value=NOW) as frozen:
        yield frozen


@dataclass
class World:
    """Two schools of one district, a term, and a mentor of each kind with a mentee.

    - owner: a teacher in school A, mentor of `owned` (academic, active);
    - colleague: another teacher in school A with their own pairing;
    - outsider: a teacher in school B with their own pairing;
    - volunteer: a volunteer serving school A with their own pairing.
    """

    school_a: School
    school_b: School
    term: Term
    admin_a: User
    admin_b: User
    owner: User
    colleague: User
    outsider: User
    volunteer: User
    donor: User
    supervisor: User
    superuser: User
    owned: Pairing
    colleagues: Pairing
    outsiders: Pairing
    volunteers: Pairing


def _mentor(role: str, kind: str, school: School, username: str) -> Mentor:
    user = member(role, school, username=username)
    return MentorFactory(user=user, kind=kind, schools=[school], capacity=5)


def _pairing(mentor: Mentor, school: School, term: Term, **fields) -> Pairing:
    student = StudentFactory(school=school)
    return PairingFactory(mentor=mentor, student=student, term=term, **fields)


def build_world() -> World:
    # No safeguarding policy here, so that any new student may be paired with
    # the (female) mentors; the rule has its own tests in test_pairing_rules.py.
    district = DistrictFactory(same_gender_from_age=None)
    school_a = SchoolFactory(district=district)
    school_b = SchoolFactory(district=district)
    term = TermFactory(district=district)
    owner = _mentor(Role.TEACHER, MentorKind.TEACHER, school_a, "owner")
    colleague = _mentor(Role.TEACHER, MentorKind.PARTY_TEACHER, school_a, "colleague")
    outsider = _mentor(Role.TEACHER, MentorKind.TEACHER, school_b, "outsider")
    volunteer = _mentor(Role.VOLUNTEER, MentorKind.VOLUNTEER, school_a, "volunteer")
    return World(
        school_a=school_a,
        school_b=school_b,
        term=term,
        admin_a=member(Role.ADMINISTRATOR, school_a, username="admin.a"),
        admin_b=member(Role.ADMINISTRATOR, school_b, username="admin.b"),
        owner=owner.user,
        colleague=colleague.user,
        outsider=outsider.user,
        volunteer=volunteer.user,
        donor=member(Role.DONOR, school_a, username="donor"),
        supervisor=member(Role.SUPERVISOR, school_a, username="supervisor"),
        superuser=UserFactory(username="platform.root", is_superuser=True, is_staff=True),
        owned=_pairing(owner, school_a, term),
        colleagues=_pairing(colleague, school_a, term),
        outsiders=_pairing(outsider, school_b, term),
        volunteers=_pairing(volunteer, school_a, term, kind=PairingKind.CARE),
    )


@pytest.fixture
def world(db, clock) -> World:
    return build_world()


def detail_url(pairing) -> str:
    return f"{PAIRINGS_URL}{pairing.pk}/"


def end_url(pairing) -> str:
    return f"{PAIRINGS_URL}{pairing.pk}/end/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def row_counts() -> tuple[int, int]:
    return Pairing.objects.count(), Pairing.history.count()


def new_pairing(w: World, **overrides) -> dict:
    """A care pairing of a new student in school A with the owner, valid as it is."""
    payload = {
        "student": overrides.pop("student", None) or StudentFactory(school=w.school_a).pk,
        "mentor": w.owner.mentor.pk,
        "term": w.term.pk,
        "kind": PairingKind.CARE,
        "reason": "低保家庭需要生活关怀",
    }
    payload.update(overrides)
    return payload


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
