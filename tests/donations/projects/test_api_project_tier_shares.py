"""Tier shares (e.g. the living subsidy's 80 % hardship / 20 % special hardship) over HTTP:
stated and checked through projects/, honoured by allocation, which names who a share left out.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from donations.models import AidProject, Award, ProjectTierShare
from donations.services.projects import project_save
from mentoring.models import SchoolLevel
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    EN,
    PROJECTS,
    allocate,
    approved,
    detail,
    receive,
    rows,
)
from workers.factories import UserFactory, member

pytestmark = pytest.mark.django_db

SPECIAL, HARDSHIP, GENERAL = "special_hardship", "hardship", "general_hardship"
EIGHTY_TWENTY = [{"tier": HARDSHIP, "percent": 80}, {"tier": SPECIAL, "percent": 20}]


def living_body(district, term, quotas, **overrides) -> dict:
    """The compulsory living subsidy: hardship 200 a year, special 500 primary / 750 junior."""
    body = {
        "district": district.code,
        "code": "LIVING",
        "name": "义务教育家庭经济困难学生生活补助",
        "source": "central",
        "purpose": "living_subsidy",
        "levels": ["primary", "junior_middle"],
        "tiers": [SPECIAL, HARDSHIP],
        "standards": [
            {"tier": HARDSHIP, "yearly": "200.00"},
            {"tier": SPECIAL, "level": "primary", "yearly": "500.00"},
            {"tier": SPECIAL, "level": "junior_middle", "yearly": "750.00"},
        ],
        "funding": [{"term": term.pk, "source": "central", "amount": "100000.00"}],
        "quotas": [
            {"term": term.pk, "school": school.pk, "places": places} for school, places in quotas
        ],
        "tier_shares": EIGHTY_TWENTY,
    }
    body.update(overrides)
    return body


def living(admin, district, term, quotas, **overrides) -> dict:
    response = client_for(admin).post(
        PROJECTS, living_body(district, term, quotas, **overrides), format="json", **EN
    )
    assert response.status_code == 201, response.json()
    assert receive(admin, response.json()["id"], term, "central", "100000.00").status_code == 201
    return response.json()


def primary(school, term, needs, tier):
    return approved(school, term, needs, tier=tier, level=SchoolLevel.PRIMARY)


def reasons(body) -> dict[int, str]:
    return {row["student"]: row["reason"] for row in body["left_out"]}


# -- allocation honours the shares ---------------------------------------------------------


def test_80_20_of_a_quota_of_10_gives_8_hardship_and_2_special(
    district, school_a, district_admin, term
):
    project = living(district_admin, district, term, [(school_a, 10)])
    special = primary(school_a, term, range(200, 188, -1), SPECIAL)
    hardship = primary(school_a, term, range(150, 138, -1), HARDSHIP)
    assert (len(special), len(hardship)) == (12, 12)

    response = allocate(district_admin, project["id"], term)
    assert response.status_code == 201, response.json()
    body = response.json()
    # 2 × 250 (special, primary, a term) + 8 × 100 (hardship, a term).
    assert (body["awarded"], body["amount"]) == (10, "1300.00")
    awarded = set(Award.objects.filter(project_id=project["id"]).values_list("student", flat=True))
    assert awarded == {s.pk for s in special[:2]} | {s.pk for s in hardship[:8]}
    # Everyone else is named, left out by their tier's share.
    assert reasons(body) == {s.pk: "tier_share_full" for s in special[2:] + hardship[8:]}
    words = {row["tier"]: row["detail"] for row in body["left_out"]}
    # Each tier by the district's name for it, not its code (issue 17: pages show these words).
    assert words[SPECIAL] == (
        "The places of the tier “Special hardship” are used up (2/2: 20% of the school's 10 "
        "places); the school's other places are for the other tiers."
    )
    assert words[HARDSHIP] == (
        "The places of the tier “Hardship” are used up (8/8: 80% of the school's 10 "
        "places); the school's other places are for the other tiers."
    )
    assert all(row["student_name"] for row in body["left_out"])

    # Run again: the places already given count against the shares.
    again = allocate(district_admin, project["id"], term).json()
    assert again["awarded"] == 0
    assert set(reasons(again).values()) == {"tier_share_full"}
    assert Award.objects.filter(project_id=project["id"]).count() == 10


def test_a_share_rounds_down_so_a_tier_never_gets_more_than_it(
    district, school_a, district_admin, term
):
    # 80 / 20 of 12 places is 9.6 and 2.4: 9 and 2, one place stays free.
    project = living(district_admin, district, term, [(school_a, 12)])
    primary(school_a, term, range(200, 190, -1), SPECIAL)
    primary(school_a, term, range(150, 140, -1), HARDSHIP)
    assert allocate(district_admin, project["id"], term).json()["awarded"] == 11


def test_a_share_in_places_counts_across_the_schools(
    district, school_a, school_b, district_admin, term
):
    shares = [{"tier": SPECIAL, "places": 3}, {"tier": HARDSHIP, "percent": 60}]
    project = living(
        district_admin, district, term, [(school_a, 5), (school_b, 5)], tier_shares=shares
    )
    special_a = primary(school_a, term, [99, 97, 95, 93], SPECIAL)
    special_b = primary(school_b, term, [98, 96, 94, 92], SPECIAL)
    hardship_a = primary(school_a, term, [50, 49, 48, 47], HARDSHIP)
    hardship_b = primary(school_b, term, [60, 59, 58, 57], HARDSHIP)
    body = allocate(district_admin, project["id"], term).json()
    awarded = set(Award.objects.filter(project_id=project["id"]).values_list("student", flat=True))
    # The three neediest special-hardship students wherever they are; 60 % of 5 = 3 a school.
    assert awarded == (
        {special_a[0].pk, special_b[0].pk, special_a[1].pk}
        | {s.pk for s in hardship_a[:3]}
        | {s.pk for s in hardship_b[:3]}
    )
    assert body["awarded"] == 9
    left = {row["student"]: row["detail"] for row in body["left_out"]}
    assert (
        left[special_b[1].pk]
        == "The places of the tier “Special hardship” in the project are used up (3/3)."
    )


def test_a_tier_without_a_share_gets_no_places(district, school_a, district_admin, term):
    standards = [{"tier": "", "yearly": "200.00"}]
    project = living(
        district_admin, district, term, [(school_a, 10)], tiers=[], standards=standards
    )
    general = primary(school_a, term, [300], GENERAL)
    hardship = primary(school_a, term, [10], HARDSHIP)
    body = allocate(district_admin, project["id"], term).json()
    assert set(Award.objects.values_list("student", flat=True)) == {hardship[0].pk}
    assert reasons(body) == {general[0].pk: "no_tier_share"}
    assert body["left_out"][0]["detail"] == (
        "The project gives the tier “General hardship” no share of its places."
    )


def test_percent_shares_need_the_schools_quotas_for_the_term(
    district, school_a, district_admin, term
):
    project = living(district_admin, district, term, [])
    primary(school_a, term, [90], HARDSHIP)
    before = rows()
    refused = allocate(district_admin, project["id"], term)
    assert refused.status_code == 400
    assert "quotas" in refused.json()["term"][0]
    assert rows() == before


def test_a_project_without_shares_allocates_as_before(district, school_a, district_admin, term):
    project = living(district_admin, district, term, [(school_a, 10)], tier_shares=[])
    primary(school_a, term, range(200, 188, -1), SPECIAL)
    body = allocate(district_admin, project["id"], term).json()
    assert body["awarded"] == 10
    assert set(reasons(body).values()) == {"quota_full"}


# -- stating the shares --------------------------------------------------------------------


def test_the_shares_are_shown_and_replaced(district, school_a, district_admin, term):
    project = living(district_admin, district, term, [(school_a, 10)])
    assert project["tier_shares"] == [
        {"tier": HARDSHIP, "percent": 80, "places": None},
        {"tier": SPECIAL, "percent": 20, "places": None},
    ]
    client = client_for(district_admin)
    patched = client.patch(
        detail(project["id"]),
        {"tier_shares": [{"tier": SPECIAL, "places": 4}]},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["tier_shares"] == [{"tier": SPECIAL, "percent": None, "places": 4}]
    # Other nested lists and the rules stay as they were.
    assert len(patched.json()["standards"]) == 3
    assert client.patch(detail(project["id"]), {"name": "x"}, format="json").json()[
        "tier_shares"
    ] == [{"tier": SPECIAL, "percent": None, "places": 4}]


def test_every_bad_share_is_named_in_one_answer_and_nothing_is_written(
    district, school_a, district_admin, term
):
    before = rows()
    body = living_body(
        district,
        term,
        [(school_a, 10)],
        tier_shares=[
            {"tier": "rich", "percent": 50},
            {"tier": HARDSHIP, "percent": 150},
            {"tier": HARDSHIP, "places": 2},
            {"tier": SPECIAL, "percent": 60, "places": 1},
            {"tier": GENERAL, "percent": 70},
            {"tier": SPECIAL, "places": 0},
        ],
    )
    del body["name"]
    response = client_for(district_admin).post(PROJECTS, body, format="json", **EN)
    assert response.status_code == 400
    errors = response.json()
    assert {
        "name",
        "tier_shares[0].tier",
        "tier_shares[1].percent",
        "tier_shares[2].tier",
        "tier_shares[3]",
        "tier_shares[4].tier",
        "tier_shares[5].places",
        "tier_shares",
    } <= set(errors)
    assert errors["tier_shares[0].tier"] == [
        "Unknown tier rich; this district's tiers are: special_hardship, hardship, "
        "general_hardship."
    ]
    assert errors["tier_shares[4].tier"] == [
        "The project does not admit tier general_hardship; it admits special_hardship, hardship."
    ]
    # 50 + 70: the shares in range add up to more than 100.
    assert errors["tier_shares"] == ["The shares add up to 120%; at most 100% can be shared."]
    assert rows() == before
    assert not ProjectTierShare.objects.exists()


@pytest.mark.parametrize(
    ("shares", "status"),
    [
        ([{"tier": HARDSHIP, "percent": 80}, {"tier": SPECIAL, "percent": 20}], 201),
        ([{"tier": HARDSHIP, "percent": 81}, {"tier": SPECIAL, "percent": 20}], 400),
        ([{"tier": HARDSHIP, "percent": 0}], 400),
        ([{"tier": HARDSHIP, "places": 100_000}], 201),
        ([{"tier": HARDSHIP, "places": 100_001}], 400),
        ([{"tier": HARDSHIP, "places": 2**40}], 400),
        ([{"tier": HARDSHIP}], 400),
        ([{"tier": "", "percent": 10}], 400),
        ([{"tier": HARDSHIP, "percent": "many"}], 400),
        ([{"tier": HARDSHIP, "percent": 10, "extra": 1}], 400),
    ],
)
def test_shares_add_up_to_at_most_100(district, school_a, district_admin, term, shares, status):
    response = client_for(district_admin).post(
        PROJECTS, living_body(district, term, [(school_a, 10)], tier_shares=shares), format="json"
    )
    assert response.status_code == status, response.json()
    assert ProjectTierShare.objects.count() == (len(shares) if status == 201 else 0)


def test_the_tiers_cannot_drop_a_tier_that_has_a_share(district, school_a, district_admin, term):
    project = living(district_admin, district, term, [(school_a, 10)])
    client = client_for(district_admin)
    refused = client.patch(detail(project["id"]), {"tiers": [SPECIAL]}, format="json", **EN)
    assert refused.status_code == 400
    assert "tier_shares[0].tier" in refused.json()
    assert AidProject.objects.get(pk=project["id"]).tiers == [SPECIAL, HARDSHIP]
    # Both at once is fine: the shares given are checked against the tiers given.
    both = client.patch(
        detail(project["id"]),
        {"tiers": [SPECIAL], "tier_shares": [{"tier": SPECIAL, "percent": 100}]},
        format="json",
    )
    assert both.status_code == 200, both.json()


def test_bad_shares_in_an_update_are_named_with_the_other_bad_fields(
    district, school_a, district_admin, term
):
    project = living(district_admin, district, term, [(school_a, 10)])
    refused = client_for(district_admin).patch(
        detail(project["id"]),
        {"late_after_days": 0, "tier_shares": [{"tier": "rich", "percent": 10}]},
        format="json",
    )
    assert refused.status_code == 400
    assert {"late_after_days", "tier_shares[0].tier"} <= set(refused.json())
    assert ProjectTierShare.objects.filter(project_id=project["id"]).count() == 2


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor", "donor", "administrator"])
def test_only_the_district_administrators_state_shares(
    district, school_a, district_admin, term, role
):
    project = living(district_admin, district, term, [(school_a, 10)])
    user = member(role, school_a)  # an administrator of one school only
    client = client_for(user)
    shown = client.get(detail(project["id"]))
    assert shown.status_code == 200
    assert len(shown.json()["tier_shares"]) == 2
    changed = client.patch(
        detail(project["id"]), {"tier_shares": [{"tier": SPECIAL, "percent": 5}]}, format="json"
    )
    assert changed.status_code == 403
    body = living_body(district, term, [(school_a, 10)], code="MINE")
    assert client.post(PROJECTS, body, format="json").status_code == 403
    assert ProjectTierShare.objects.count() == 2


@pytest.mark.parametrize("role", ["administrator", "teacher", "donor"])
def test_someone_of_another_district_neither_sees_nor_states_shares(
    district, school_a, district_admin, term, elsewhere, role
):
    project = living(district_admin, district, term, [(school_a, 10)])
    client = client_for(member(role, elsewhere["school"]))
    assert client.get(detail(project["id"])).status_code == 404
    changed = client.patch(
        detail(project["id"]), {"tier_shares": [{"tier": SPECIAL, "percent": 5}]}, format="json"
    )
    assert changed.status_code == 404
    assert ProjectTierShare.objects.count() == 2


# -- query counts --------------------------------------------------------------------------


def test_the_shares_add_no_query_per_project(district, school_a, term):
    root = UserFactory(is_superuser=True)
    client = client_for(member("teacher", school_a))

    def add(start, n):
        for i in range(start, start + n):
            project_save(
                by=root,
                district=district,
                fields={
                    "code": f"S{i:03d}",
                    "name": f"项目{i}",
                    "source": "central",
                    "purpose": f"purpose{i}",
                },
                tier_shares=[
                    {"tier": HARDSHIP, "percent": 80, "places": None},
                    {"tier": SPECIAL, "percent": None, "places": 3},
                ],
            )

    def count(n):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PROJECTS, {"page_size": 1000})
        assert response.json()["count"] == n
        assert all(len(p["tier_shares"]) == 2 for p in response.json()["results"])
        return len(queries)

    add(0, 2)
    few = count(2)
    add(2, 20)
    assert count(22) == few


def test_allocation_queries_do_not_grow_with_the_candidates(
    district, school_a, district_admin, term
):
    def run(code, n):
        project = living(
            district_admin, district, term, [(school_a, 1000)], code=code, purpose=code
        )
        with CaptureQueriesContext(connection) as queries:
            assert allocate(district_admin, project["id"], term).status_code == 201
        # Inserts are batched by the database's limit on parameters (SQLite's is
        # low); every other query is made once whatever the number of students.
        return len([q for q in queries if not q["sql"].startswith("INSERT")])

    primary(school_a, term, range(100, 90, -1), SPECIAL)
    few = run("FEW", 10)
    primary(school_a, term, range(90, 50, -1), HARDSHIP)
    # A second project of another purpose over the same students: the same queries.
    assert run("MANY", 50) == few


# -- the database's own check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "places"), [(20, 2), (None, None), (0, None), (101, None), (None, 0)]
)
def test_the_database_refuses_a_share_that_is_not_one_percent_or_some_places(
    district, school_a, district_admin, term, percent, places
):
    project = living(district_admin, district, term, [(school_a, 10)], tier_shares=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTierShare.objects.create(
            project_id=project["id"], tier=HARDSHIP, percent=percent, places=places
        )
