"""/console/identification/committees/: the term's review committees, formed and changed.

The page lists the class review groups and school committees of the
administrator's schools; it forms one with `committee_create` and changes
its members with `committee_member_add` / `committee_member_remove`.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import (
    AssessmentStatus,
    CommitteeDecision,
    CommitteeMember,
    ReviewCommittee,
    ReviewStage,
)
from mentoring.services.review_committees import committee_decide
from tests.console.console_world import EN, OPENS, assessment, signed_in
from tests.console.test_console_identification_steps import review_committee

pytestmark = pytest.mark.django_db

PAGE = "/console/identification/committees/"


def formed(world, school, **changes) -> dict:
    data = {
        "term": world.terms["one"].pk,
        "school": school.pk,
        "stage": "class",
        "class_name": "1班",
        "name": "一班评议小组",
        "member_name": ["陈校长", "孙老师", "周敏", ""],
        "member_role": ["school_leader", "class_teacher", "parent_rep", "teacher_rep"],
    }
    return data | changes


@pytest.mark.parametrize("reader", [*OPENS, "anonymous"])
def test_the_page_lists_the_own_schools_committees_to_administrators_only(world, reader):
    a, b = world.schools["A"], world.schools["B"]
    mine = review_committee(world, a)
    theirs = review_committee(world, b, name="东风一班评议小组")
    client = Client() if reader == "anonymous" else signed_in(world.users[reader])

    response = client.get(PAGE, **EN)

    if reader == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == OPENS[reader]
    html = response.content.decode()
    sees_a = reader in ("school_admin", "district_admin")
    sees_b = reader in ("other_school_admin", "district_admin")
    assert (f'data-committee="{mine.pk}"' in html) == sees_a
    assert (f'data-committee="{theirs.pk}"' in html) == sees_b
    if sees_a:
        assert "陈校长 (School leader)" in html and "Class review group" in html


def test_an_administrator_forms_a_committee_with_its_members(world):
    a = world.schools["A"]

    response = signed_in(world.users["school_admin"]).post(PAGE, formed(world, a))

    committee = ReviewCommittee.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#committee-{committee.pk}")
    assert (committee.school, committee.stage, committee.class_name) == (a, "class", "1班")
    assert list(committee.members.values_list("name", "role")) == [
        ("陈校长", "school_leader"),
        ("孙老师", "class_teacher"),
        ("周敏", "parent_rep"),
    ]


def test_a_bad_committee_names_every_bad_field_at_once_and_writes_nothing(world):
    a = world.schools["A"]

    response = signed_in(world.users["school_admin"]).post(
        PAGE,
        formed(
            world,
            a,
            stage="school",
            class_name="1班",
            name="",
            member_name=["孙老师", "周敏"],
            member_role=["class_teacher", "nobody"],
        ),
        **EN,
    )

    assert response.status_code == 400
    problems = response.context["problems"]
    for named in (
        "Name: This field is required.",
        "Members: Choose the role of 周敏.",
        "Class: The school's review committee names no class.",
        "Members: A committee has from 3 to 30 members.",
        "Members: The school's review committee includes a school leader.",
    ):
        assert named in problems
    assert not ReviewCommittee.objects.exists()


def test_another_schools_committee_cannot_be_formed(world):
    response = signed_in(world.users["school_admin"]).post(
        PAGE, formed(world, world.schools["B"]), **EN
    )

    assert response.status_code == 400
    assert "School: No such school among those you administer." in response.context["problems"]
    assert not ReviewCommittee.objects.exists()


def test_a_member_joins_and_leaves(world):
    a = world.schools["A"]
    committee = review_committee(world, a)
    client = signed_in(world.users["school_admin"])

    joined = client.post(
        f"{PAGE}{committee.pk}/members/add/", {"name": "李代表", "role": "student_rep"}
    )
    newcomer = committee.members.get(name="李代表")
    left = client.post(f"{PAGE}{committee.pk}/members/remove/", {"member": newcomer.pk})

    assert (joined.status_code, left.status_code) == (302, 302)
    assert newcomer.role == "student_rep"
    assert list(committee.members.values_list("name", flat=True)) == ["陈校长", "孙老师", "周敏"]


def test_a_member_listed_twice_or_with_no_role_is_refused_naming_both(world):
    committee = review_committee(world, world.schools["A"])

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{committee.pk}/members/add/", {"name": "周敏", "role": "king"}, **EN
    )

    assert response.status_code == 400
    assert "Name: A member is listed twice." in response.context["problems"]
    assert (
        "Role: Select a valid choice. king is not one of the available choices."
        in (response.context["problems"])
    )
    assert committee.members.count() == 3


def test_a_committee_keeps_its_minimum_and_the_members_of_a_recorded_decision(world):
    a = world.schools["A"]
    committee = review_committee(world, a)
    row = assessment(a, world.terms["one"], "王小丽", AssessmentStatus.INVESTIGATED)
    present = list(committee.members.all())
    committee_decide(
        by=world.users["school_admin"],
        assessment=row,
        committee_id=committee.pk,
        decided_on=timezone.localdate(),
        members_present=[m.pk for m in present],
        outcome="agreed",
        note="同意",
    )
    CommitteeMember.objects.create(committee=committee, name="李代表", role="student_rep")

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{committee.pk}/members/remove/", {"member": present[0].pk}, **EN
    )

    assert response.status_code == 400
    assert (
        "Committee member: 陈校长 was present at a recorded decision and stays on the committee."
        in response.context["problems"]
    )
    assert committee.members.count() == 4
    assert CommitteeDecision.objects.get().members_present.count() == 3


def test_a_committee_of_three_loses_no_member(world):
    committee = review_committee(world, world.schools["A"])
    member = committee.members.first()

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{committee.pk}/members/remove/", {"member": member.pk}, **EN
    )

    assert response.status_code == 400
    assert (
        "Committee member: A committee has from 3 to 30 members." in (response.context["problems"])
    )
    assert committee.members.count() == 3


@pytest.mark.parametrize("change", ["add", "remove"])
def test_another_schools_committee_answers_404_and_is_not_changed(world, change):
    committee = review_committee(world, world.schools["B"], name="东风一班评议小组")
    CommitteeMember.objects.create(committee=committee, name="李代表", role="student_rep")
    data = (
        {"name": "王五", "role": "teacher_rep"}
        if change == "add"
        else {"member": committee.members.first().pk}
    )

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{committee.pk}/members/{change}/", data
    )

    assert response.status_code == 404
    assert committee.members.count() == 4


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_2_or_8_committees(world):
    a = world.schools["A"]
    client = signed_in(world.users["school_admin"])
    for n in range(2):
        review_committee(world, a, class_name=f"{n}班", name=f"甲{n}")
    few = _queries(client)
    for n in range(2, 7):
        review_committee(world, a, class_name=f"{n}班", name=f"乙{n}")
    review_committee(world, a, stage=ReviewStage.SCHOOL, name="学校资助评审组")

    assert _queries(client) == few
