"""`review-committees/{id}/members/`: a member joins or leaves a formed committee through the API.

Both routes call the console page's services (`committee_member_add`,
`committee_member_remove`), so every rule is theirs: from 3 to 30 members, a
school committee keeps its school leader, a member present at a recorded
decision stays. The school's and the district's administrators change a
committee; another school's committee answers as a missing one (404).
"""

import pytest
from rest_framework.test import APIClient

from mentoring.models import AssessmentStatus, CommitteeMember, CommitteeRole, ReviewStage, Role
from mentoring.services import review_committees as committees
from tests.conftest import client_for
from workers.factories import AssessmentFactory, member

pytestmark = pytest.mark.django_db

COMMITTEES = "/api/v1/review-committees/"
MISSING = 987_654_321
MEMBERS = [
    {"name": "陈校长", "role": CommitteeRole.SCHOOL_LEADER},
    {"name": "孙老师", "role": CommitteeRole.TEACHER_REPRESENTATIVE},
    {"name": "周敏", "role": CommitteeRole.PARENT_REPRESENTATIVE},
    {"name": "王大山", "role": CommitteeRole.PARENT_REPRESENTATIVE},
]
NEW = {"name": "赵老师", "role": CommitteeRole.TEACHER_REPRESENTATIVE}
# The refusals' messages are compared in English.
EN = {"Accept-Language": "en"}
# Signed in, the committee and its members re-read through the scoped queryset:
# the same for 3 members or 30.
ADD_QUERIES = 13
REMOVE_QUERIES = 11


def form(admin, school, term, *, stage=ReviewStage.CLASS, class_name="2班", members=MEMBERS):
    return committees.committee_create(
        by=admin,
        school_id=school.pk,
        term_id=term.pk,
        stage=stage,
        class_name=class_name if stage == ReviewStage.CLASS else "",
        name=f"{class_name or '学校'}评议小组",
        members=members,
    )


@pytest.fixture
def group(admin_a, school_a, term):
    return form(admin_a, school_a, term)


@pytest.fixture
def donor(school_a):
    return member(Role.DONOR, school_a, username="a.donor")


def members_url(committee) -> str:
    return f"{COMMITTEES}{committee.pk}/members/"


def member_url(committee, member_id) -> str:
    return f"{COMMITTEES}{committee.pk}/members/{member_id}/"


def names(committee) -> list[str]:
    return list(committee.members.order_by("pk").values_list("name", flat=True))


def client_of(request, who: str) -> APIClient:
    return APIClient() if who == "anonymous" else client_for(request.getfixturevalue(who))


# Who may --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_a", "district_admin"])
def test_the_schools_and_the_districts_administrators_add_and_remove_members(request, who, group):
    client = client_of(request, who)

    added = client.post(members_url(group), NEW, format="json")

    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["id"] == group.pk
    assert [(m["name"], m["role"]) for m in body["members"]][-1] == ("赵老师", "teacher_rep")
    new_id = body["members"][-1]["id"]
    assert CommitteeMember.objects.get(pk=new_id).committee == group

    removed = client.delete(member_url(group, new_id))

    assert removed.status_code == 204
    assert names(group) == ["陈校长", "孙老师", "周敏", "王大山"]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("admin_b", 404),
        ("colleague", 403),
        ("class_teacher", 403),
        ("donor", 403),
        ("supervisor", 403),
        ("anonymous", 401),
    ],
)
def test_nobody_else_adds_or_removes_a_member(request, who, code, group):
    client = client_of(request, who)
    leaving = group.members.get(name="王大山")

    added = client.post(members_url(group), NEW, format="json")
    removed = client.delete(member_url(group, leaving.pk))

    assert (added.status_code, removed.status_code) == (code, code)
    assert names(group) == ["陈校长", "孙老师", "周敏", "王大山"]


def test_another_schools_committee_answers_exactly_like_a_missing_one(admin_b, group):
    client = client_for(admin_b)
    leaving = group.members.get(name="王大山")

    foreign = client.post(members_url(group), NEW, format="json")
    missing = client.post(f"{COMMITTEES}{MISSING}/members/", NEW, format="json")
    foreign_removal = client.delete(member_url(group, leaving.pk))
    missing_removal = client.delete(f"{COMMITTEES}{MISSING}/members/{leaving.pk}/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert foreign_removal.status_code == missing_removal.status_code == 404
    assert foreign_removal.content == missing_removal.content
    assert group.members.count() == 4


# What the services refuse ----------------------------------------------------------


def test_a_bad_member_names_every_bad_field_at_once_and_writes_nothing(admin_a, group):
    answer = client_for(admin_a).post(
        members_url(group),
        {"name": "孙老师", "role": "headmaster", "id": 5},
        format="json",
        headers=EN,
    )

    assert answer.status_code == 400
    body = answer.json()
    assert {"name", "role", "id"} <= set(body)
    assert "A member is listed twice." in body["name"]
    assert names(group) == ["陈校长", "孙老师", "周敏", "王大山"]


def test_a_blank_name_is_refused_with_the_service_s_message(admin_a, group):
    answer = client_for(admin_a).post(
        members_url(group), {"name": "  ", "role": "parent_rep"}, format="json"
    )

    assert answer.status_code == 400
    assert set(answer.json()) >= {"name"}
    assert group.members.count() == 4


def test_a_committee_of_thirty_takes_no_thirty_first_member(admin_a, school_a, term):
    full = form(
        admin_a,
        school_a,
        term,
        members=[
            {"name": f"代表{number}", "role": CommitteeRole.PARENT_REPRESENTATIVE}
            for number in range(committees.MAX_MEMBERS)
        ],
    )

    answer = client_for(admin_a).post(members_url(full), NEW, format="json")

    assert answer.status_code == 400
    assert "name" in answer.json()
    assert full.members.count() == committees.MAX_MEMBERS


def test_a_committee_of_three_loses_no_member(admin_a, school_a, term):
    three = form(admin_a, school_a, term, members=MEMBERS[:3])

    answer = client_for(admin_a).delete(member_url(three, three.members.last().pk))

    assert answer.status_code == 400
    assert "member" in answer.json()
    assert three.members.count() == 3


def test_the_school_committee_keeps_its_only_school_leader(admin_a, school_a, term):
    school_group = form(admin_a, school_a, term, stage=ReviewStage.SCHOOL, class_name="")
    leader = school_group.members.get(role=CommitteeRole.SCHOOL_LEADER)

    answer = client_for(admin_a).delete(member_url(school_group, leader.pk), headers=EN)

    assert answer.status_code == 400
    assert "school leader" in " ".join(answer.json()["member"])
    assert school_group.members.filter(pk=leader.pk).exists()


def test_a_member_present_at_a_recorded_decision_stays(admin_a, student, term, today, group):
    assessment = AssessmentFactory(student=student, term=term, status=AssessmentStatus.INVESTIGATED)
    present = [m.pk for m in group.members.order_by("pk") if m.name != "王大山"]
    committees.committee_decide(
        by=admin_a,
        assessment=assessment,
        committee_id=group.pk,
        decided_on=today,
        members_present=present,
        outcome="agreed",
        note="评议通过",
    )
    client = client_for(admin_a)

    stays = client.delete(member_url(group, present[1]), headers=EN)
    leaves = client.delete(member_url(group, group.members.get(name="王大山").pk))

    assert stays.status_code == 400
    assert "孙老师" in " ".join(stays.json()["member"])
    assert leaves.status_code == 204
    assert names(group) == ["陈校长", "孙老师", "周敏"]


def test_a_member_of_another_committee_is_not_removed_through_this_one(
    admin_a, school_a, term, group
):
    other = form(admin_a, school_a, term, class_name="3班")
    theirs = other.members.get(name="王大山")

    answer = client_for(admin_a).delete(member_url(group, theirs.pk))

    assert answer.status_code == 400
    assert "member" in answer.json()
    assert other.members.filter(pk=theirs.pk).exists()
    assert group.members.count() == 4


# A retry, and the cost --------------------------------------------------------------


def test_a_retried_post_with_the_same_idempotency_key_replays_and_adds_once(admin_a, group):
    client = client_for(admin_a)
    headers = {"Idempotency-Key": "add-zhao-1"}

    first = client.post(members_url(group), NEW, format="json", headers=headers)
    again = client.post(members_url(group), NEW, format="json", headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert names(group).count("赵老师") == 1


def test_the_same_idempotency_key_for_another_member_is_refused(admin_a, group):
    client = client_for(admin_a)
    headers = {"Idempotency-Key": "add-zhao-2"}
    client.post(members_url(group), NEW, format="json", headers=headers)

    other = client.post(
        members_url(group),
        {"name": "钱老师", "role": "teacher_rep"},
        format="json",
        headers=headers,
    )

    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()
    assert "钱老师" not in names(group)


@pytest.mark.parametrize("size", [4, committees.MAX_MEMBERS - 1])
def test_adding_and_removing_cost_the_same_queries_however_many_members(
    size, admin_a, school_a, term, django_assert_num_queries
):
    committee = form(
        admin_a,
        school_a,
        term,
        members=[
            {"name": f"代表{number}", "role": CommitteeRole.PARENT_REPRESENTATIVE}
            for number in range(size)
        ],
    )
    client = client_for(admin_a)

    with django_assert_num_queries(ADD_QUERIES):
        added = client.post(members_url(committee), NEW, format="json")
    assert len(added.json()["members"]) == size + 1
    with django_assert_num_queries(REMOVE_QUERIES):
        removed = client.delete(member_url(committee, added.json()["members"][-1]["id"]))
    assert removed.status_code == 204
    assert committee.members.count() == size
