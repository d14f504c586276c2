"""/api/v1/districts/: read by the district's members, added and changed by platform administrators.

Every role of a school reads its own district and gets 404 for another; a
platform administrator reads all and is the only one who writes (anyone
else: 403 for a district they see, 404 for one they do not). Bad input is
one 400 naming every bad field, and nothing is written.
"""

import pytest

from mentoring.models import AssessmentStatus, District, Role
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    UserFactory,
    member,
)

URL = "/api/v1/districts/"
ROLES = [Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR]
TIERS = [{"code": "special", "name": "特别困难"}, {"code": "hardship", "name": "困难"}]


def detail_url(district) -> str:
    return f"{URL}{district.pk}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot() -> list[tuple]:
    return list(
        District.objects.order_by("pk").values_list(
            "pk", "code", "name", "tiers", "notice_working_days", "same_gender_from_age"
        )
    )


@pytest.fixture
def other_district(db):
    district = DistrictFactory(code="D-OTHER")
    SchoolFactory(district=district)
    return district


@pytest.fixture
def root(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


def new_district(**overrides) -> dict:
    return {
        "code": "510105",
        "name": "青羊区",
        "tiers": TIERS,
        "notice_working_days": 7,
        "same_gender_from_age": 10,
        **overrides,
    }


# Reading


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_own_district_and_no_other(role, school_a, district, other_district):
    client = client_for(member(role, school_a))

    assert ids(client.get(URL)) == {district.pk}
    own = client.get(detail_url(district))
    assert own.status_code == 200
    assert own.json() == {
        "id": district.pk,
        "code": district.code,
        "name": district.name,
        "tiers": district.tiers,
        "notice_working_days": 5,
        "same_gender_from_age": 12,
        "complaint_phone": "",
    }
    assert client.get(detail_url(other_district)).status_code == 404


def test_a_member_of_schools_in_two_districts_reads_both(school_a, district, other_district):
    both = member(Role.TEACHER, school_a, other_district.schools.get())
    third = DistrictFactory()

    assert ids(client_for(both).get(URL)) == {district.pk, other_district.pk}
    assert client_for(both).get(detail_url(third)).status_code == 404


def test_colleagues_read_the_same_district_and_school_b_too(admin_a, admin_b, district):
    assert ids(client_for(admin_a).get(URL)) == {district.pk}
    assert ids(client_for(admin_b).get(URL)) == {district.pk}


def test_platform_administrator_reads_every_district(root, district, other_district):
    empty = DistrictFactory()  # no school yet: the platform administrator adds them

    assert ids(client_for(root).get(URL)) == {district.pk, other_district.pk, empty.pk}


def test_an_account_without_a_role_reads_nothing(db, district):
    lone = UserFactory()

    assert ids(client_for(lone).get(URL)) == set()
    assert client_for(lone).get(detail_url(district)).status_code == 404


def test_anonymous_and_deactivated_accounts_are_refused(api, school_a, district):
    gone = member(Role.ADMINISTRATOR, school_a, is_active=False)

    assert api.get(URL).status_code == 401
    assert api.get(detail_url(district)).status_code == 401
    # A token is refused for an inactive account; one already signed in sees nothing.
    assert ids(client_for(gone).get(URL)) == set()
    assert client_for(gone).get(detail_url(district)).status_code == 404


def test_the_list_filters_by_code_and_refuses_an_unknown_parameter(root, district, other_district):
    client = client_for(root)

    assert ids(client.get(URL, {"code": "D-OTHER"})) == {other_district.pk}
    assert client.get(URL, {"name": "x"}).status_code == 400


def test_list_query_count_does_not_grow_with_rows(school_a, root, django_assert_max_num_queries):
    teacher = member(Role.TEACHER, school_a)
    for user in (teacher, root):
        client = client_for(user)
        with django_assert_max_num_queries(4):
            small = client.get(URL)
        for _ in range(30):
            district = DistrictFactory()
            teacher.memberships.create(school=SchoolFactory(district=district), role=Role.TEACHER)
        with django_assert_max_num_queries(4):
            large = client.get(URL)
        assert large.json()["count"] == small.json()["count"] + 30


# Writing


def test_platform_administrator_adds_a_district(root):
    response = client_for(root).post(URL, new_district(), format="json")

    assert response.status_code == 201, response.content
    created = District.objects.get(code="510105")
    assert response.json() == {
        "id": created.pk,
        "code": "510105",
        "name": "青羊区",
        "tiers": TIERS,
        "notice_working_days": 7,
        "same_gender_from_age": 10,
        "complaint_phone": "",
    }
    assert created.tiers == TIERS


def test_a_district_added_without_tiers_gets_the_usual_three(root):
    response = client_for(root).post(URL, {"code": "D9", "name": "某县"}, format="json")

    assert response.status_code == 201, response.content
    assert [tier["code"] for tier in response.json()["tiers"]] == [
        "special_hardship",
        "hardship",
        "general_hardship",
    ]
    assert response.json()["same_gender_from_age"] == 12


@pytest.mark.parametrize("role", ROLES)
def test_no_member_adds_or_changes_a_district(role, school_a, district, other_district):
    client = client_for(member(role, school_a))
    before = snapshot()

    assert client.post(URL, new_district(), format="json").status_code == 403
    # Even a body that is wrong answers 403: the rule comes before the fields.
    assert client.post(URL, {"code": ""}, format="json").status_code == 403
    assert client.patch(detail_url(district), {"name": "改名"}, format="json").status_code == 403
    assert client.patch(detail_url(district), {"name": ""}, format="json").status_code == 403
    assert client.patch(detail_url(other_district), {"name": "改名"}).status_code == 404
    assert snapshot() == before


def test_a_district_administrator_does_not_add_districts_either(district_admin, district):
    before = snapshot()

    response = client_for(district_admin).patch(
        detail_url(district), {"notice_working_days": 9}, format="json"
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_every_bad_field_of_a_new_district_is_named_at_once(root, district):
    before = snapshot()

    response = client_for(root).post(
        URL,
        {
            "code": district.code,
            "name": "  ",
            "tiers": [{"code": "a", "name": "甲"}, {"code": "a", "name": "乙"}],
            "notice_working_days": 3,
            "same_gender_from_age": 21,
            "colour": "red",
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    named = {"code", "name", "tiers", "notice_working_days", "same_gender_from_age", "colour"}
    assert named <= set(body)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("tiers", "why"),
    [
        ([], "empty"),
        ([{"code": "a"}], "no name"),
        ([{"code": "a", "name": "甲", "rank": 1}], "unknown key"),
        ([{"code": "x" * 31, "name": "甲"}], "code too long"),
        ([{"code": "not_in_hardship", "name": "甲"}], "reserved code"),
        ("special", "not a list"),
    ],
)
def test_bad_tiers_answer_400_naming_tiers(root, tiers, why):
    response = client_for(root).post(URL, new_district(tiers=tiers), format="json")

    assert response.status_code == 400, why
    assert "tiers" in response.json()
    assert not District.objects.filter(code="510105").exists()


def test_platform_administrator_changes_a_district(root, district):
    response = client_for(root).patch(
        detail_url(district),
        {"name": "新名", "notice_working_days": 6, "same_gender_from_age": None},
        format="json",
    )

    assert response.status_code == 200, response.content
    district.refresh_from_db()
    assert (district.name, district.notice_working_days, district.same_gender_from_age) == (
        "新名",
        6,
        None,
    )
    assert response.json()["same_gender_from_age"] is None


def test_the_complaint_line_the_public_notice_prints_is_set_and_checked(root, district):
    client = client_for(root)

    changed = client.patch(detail_url(district), {"complaint_phone": "0816-1234567"}, format="json")
    refused = client.patch(detail_url(district), {"complaint_phone": "call us"}, format="json")
    added = client.post(URL, new_district(complaint_phone="12345"), format="json")

    assert changed.status_code == 200 and changed.json()["complaint_phone"] == "0816-1234567"
    assert refused.status_code == 400 and list(refused.json()) == ["complaint_phone"]
    district.refresh_from_db()
    assert district.complaint_phone == "0816-1234567"
    assert added.status_code == 201 and added.json()["complaint_phone"] == "12345"


def test_a_districts_code_does_not_change(root, district):
    before = snapshot()

    response = client_for(root).patch(
        detail_url(district), {"code": "NEW", "notice_working_days": 2}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) >= {"code", "notice_working_days"}
    assert snapshot() == before


def test_a_tier_in_use_cannot_be_dropped_but_may_be_renamed(root, school_a, district):
    AssessmentFactory(
        student=StudentFactory(school=school_a), status=AssessmentStatus.APPROVED, tier="hardship"
    )
    client = client_for(root)
    before = snapshot()

    dropped = client.patch(
        detail_url(district),
        {"tiers": [{"code": "special_hardship", "name": "特困"}]},
        format="json",
    )

    assert dropped.status_code == 400
    assert "hardship" in str(dropped.json()["tiers"])
    assert snapshot() == before

    renamed = [{**tier, "name": tier["name"] + "生"} for tier in district.tiers]
    response = client.patch(detail_url(district), {"tiers": renamed}, format="json")

    assert response.status_code == 200, response.content
    district.refresh_from_db()
    assert district.tiers == renamed


def test_the_schema_documents_the_districts_operations(root):
    schema = client_for(root).get("/api/schema/", {"format": "json"}).json()

    assert {"get", "post"} <= set(schema["paths"]["/api/v1/districts/"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/districts/{id}/"])
