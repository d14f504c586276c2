"""/api/v1/mentors/: administrators manage their schools' mentors; a mentor reads itself."""

import pytest

from mentoring.models import Mentor, MentorKind, PairingKind, Role, Subject
from tests.conftest import client_for
from tests.mentoring.pairings.pairing_world import World, _pairing, build_world, clock  # noqa: F401
from workers.factories import MembershipFactory, MentorFactory, StudentFactory, member

MENTORS_URL = "/api/v1/mentors/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    return build_world()


def detail_url(mentor) -> str:
    return f"{MENTORS_URL}{mentor.pk}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def row_counts() -> tuple[int, int]:
    return Mentor.objects.count(), Mentor.history.count()


def new_mentor(user, *schools, **overrides) -> dict:
    payload = {
        "user": user.pk,
        "kind": MentorKind.TEACHER,
        "gender": "female",
        "schools": [school.pk for school in schools],
        "subjects": [Subject.MATH, Subject.CHINESE],
        "grades": [4, 3],
        "capacity": 4,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def new_teacher(world):
    return member(Role.TEACHER, world.school_a, username="new.teacher", first_name="Min")


@pytest.fixture
def new_volunteer(world):
    user = member(Role.VOLUNTEER, world.school_a, username="new.volunteer")
    MembershipFactory(user=user, school=world.school_b, role=Role.VOLUNTEER)
    return user


@pytest.fixture
def shared_volunteer(world):
    """A vetted volunteer serving both schools, with a conflict in each."""
    user = member(Role.VOLUNTEER, world.school_a, username="shared.volunteer")
    MembershipFactory(user=user, school=world.school_b, role=Role.VOLUNTEER)
    mentor = MentorFactory(
        user=user, kind=MentorKind.VOLUNTEER, schools=[world.school_a, world.school_b]
    )
    mentor.conflicts.set(
        [StudentFactory(school=world.school_a), StudentFactory(school=world.school_b)]
    )
    return mentor


# Permissions: reading


def test_anonymous_request_answers_401(api, world, new_teacher):
    before = row_counts()

    assert api.get(MENTORS_URL).status_code == 401
    assert api.get(detail_url(world.owner.mentor)).status_code == 401
    post = api.post(MENTORS_URL, new_mentor(new_teacher, world.school_a), format="json")
    assert post.status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["donor", "supervisor"])
def test_donors_and_supervisors_are_refused(world, persona):
    client = client_for(getattr(world, persona))

    listed = client.get(MENTORS_URL)
    retrieved = client.get(detail_url(world.owner.mentor))

    assert listed.status_code == retrieved.status_code == 403
    assert "results" not in listed.json()


def test_a_teacher_who_is_not_a_mentor_is_refused(world, new_teacher):
    assert client_for(new_teacher).get(MENTORS_URL).status_code == 403


@pytest.mark.parametrize("persona", ["owner", "colleague", "outsider", "volunteer"])
def test_a_mentor_lists_only_their_own_profile(world, persona):
    user = getattr(world, persona)

    response = client_for(user).get(MENTORS_URL)

    assert ids(response) == {user.mentor.pk}


def test_owner_reads_own_profile(world):
    mentor = world.owner.mentor

    response = client_for(world.owner).get(detail_url(mentor))

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == world.owner.pk
    assert body["username"] == "owner"
    assert body["display_name"] == world.owner.get_full_name()
    assert body["kind"] == MentorKind.TEACHER
    assert body["schools"] == [world.school_a.pk]
    assert body["subjects"] == [Subject.MATH]
    assert body["capacity"] == 5
    assert body["active"] is True


@pytest.mark.parametrize("persona", ["colleague", "outsider", "volunteer", "admin_b"])
def test_another_mentors_profile_answers_404(world, persona):
    response = client_for(getattr(world, persona)).get(detail_url(world.owner.mentor))

    assert response.status_code == 404
    assert "username" not in response.json()


def test_administrator_lists_the_mentors_of_their_school(world):
    response = client_for(world.admin_a).get(MENTORS_URL)

    assert ids(response) == {
        world.owner.mentor.pk,
        world.colleague.mentor.pk,
        world.volunteer.mentor.pk,
    }
    assert ids(client_for(world.admin_b).get(MENTORS_URL)) == {world.outsider.mentor.pk}


def test_platform_administrator_lists_every_mentor(world):
    response = client_for(world.superuser).get(MENTORS_URL)

    assert response.json()["count"] == 4


def test_a_shared_volunteer_shows_only_the_viewers_schools_and_conflicts(world, shared_volunteer):
    a_conflict = shared_volunteer.conflicts.get(school=world.school_a)

    as_admin_a = client_for(world.admin_a).get(detail_url(shared_volunteer)).json()
    as_district = client_for(member(Role.ADMINISTRATOR, world.school_a, world.school_b)).get(
        detail_url(shared_volunteer)
    )
    as_self = client_for(shared_volunteer.user).get(detail_url(shared_volunteer)).json()

    assert as_admin_a["schools"] == [world.school_a.pk]
    assert as_admin_a["conflicts"] == [a_conflict.pk]
    assert len(as_district.json()["schools"]) == 2
    assert len(as_district.json()["conflicts"]) == 2
    assert len(as_self["schools"]) == 2
    assert len(as_self["conflicts"]) == 2


# Filters


def test_filters_by_kind_school_and_active(world):
    client = client_for(world.superuser)
    Mentor.objects.filter(pk=world.colleague.mentor.pk).update(active=False)

    assert ids(client.get(MENTORS_URL, {"kind": MentorKind.VOLUNTEER})) == {
        world.volunteer.mentor.pk
    }
    assert ids(client.get(MENTORS_URL, {"school": world.school_b.pk})) == {world.outsider.mentor.pk}
    assert ids(client.get(MENTORS_URL, {"active": "false"})) == {world.colleague.mentor.pk}


def test_filter_with_an_unknown_kind_answers_400(world):
    response = client_for(world.admin_a).get(MENTORS_URL, {"kind": "wizard"})

    assert response.status_code == 400
    assert "kind" in response.json()


# Create


def test_administrator_makes_a_teacher_of_their_school_a_mentor(world, new_teacher):
    relative = StudentFactory(school=world.school_a)

    response = client_for(world.admin_a).post(
        MENTORS_URL,
        new_mentor(new_teacher, world.school_a, conflicts=[relative.pk]),
        format="json",
    )

    assert response.status_code == 201, response.content
    mentor = Mentor.objects.get(user=new_teacher)
    assert mentor.kind == MentorKind.TEACHER
    assert list(mentor.schools.all()) == [world.school_a]
    assert mentor.subjects == sorted([Subject.MATH, Subject.CHINESE])
    assert mentor.grades == [3, 4]
    assert mentor.capacity == 4
    assert mentor.min_mentees == 0
    assert list(mentor.conflicts.all()) == [relative]
    assert response.json()["id"] == mentor.pk
    assert response.json()["conflicts"] == [relative.pk]
    assert mentor.history.first().history_user == world.admin_a


def test_a_party_member_teacher_gets_a_minimum_of_one_by_default(world, new_teacher):
    response = client_for(world.admin_a).post(
        MENTORS_URL,
        new_mentor(new_teacher, world.school_a, kind="party_teacher", party_branch="第二党支部"),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["min_mentees"] == 1
    assert response.json()["party_branch"] == "第二党支部"


def test_district_administrator_makes_a_volunteer_serving_two_schools(world, new_volunteer):
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)

    response = client_for(district_admin).post(
        MENTORS_URL,
        new_mentor(
            new_volunteer,
            world.school_a,
            world.school_b,
            kind="volunteer",
            vetted_until="2027-06-30",
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert sorted(response.json()["schools"]) == sorted([world.school_a.pk, world.school_b.pk])
    assert response.json()["vetted_until"] == "2027-06-30"


@pytest.mark.parametrize("persona", ["owner", "volunteer", "donor", "supervisor"])
def test_only_administrators_create_mentors(world, new_teacher, persona):
    before = row_counts()

    response = client_for(getattr(world, persona)).post(
        MENTORS_URL, new_mentor(new_teacher, world.school_a), format="json"
    )

    assert response.status_code == 403
    assert row_counts() == before


def _refusal(w: World, payload: dict, field: str, by=None) -> dict:
    before = row_counts()
    response = client_for(by or w.admin_a).post(
        MENTORS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert row_counts() == before
    return response.json()


def test_a_user_of_another_school_answers_like_one_that_does_not_exist(world):
    teacher_b = member(Role.TEACHER, world.school_b)

    foreign = _refusal(world, new_mentor(teacher_b, world.school_a), "user")
    missing = _refusal(world, {**new_mentor(teacher_b, world.school_a), "user": 999_999}, "user")

    assert foreign == missing


def test_a_school_the_administrator_does_not_administer_is_refused(world):
    teacher_b = member(Role.TEACHER, world.school_b)

    _refusal(world, new_mentor(teacher_b, world.school_b), "schools")


@pytest.mark.parametrize("role", [Role.DONOR, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_a_user_without_a_teacher_role_cannot_be_a_teacher_mentor(world, role):
    user = member(role, world.school_a)

    _refusal(world, new_mentor(user, world.school_a), "user")


def test_a_teacher_cannot_be_made_a_volunteer_mentor(world, new_teacher):
    payload = new_mentor(new_teacher, world.school_a, kind="volunteer", vetted_until="2027-06-30")

    _refusal(world, payload, "user")


def test_an_account_that_is_already_a_mentor_is_refused(world):
    body = _refusal(world, new_mentor(world.owner, world.school_a), "user")

    assert body["user"] == ["This account is already a mentor."]


def test_a_teacher_mentor_has_exactly_one_school(world):
    user = member(Role.TEACHER, world.school_a, world.school_b)
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)

    _refusal(world, new_mentor(user, world.school_a, world.school_b), "schools", by=district_admin)


def test_a_volunteer_must_have_a_vetting_date_and_it_must_not_have_passed(world, new_volunteer):
    payload = new_mentor(new_volunteer, world.school_a, kind="volunteer")

    _refusal(world, payload, "vetted_until")
    _refusal(world, {**payload, "vetted_until": None}, "vetted_until")
    _refusal(world, {**payload, "vetted_until": "2026-11-19"}, "vetted_until")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "party_teacher"}, "party_branch"),
        ({"kind": "party_teacher", "party_branch": "  "}, "party_branch"),
        ({"kind": "party_teacher", "party_branch": "一支部", "min_mentees": 0}, "min_mentees"),
        ({"kind": "leader", "min_mentees": 0}, "min_mentees"),
        ({"capacity": 2, "min_mentees": 3}, "min_mentees"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 51}, "capacity"),
        ({"subjects": ["astrology"]}, "subjects"),
        ({"subjects": "math"}, "subjects"),
        ({"grades": [0]}, "grades"),
        ({"grades": [10]}, "grades"),
        ({"kind": "wizard"}, "kind"),
        ({"gender": "unknown"}, "gender"),
        ({"schools": []}, "schools"),
        ({"vetted_until": "next year"}, "vetted_until"),
    ],
)
def test_bad_input_answers_400_naming_the_field(world, new_teacher, overrides, field):
    _refusal(world, new_mentor(new_teacher, world.school_a, **overrides), field)


def test_a_conflict_with_a_student_of_another_school_is_refused_without_revealing_it(
    world, new_teacher
):
    foreign = StudentFactory(school=world.school_b)

    foreign_answer = _refusal(
        world, new_mentor(new_teacher, world.school_a, conflicts=[foreign.pk]), "conflicts"
    )
    missing_answer = _refusal(
        world, new_mentor(new_teacher, world.school_a, conflicts=[999_999]), "conflicts"
    )

    assert foreign_answer == missing_answer
    assert foreign.name not in str(foreign_answer)


# Update and deactivation


def test_administrator_changes_capacity_subjects_and_conflicts(world):
    mentor = world.owner.mentor
    relative = StudentFactory(school=world.school_a)

    response = client_for(world.admin_a).patch(
        detail_url(mentor),
        {"capacity": 6, "subjects": ["english"], "conflicts": [relative.pk]},
        format="json",
    )

    assert response.status_code == 200, response.content
    mentor.refresh_from_db()
    assert mentor.capacity == 6
    assert mentor.subjects == ["english"]
    assert list(mentor.conflicts.all()) == [relative]
    assert mentor.kind == MentorKind.TEACHER  # untouched fields stay


def test_administrator_deactivates_and_reactivates_a_mentor_without_pairings(world, new_teacher):
    mentor = MentorFactory(user=new_teacher, schools=[world.school_a])
    client = client_for(world.admin_a)

    off = client.patch(detail_url(mentor), {"active": False}, format="json")
    mentor.refresh_from_db()
    was_active = mentor.active
    on = client.patch(detail_url(mentor), {"active": True}, format="json")
    mentor.refresh_from_db()

    assert off.status_code == on.status_code == 200
    assert was_active is False
    assert mentor.active is True


def test_deactivating_a_mentor_with_active_pairings_answers_409(world):
    response = client_for(world.admin_a).patch(
        detail_url(world.owner.mentor), {"active": False}, format="json"
    )

    assert response.status_code == 409
    assert "active" in response.json()
    world.owner.mentor.refresh_from_db()
    assert world.owner.mentor.active is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"min_mentees": 6}, "min_mentees"),
        ({"kind": "party_teacher"}, "party_branch"),
        ({"capacity": 0}, "capacity"),
        ({"user": 1}, "user"),
        ({"conflicts": [999_999]}, "conflicts"),
        ({"kind": "volunteer", "vetted_until": "2027-06-30"}, "user"),
    ],
)
def test_a_bad_change_answers_400_and_changes_nothing(world, payload, field):
    mentor = world.owner.mentor

    response = client_for(world.admin_a).patch(detail_url(mentor), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    mentor.refresh_from_db()
    assert (mentor.kind, mentor.capacity, mentor.min_mentees) == (MentorKind.TEACHER, 5, 0)


@pytest.mark.parametrize("persona", ["owner", "colleague", "volunteer"])
def test_mentors_cannot_change_mentor_profiles(world, persona):
    response = client_for(getattr(world, persona)).patch(
        detail_url(world.owner.mentor), {"capacity": 9}, format="json"
    )

    assert response.status_code == 403
    world.owner.mentor.refresh_from_db()
    assert world.owner.mentor.capacity == 5


def test_administrator_of_another_school_gets_404_changing_a_mentor(world):
    response = client_for(world.admin_b).patch(
        detail_url(world.owner.mentor), {"capacity": 9}, format="json"
    )

    assert response.status_code == 404


def test_a_mentor_shared_with_another_school_is_changed_only_by_an_admin_of_both(
    world, shared_volunteer
):
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)

    refused = client_for(world.admin_a).patch(
        detail_url(shared_volunteer), {"capacity": 9}, format="json"
    )
    allowed = client_for(district_admin).patch(
        detail_url(shared_volunteer), {"capacity": 9}, format="json"
    )

    assert refused.status_code == 403
    assert allowed.status_code == 200
    shared_volunteer.refresh_from_db()
    assert shared_volunteer.capacity == 9


def test_removing_a_school_with_an_active_pairing_answers_409(world, shared_volunteer):
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)
    _pairing(shared_volunteer, world.school_b, world.term, kind=PairingKind.CARE)

    response = client_for(district_admin).patch(
        detail_url(shared_volunteer), {"schools": [world.school_a.pk]}, format="json"
    )

    assert response.status_code == 409
    assert "schools" in response.json()
    assert shared_volunteer.schools.count() == 2


def test_removing_a_school_drops_the_conflicts_in_it(world, shared_volunteer):
    district_admin = member(Role.ADMINISTRATOR, world.school_a, world.school_b)

    response = client_for(district_admin).patch(
        detail_url(shared_volunteer), {"schools": [world.school_a.pk]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert [s.school_id for s in shared_volunteer.conflicts.all()] == [world.school_a.pk]


# Query count


@pytest.mark.parametrize("persona", ["admin_a", "superuser"])
def test_list_query_count_does_not_grow_with_rows(world, persona, django_assert_max_num_queries):
    client = client_for(getattr(world, persona))

    def make(n):
        for _ in range(n):
            user = member(Role.VOLUNTEER, world.school_a)
            mentor = MentorFactory(user=user, kind=MentorKind.VOLUNTEER, schools=[world.school_a])
            mentor.conflicts.add(StudentFactory(school=world.school_a))

    make(2)
    with django_assert_max_num_queries(8):
        small = client.get(MENTORS_URL)
    make(47)
    with django_assert_max_num_queries(8):
        large = client.get(MENTORS_URL)

    assert large.json()["count"] == small.json()["count"] + 47
    assert len(large.json()["results"]) == 50
    # Conflicts come from the prefetch, for every row on the page.
    assert sum(1 for row in large.json()["results"] if row["conflicts"]) >= 45


def test_the_owners_own_profile_query_count_is_small(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client_for(world.owner).get(MENTORS_URL)

    assert [row["username"] for row in response.json()["results"]] == ["owner"]
