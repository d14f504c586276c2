"""projects/ over HTTP: who reads and writes aid projects, and who is named in an allocation.

The scene and its helpers are in project_scene.py, next to this file; validation, allocation
by rank of need, reversal of appropriations, query counts and concurrency have files of their
own in this folder.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations.models import AidProject, Allocation, Award, Donor, DonorKind, LedgerEntry
from mentoring.models import Membership
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    LEDGER,
    PROJECTS,
    allocate,
    approved,
    detail,
    left_out_students,
    make_project,
    money,
    project_body,
    receive,
    rows,
)
from workers.factories import SchoolFactory, UserFactory, member

pytestmark = pytest.mark.django_db


# -- permissions ---------------------------------------------------------------------------


def test_district_admin_creates_and_updates_a_project(district, school_a, district_admin, term):
    body = make_project(district_admin, district, term, school_a)
    assert (body["district"], body["code"], body["levels"]) == (
        district.code,
        "PRESCHOOL",
        ["preschool"],
    )
    assert sorted((f["source"], f["amount"], f["received"]) for f in body["funding"]) == [
        ("county", "9100.00", "0.00"),
        ("provincial", "18900.00", "0.00"),
    ]
    assert [(s["yearly"], money(s["per_term"])) for s in body["standards"]] == [
        ("2000.00", Decimal("1000.00"))
    ]
    assert [(q["school_code"], q["places"]) for q in body["quotas"]] == [(school_a.code, 28)]

    client = client_for(district_admin)
    patched = client.patch(
        detail(body["id"]),
        {
            "name": "学前资助（新）",
            "standards": [{"tier": "", "level": "", "boarding": "any", "yearly": "625.00"}],
        },
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["name"] == "学前资助（新）"
    assert [(s["yearly"], money(s["per_term"])) for s in patched.json()["standards"]] == [
        ("625.00", Decimal("312.50"))
    ]
    # Nested lists not given are left as they were.
    assert len(patched.json()["funding"]) == 2
    assert len(patched.json()["quotas"]) == 1

    put = client.put(
        detail(body["id"]),
        {
            "code": "PRESCHOOL",
            "name": "学前",
            "source": "county",
            "purpose": "preschool_living",
            "late_after_days": 45,
        },
        format="json",
    )
    assert put.status_code == 200, put.json()
    assert (put.json()["source"], put.json()["late_after_days"]) == ("county", 45)
    project = AidProject.objects.get(pk=body["id"])
    assert (project.name, project.source, project.late_after_days) == ("学前", "county", 45)


def test_single_school_admin_reads_but_may_not_write(scene, admin_a, school_a, term):
    client = client_for(admin_a)
    listed = client.get(PROJECTS)
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()["results"]] == ["PRESCHOOL"]
    assert client.get(detail(scene["id"])).status_code == 200

    before = rows()
    created = client.post(
        PROJECTS, project_body(school_a.district, term, school_a, code="NEW"), format="json"
    )
    assert created.status_code == 403
    assert client.patch(detail(scene["id"]), {"name": "x"}, format="json").status_code == 403
    put = client.put(
        detail(scene["id"]),
        {"code": "PRESCHOOL", "name": "x", "source": "county", "purpose": "p"},
        format="json",
    )
    assert put.status_code == 403
    assert receive(admin_a, scene["id"], term, "provincial", "1.00").status_code == 403
    assert rows() == before
    assert AidProject.objects.get(pk=scene["id"]).name == "学前教育资助"


def test_single_school_admin_allocates_for_its_own_school_only(scene, admin_a, school_a, school_b):
    before = rows()
    refused = allocate(admin_a, scene["id"], scene["term"], schools=[school_b])
    assert refused.status_code == 400
    assert "schools" in refused.json()
    refused = allocate(admin_a, scene["id"], scene["term"], schools=[school_a, school_b])
    assert refused.status_code == 400
    assert "schools" in refused.json()
    assert rows() == before

    own = allocate(admin_a, scene["id"], scene["term"], schools=[school_a])
    assert own.status_code == 201, own.json()
    default = allocate(admin_a, scene["id"], scene["term"])
    assert default.status_code == 201, default.json()
    assert Allocation.objects.count() == 2
    assert client_for(admin_a).get(detail(scene["id"], "allocations")).status_code == 200


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor", "donor"])
def test_other_roles_read_projects_but_touch_no_money(scene, school_a, role, district, term):
    user = member(role, school_a)
    client = client_for(user)
    listed = client.get(PROJECTS)
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()["results"]] == ["PRESCHOOL"]
    shown = client.get(detail(scene["id"]))
    assert shown.status_code == 200
    assert [(f["source"], f["received"]) for f in shown.json()["funding"]] == [
        ("county", "9100.00"),
        ("provincial", "18900.00"),
    ]
    # Nothing about any child: projects carry rules and money only.
    assert "student" not in shown.content.decode()

    before = rows()
    assert allocate(user, scene["id"], term).status_code == 403
    assert allocate(user, scene["id"], term, schools=[school_a]).status_code == 403
    assert client.get(detail(scene["id"], "allocations")).status_code == 403
    assert receive(user, scene["id"], term, "provincial", "1.00").status_code == 403
    body = project_body(district, term, school_a, code="MINE")
    # Only administrators create projects.
    assert client.post(PROJECTS, body, format="json").status_code == 403
    assert client.patch(detail(scene["id"]), {"name": "x"}, format="json").status_code == 403
    assert rows() == before


def test_a_donor_known_only_as_a_donor_record_reads_the_projects(scene, district):
    user = UserFactory()
    Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="县报社", user=user)
    client = client_for(user)
    assert [p["code"] for p in client.get(PROJECTS).json()["results"]] == ["PRESCHOOL"]
    assert client.get(detail(scene["id"])).status_code == 200
    assert allocate(user, scene["id"], scene["term"]).status_code == 403
    assert receive(user, scene["id"], scene["term"], "provincial", "1.00").status_code == 403


@pytest.mark.parametrize("role", ["administrator", "teacher", "supervisor", "donor"])
def test_someone_of_another_district_sees_no_project(scene, elsewhere, role, district, school_a):
    user = member(role, elsewhere["school"])
    client = client_for(user)
    assert client.get(PROJECTS).json()["count"] == 0
    # A district out of reach is named as unknown, exactly as one that does not exist.
    foreign = client.get(PROJECTS, {"district": district.code})
    missing = client.get(PROJECTS, {"district": "NO-SUCH-DISTRICT"})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["district"] == [
        m.replace("NO-SUCH-DISTRICT", district.code) for m in missing.json()["district"]
    ]
    assert client.get(detail(scene["id"])).status_code == 404
    before = rows()
    assert allocate(user, scene["id"], scene["term"]).status_code == 404
    assert client.get(detail(scene["id"], "allocations")).status_code == 404
    assert receive(user, scene["id"], scene["term"], "provincial", "1.00").status_code == 404
    assert client.patch(detail(scene["id"]), {"name": "x"}, format="json").status_code == 404
    # Nor may they create a project in a district they have no part in.
    body = project_body(district, scene["term"], school_a, code="INTRUDER")
    # An administrator elsewhere does not learn that the district exists; others are refused.
    created = client.post(PROJECTS, body, format="json")
    if role == "administrator":
        assert created.status_code == 400 and "district" in created.json()
    else:
        assert created.status_code == 403
    assert rows() == before


def test_a_project_of_another_district_is_not_listed_for_us(scene, elsewhere, admin_a):
    make_project(
        elsewhere["admin"],
        elsewhere["district"],
        elsewhere["term"],
        elsewhere["school"],
        code="THEIRS",
    )
    assert [p["code"] for p in client_for(admin_a).get(PROJECTS).json()["results"]] == ["PRESCHOOL"]
    theirs = AidProject.objects.get(code="THEIRS")
    assert client_for(admin_a).get(detail(theirs.pk)).status_code == 404
    assert client_for(elsewhere["admin"]).get(PROJECTS).json()["count"] == 1


def test_anonymous_is_asked_to_log_in(api, scene, district, school_a):
    term = scene["term"]
    before = rows()
    assert api.get(PROJECTS).status_code == 401
    assert api.get(detail(scene["id"])).status_code == 401
    assert api.get(detail(scene["id"], "allocations")).status_code == 401
    body = project_body(district, term, school_a, code="ANON")
    assert api.post(PROJECTS, body, format="json").status_code == 401
    assert api.patch(detail(scene["id"]), {"name": "x"}, format="json").status_code == 401
    allocation = {"term": term.pk}
    assert api.post(detail(scene["id"], "allocate"), allocation, format="json").status_code == 401
    funds = {"term": term.pk, "source": "provincial", "amount": "1.00"}
    url = detail(scene["id"], "appropriations")
    assert api.post(url, funds, format="json").status_code == 401
    entry = LedgerEntry.objects.first()
    reverse = api.post(f"{LEDGER}{entry.pk}/reverse/", {"memo": "x"}, format="json")
    assert reverse.status_code == 401
    assert rows() == before


def test_a_district_admin_must_administer_every_school_of_the_district(
    scene, district, district_admin, term
):
    SchoolFactory(district=district)  # a third school, not administered by district_admin
    client = client_for(district_admin)
    before = rows()
    body = project_body(district, term, SchoolFactory(district=district), code="NEW")
    # An administrator of only some of the district's schools is refused.
    assert client.post(PROJECTS, body, format="json").status_code == 403
    assert client.patch(detail(scene["id"]), {"name": "x"}, format="json").status_code == 403
    assert receive(district_admin, scene["id"], term, "provincial", "1.00").status_code == 403
    assert rows() == before


def test_superuser_reads_and_writes_every_district(scene, elsewhere):
    root = UserFactory(is_superuser=True)
    make_project(root, elsewhere["district"], elsewhere["term"], elsewhere["school"], code="ROOT")
    assert client_for(root).get(PROJECTS).json()["count"] == 2


# -- allocations: who is named -------------------------------------------------------------


@pytest.fixture
def two_schools(district, school_a, school_b, district_admin, term):
    """One place per school, three approved preschool children each: two left out per school."""
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        quotas=[
            {"term": term.pk, "school": school_a.pk, "places": 1},
            {"term": term.pk, "school": school_b.pk, "places": 1},
        ],
    )
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    a = approved(school_a, term, [90, 80, 70])
    b = approved(school_b, term, [95, 85, 75])
    response = allocate(district_admin, project["id"], term)
    assert response.status_code == 201, response.json()
    return {"id": project["id"], "a": a, "b": b, "allocation": response.json()}


def test_the_district_admin_sees_everyone_left_out_with_names(two_schools, district_admin):
    allocation = two_schools["allocation"]
    assert (allocation["awarded"], allocation["amount"]) == (2, "2000.00")
    left = {s.pk for s in two_schools["a"][1:] + two_schools["b"][1:]}
    assert left_out_students(allocation) == left
    names = {s.pk: s.name for s in two_schools["a"] + two_schools["b"]}
    assert {row["student"]: row["student_name"] for row in allocation["left_out"]} == {
        pk: names[pk] for pk in left
    }
    assert {row["reason"] for row in allocation["left_out"]} == {"quota_full"}
    listed = client_for(district_admin).get(detail(two_schools["id"], "allocations")).json()
    assert [left_out_students(a) for a in listed] == [left]


def test_a_school_admin_sees_only_its_own_students_left_out(two_schools, admin_a, admin_b):
    for admin, key in ((admin_a, "a"), (admin_b, "b")):
        response = client_for(admin).get(detail(two_schools["id"], "allocations"))
        assert response.status_code == 200
        [allocation] = response.json()
        own = two_schools[key][1:]
        assert left_out_students(allocation) == {s.pk for s in own}
        assert {row["student_name"] for row in allocation["left_out"]} == {s.name for s in own}


@pytest.mark.parametrize("role", ["teacher", "supervisor", "volunteer", "donor"])
def test_no_other_role_sees_allocations(two_schools, school_a, role):
    response = client_for(member(role, school_a)).get(detail(two_schools["id"], "allocations"))
    assert response.status_code == 403
    assert "student_name" not in response.content.decode()


def test_a_student_found_not_in_hardship_is_never_a_candidate(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [needy] = approved(school_a, term, [10])
    [well_off] = approved(school_a, term, [0], tier="not_in_hardship")
    body = allocate(district_admin, project["id"], term).json()
    assert list(Award.objects.values_list("student_id", flat=True)) == [needy.pk]
    assert well_off.pk not in left_out_students(body)


def test_a_teacher_here_who_administers_elsewhere_sees_no_allocations(
    two_schools, school_a, elsewhere
):
    user = member("teacher", school_a)
    Membership.objects.create(user=user, school=elsewhere["school"], role="administrator")
    response = client_for(user).get(detail(two_schools["id"], "allocations"))
    assert response.status_code == 403


def test_a_teacher_here_who_administers_elsewhere_may_not_allocate_here(
    two_schools, school_a, elsewhere, term
):
    user = member("teacher", school_a)
    Membership.objects.create(user=user, school=elsewhere["school"], role="administrator")
    before = rows()
    assert allocate(user, two_schools["id"], term).status_code == 403
    assert allocate(user, two_schools["id"], term, schools=[school_a]).status_code == 400
    assert rows() == before


def test_allocations_query_count_does_not_grow(two_schools, district_admin, term, school_a):
    client = client_for(district_admin)
    url = detail(two_schools["id"], "allocations")

    def count(n):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()) == n
        return len(queries)

    few = count(1)
    for _ in range(9):
        approved(school_a, term, [1])
        assert allocate(district_admin, two_schools["id"], term).status_code == 201
    assert few == count(10)
