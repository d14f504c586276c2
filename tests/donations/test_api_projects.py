"""projects/ over HTTP: who reads and writes aid projects, allocation by rank of need, funds
received (appropriations) and their reversal through ledger/{id}/reverse/."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    Donor,
    DonorKind,
    FundAccount,
    LedgerEntry,
    LedgerKind,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
)
from donations.services.ledger import fund_account_of, ledger_post
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import AssessmentStatus, Membership, SchoolLevel
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

PROJECTS, AWARDS, LEDGER = "/api/v1/projects/", "/api/v1/awards/", "/api/v1/ledger/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WRITTEN = (
    AidProject,
    ProjectStandard,
    ProjectFunding,
    ProjectQuota,
    FundAccount,
    LedgerEntry,
    Allocation,
    Award,
    AidRefusal,
)


def money(value) -> Decimal:
    """An amount as the API shows it, read as a Decimal ."""
    return Decimal(str(value))


def rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def detail(project_id: int, action: str = "") -> str:
    return f"{PROJECTS}{project_id}/{action + '/' if action else ''}"


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def elsewhere():
    """Another district, with its own school, administrator and term."""
    other = DistrictFactory()
    school = SchoolFactory(district=other)
    return {
        "district": other,
        "school": school,
        "admin": member("administrator", school),
        "term": TermFactory(district=other),
    }


def project_body(district, term, school, **overrides) -> dict:
    """The kindergarten case: 28,000 = 18,900 provincial + 9,100 county; 2,000 a year."""
    body = {
        "district": district.code,
        "code": "PRESCHOOL",
        "name": "学前教育资助",
        "source": "provincial",
        "purpose": "preschool_living",
        "levels": ["preschool"],
        "standards": [{"yearly": "2000.00"}],
        "funding": [
            {"term": term.pk, "source": "provincial", "amount": "18900.00"},
            {"term": term.pk, "source": "county", "amount": "9100.00"},
        ],
        "quotas": [{"term": term.pk, "school": school.pk, "places": 28}],
    }
    body.update(overrides)
    return body


def make_project(admin, district, term, school, **overrides) -> dict:
    response = client_for(admin).post(
        PROJECTS, project_body(district, term, school, **overrides), format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def receive(admin, project_id, term, source, amount):
    response = client_for(admin).post(
        detail(project_id, "appropriations"),
        {"term": term.pk, "source": source, "amount": amount},
        format="json",
        **EN,
    )
    return response


def approved(school, term, needs, *, tier="special_hardship", level=SchoolLevel.PRESCHOOL):
    """One approved student of `school` per need score, enrolled at `level` for the term."""
    students = []
    for need in needs:
        student = StudentFactory(school=school)
        StudentRecordFactory(student=student, term=term, level=level)
        AssessmentFactory(
            student=student,
            term=term,
            status=AssessmentStatus.APPROVED,
            tier=tier,
            need_score=need,
        )
        students.append(student)
    return students


@pytest.fixture
def scene(district, school_a, school_b, district_admin, term):
    """The kindergarten project, its money received in full, nobody allocated yet."""
    project = make_project(district_admin, district, term, school_a)
    assert receive(district_admin, project["id"], term, "provincial", "18900.00").status_code == 201
    assert receive(district_admin, project["id"], term, "county", "9100.00").status_code == 201
    return {"project": project, "id": project["id"], "term": term}


def allocate(user, project_id, term, schools=None):
    body = {"term": term.pk}
    if schools is not None:
        body["schools"] = [s.pk for s in schools]
    return client_for(user).post(detail(project_id, "allocate"), body, format="json", **EN)


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
    assert client.get(PROJECTS, {"district": district.code}).json()["count"] == 0
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


def left_out_students(body) -> set[int]:
    return {row["student"] for row in body["left_out"]}


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


# -- validation ----------------------------------------------------------------------------


def _standard(**values):
    return lambda body, w: body.update(standards=[{"yearly": "2000.00"} | values])


def _funding(**values):
    def change(body, w):
        body["funding"] = [
            {"term": w["term"].pk, "source": "provincial", "amount": "10.00"} | values
        ]

    return change


BAD_PROJECTS = [
    pytest.param(_standard(yearly="-1.00"), "standards", id="negative-yearly"),
    pytest.param(_standard(yearly="0"), "standards", id="zero-yearly"),
    pytest.param(_standard(yearly="1.005"), "standards", id="three-decimals-yearly"),
    pytest.param(_standard(tier="not_a_tier"), "standards", id="standard-unknown-tier"),
    pytest.param(_standard(level="college"), "standards", id="standard-unknown-level"),
    pytest.param(_standard(boarding="sometimes"), "standards", id="standard-unknown-boarding"),
    pytest.param(_funding(amount="-5.00"), "funding", id="negative-funding"),
    pytest.param(_funding(amount="100.001"), "funding", id="three-decimals-funding"),
    pytest.param(_funding(amount="0.00"), "funding", id="zero-funding"),
    pytest.param(_funding(source="bank"), "funding", id="funding-unknown-source"),
    pytest.param(
        lambda b, w: b.update(levels=["preschool", "college"]), "levels", id="unknown-level"
    ),
    pytest.param(lambda b, w: b.update(tiers=["hardship", "rich"]), "tiers", id="unknown-tier"),
    pytest.param(lambda b, w: b.update(district="NOWHERE"), "district", id="unknown-district"),
    pytest.param(lambda b, w: b.pop("district"), "district", id="no-district"),
    pytest.param(lambda b, w: b.update(source="bank"), "source", id="unknown-source"),
    pytest.param(lambda b, w: b.update(gender="x"), "gender", id="unknown-gender"),
    pytest.param(lambda b, w: b.update(boarding="x"), "boarding", id="unknown-boarding"),
    pytest.param(lambda b, w: b.update(code="PRESCHOOL"), "code", id="duplicate-code"),
    pytest.param(
        lambda b, w: b.update(
            standards=[
                {"tier": "hardship", "yearly": "1000.00"},
                {"tier": "hardship", "yearly": "2000.00"},
            ]
        ),
        "standards",
        id="duplicate-standards",
    ),
    pytest.param(
        lambda b, w: b.update(
            funding=[
                # Not below what the scene received, so only the repetition is wrong.
                {"term": w["term"].pk, "source": "county", "amount": "9100.00"},
                {"term": w["term"].pk, "source": "county", "amount": "9200.00"},
            ]
        ),
        "funding",
        id="duplicate-funding",
    ),
    pytest.param(_funding(term=0), "funding", id="funding-term-zero"),
    pytest.param(
        lambda b, w: b.update(
            funding=[{"term": w["other_term"].pk, "source": "county", "amount": "1.00"}]
        ),
        "funding",
        id="funding-term-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[{"term": w["term"].pk, "school": w["other_school"].pk, "places": 3}]
        ),
        "quotas",
        id="quota-school-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[{"term": w["other_term"].pk, "school": w["school"].pk, "places": 3}]
        ),
        "quotas",
        id="quota-term-of-another-district",
    ),
    pytest.param(
        lambda b, w: b.update(
            quotas=[
                {"term": w["term"].pk, "school": w["school"].pk, "places": 3},
                {"term": w["term"].pk, "school": w["school"].pk, "places": 4},
            ]
        ),
        "quotas",
        id="duplicate-quota",
    ),
    pytest.param(
        lambda b, w: b.update(quotas=[{"term": w["term"].pk, "school": w["school"].pk}]),
        "quotas",
        id="quota-without-places",
    ),
]


@pytest.mark.parametrize(("change", "field"), BAD_PROJECTS)
def test_a_bad_project_answers_400_naming_the_field_and_writes_nothing(
    scene, change, field, district, school_a, elsewhere, district_admin
):
    world = {
        "term": scene["term"],
        "school": school_a,
        "other_term": elsewhere["term"],
        "other_school": elsewhere["school"],
    }
    body = project_body(district, scene["term"], school_a, code="SECOND")
    change(body, world)
    before = rows()
    response = client_for(district_admin).post(PROJECTS, body, format="json", **EN)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert rows() == before


# The district is not changed by an update, and a code change is refused on its own (below).
BAD_CHANGES = [p for p in BAD_PROJECTS if p.values[1] not in ("district", "code")]


@pytest.mark.parametrize(("change", "field"), BAD_CHANGES)
def test_a_bad_change_answers_400_and_changes_nothing(
    scene, change, field, district, school_a, elsewhere, district_admin
):
    world = {
        "term": scene["term"],
        "school": school_a,
        "other_term": elsewhere["term"],
        "other_school": elsewhere["school"],
    }
    body = project_body(district, scene["term"], school_a, name="改名")
    # A project stays in its district: an update that names one is refused on its own.
    del body["district"]
    # A valid change of the standards is saved first: it must be undone with the rest.
    body["standards"] = [{"yearly": "1.00"}]
    change(body, world)
    shown_before = client_for(district_admin).get(detail(scene["id"])).json()
    before = rows()
    response = client_for(district_admin).put(detail(scene["id"]), body, format="json", **EN)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert rows() == before
    assert client_for(district_admin).get(detail(scene["id"])).json() == shown_before


@pytest.mark.parametrize(
    ("rows_given", "expected"),
    [
        pytest.param({"standards": [{"yearly": "625.00"}]}, 200, id="standard-with-defaults"),
        pytest.param({"funding": [{"term": "TERM", "amount": "1.00"}]}, 400, id="no-source"),
        pytest.param({"quotas": [{"term": "TERM", "school": "SCHOOL"}]}, 400, id="no-places"),
    ],
)
def test_a_patch_of_nested_rows_applies_defaults_and_checks_required_fields(
    scene, district_admin, school_a, rows_given, expected
):
    term = scene["term"]
    body = {
        name: [
            {
                key: {"TERM": term.pk, "SCHOOL": school_a.pk}.get(value, value)
                for key, value in row.items()
            }
            for row in values
        ]
        for name, values in rows_given.items()
    }
    client = client_for(district_admin)
    client.raise_request_exception = False
    response = client.patch(detail(scene["id"]), body, format="json")
    assert response.status_code == expected
    if expected == 400:
        assert set(response.json()) == set(rows_given)


def test_a_project_code_cannot_be_changed(scene, district_admin):
    response = client_for(district_admin).patch(
        detail(scene["id"]), {"code": "OTHER"}, format="json"
    )
    assert response.status_code == 400
    assert "code" in response.json()
    assert AidProject.objects.get(pk=scene["id"]).code == "PRESCHOOL"


def test_funding_cannot_fall_below_what_was_received(scene, district_admin):
    term = scene["term"]
    before = rows()
    lower = client_for(district_admin).patch(
        detail(scene["id"]),
        {"funding": [{"term": term.pk, "source": "provincial", "amount": "100.00"}]},
        format="json",
        **EN,
    )
    assert lower.status_code == 400
    assert "18900.00" in lower.json()["funding"][0]
    assert rows() == before
    assert sorted(ProjectFunding.objects.values_list("amount_fen", flat=True)) == [
        910_000,
        1_890_000,
    ]


@pytest.mark.parametrize("amount", ["-1.00", "0", "1.005", "abc", ""])
def test_a_bad_appropriation_amount_answers_400(district, school_a, district_admin, term, amount):
    project = make_project(district_admin, district, term, school_a)
    before = rows()
    response = receive(district_admin, project["id"], term, "provincial", amount)
    assert response.status_code == 400
    assert "amount" in response.json()
    assert rows() == before


def test_an_appropriation_beyond_what_was_allocated_names_what_is_left(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    assert receive(district_admin, project["id"], term, "county", "9000.00").status_code == 201
    before = rows()
    response = receive(district_admin, project["id"], term, "county", "100.01")
    assert response.status_code == 400
    message = response.json()["amount"][0]
    assert "100.00" in message and "9100.00" in message, message
    assert rows() == before
    assert receive(district_admin, project["id"], term, "county", "100.00").status_code == 201
    assert receive(district_admin, project["id"], term, "county", "0.01").status_code == 400


def test_an_appropriation_needs_a_funding_of_that_source_and_term(scene, district_admin, elsewhere):
    before = rows()
    response = receive(district_admin, scene["id"], scene["term"], "central", "1.00")
    assert response.status_code == 400
    assert "source" in response.json()
    response = receive(district_admin, scene["id"], elsewhere["term"], "county", "1.00")
    assert response.status_code == 400
    assert "source" in response.json() or "term" in response.json()
    response = receive(district_admin, scene["id"], scene["term"], "bank", "1.00")
    assert response.status_code == 400
    assert "source" in response.json()
    assert rows() == before


# -- behaviour -----------------------------------------------------------------------------


def test_the_kindergarten_case(scene, district_admin, school_a):
    children = approved(school_a, scene["term"], list(range(130, 100, -1)))
    assert len(children) == 30
    response = allocate(district_admin, scene["id"], scene["term"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["project"], body["term"], body["awarded"], body["amount"]) == (
        "PRESCHOOL",
        scene["term"].code,
        28,
        "28000.00",
    )
    awards = Award.objects.filter(project_id=scene["id"])
    assert awards.count() == 28
    assert set(awards.values_list("amount_fen", flat=True)) == {100_000}
    # The 28 neediest are aided; the two least needy are left out for the quota.
    assert set(awards.values_list("student_id", flat=True)) == {s.pk for s in children[:28]}
    assert [(r["student"], r["reason"], r["rank"]) for r in body["left_out"]] == [
        (children[28].pk, "quota_full", 29),
        (children[29].pk, "quota_full", 30),
    ]
    assert all(r["student_name"] for r in body["left_out"])

    project = client_for(district_admin).get(detail(scene["id"])).json()
    received = {f["source"]: (f["amount"], f["received"]) for f in project["funding"]}
    assert received == {
        "provincial": ("18900.00", "18900.00"),
        "county": ("9100.00", "9100.00"),
    }
    assert money(project["standards"][0]["per_term"]) == Decimal("1000.00")
    account = FundAccount.objects.get(project_id=scene["id"])
    assert account.balance_fen == 2_800_000


def test_per_term_is_shown_like_every_other_amount(district, school_a, district_admin, term):
    project = make_project(
        district_admin, district, term, school_a, standards=[{"yearly": "625.00"}]
    )
    assert [(s["yearly"], s["per_term"]) for s in project["standards"]] == [("625.00", "312.50")]


def test_a_yearly_standard_of_625_pays_312_50_a_term(
    district, school_a, district_admin, term, admin_a
):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        standards=[{"yearly": "625.00"}],
        funding=[{"term": term.pk, "source": "provincial", "amount": "1000.00"}],
    )
    assert [(s["yearly"], money(s["per_term"])) for s in project["standards"]] == [
        ("625.00", Decimal("312.50"))
    ]
    receive(district_admin, project["id"], term, "provincial", "1000.00")
    approved(school_a, term, [5, 4, 3, 2])
    body = allocate(admin_a, project["id"], term).json()
    # 1000.00 pays three terms of 312.50 (937.50); the fourth child finds 62.50 left.
    assert (body["awarded"], body["amount"]) == (3, "937.50")
    assert [r["reason"] for r in body["left_out"]] == ["funds_exhausted"]
    assert set(Award.objects.values_list("amount_fen", flat=True)) == {31_250}


def test_when_funds_run_out_the_ranking_is_kept(district, school_a, district_admin, term):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        levels=[],
        quotas=[],
        standards=[
            {"tier": "special_hardship", "yearly": "4000.00"},  # 2000.00 a term
            {"tier": "hardship", "yearly": "1000.00"},  # 500.00 a term
        ],
        funding=[{"term": term.pk, "source": "provincial", "amount": "2500.00"}],
    )
    receive(district_admin, project["id"], term, "provincial", "2500.00")
    # Tier first, then need score: the hardship child with the highest score still comes last.
    neediest, second = approved(school_a, term, [50, 40], tier="special_hardship")
    [hardship] = approved(school_a, term, [99], tier="hardship")
    body = allocate(district_admin, project["id"], term).json()
    assert list(Award.objects.values_list("student_id", flat=True)) == [neediest.pk]
    # 500.00 are left, enough for the hardship child, but the second special-hardship child
    # could not be funded, so nobody ranked below is funded ahead of them.
    assert [(r["student"], r["rank"], r["reason"]) for r in body["left_out"]] == [
        (second.pk, 2, "funds_exhausted"),
        (hardship.pk, 3, "funds_exhausted"),
    ]
    assert FundAccount.objects.get(project_id=project["id"]).balance_fen == 250_000


def test_need_score_ranks_within_a_tier(district, school_a, district_admin, term):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        funding=[{"term": term.pk, "source": "provincial", "amount": "2000.00"}],
    )
    receive(district_admin, project["id"], term, "provincial", "2000.00")
    low, high, middle = approved(school_a, term, [10, 90, 50])
    body = allocate(district_admin, project["id"], term).json()
    assert set(Award.objects.values_list("student_id", flat=True)) == {high.pk, middle.pk}
    assert [(r["student"], r["reason"]) for r in body["left_out"]] == [(low.pk, "funds_exhausted")]


def test_only_eligible_students_are_candidates(district, school_a, district_admin, term):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [10])
    approved(school_a, term, [99], level=SchoolLevel.PRIMARY)  # not preschool
    pending = StudentFactory(school=school_a)
    StudentRecordFactory(student=pending, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(student=pending, term=term, status=AssessmentStatus.SUBMITTED, tier="")
    body = allocate(district_admin, project["id"], term).json()
    assert (body["awarded"], body["left_out"]) == (1, [])
    assert list(Award.objects.values_list("student_id", flat=True)) == [child.pk]


def test_allocating_twice_awards_nobody_twice(scene, district_admin, admin_a, school_a):
    children = approved(school_a, scene["term"], list(range(130, 100, -1)))
    first = allocate(district_admin, scene["id"], scene["term"]).json()
    second = allocate(admin_a, scene["id"], scene["term"])
    assert second.status_code == 201
    assert (second.json()["awarded"], second.json()["amount"]) == (0, "0.00")
    assert Award.objects.count() == 28
    assert Award.objects.values("student").distinct().count() == 28
    # Those already awarded keep their places in the quota: the same two are still left out.
    assert (
        left_out_students(second.json())
        == left_out_students(first)
        == {
            children[28].pk,
            children[29].pk,
        }
    )
    assert Allocation.objects.count() == 2


def test_a_new_student_after_an_allocation_is_awarded_by_the_next_one(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    approved(school_a, term, [50, 40])
    assert allocate(district_admin, project["id"], term).json()["awarded"] == 2
    [late] = approved(school_a, term, [99])
    again = allocate(district_admin, project["id"], term).json()
    assert again["awarded"] == 1
    assert Award.objects.filter(student=late).count() == 1
    assert Award.objects.count() == 3


def test_duplicate_aid_across_projects_and_schools_is_left_out_and_recorded(
    district, school_a, school_b, district_admin, admin_a, admin_b, term
):
    first = make_project(district_admin, district, term, school_a, code="P1", quotas=[])
    second = make_project(
        district_admin,
        district,
        term,
        school_b,
        code="P2",
        source="county",
        quotas=[],
        funding=[{"term": term.pk, "source": "county", "amount": "9100.00"}],
    )
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    receive(district_admin, second["id"], term, "county", "9100.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    assert allocate(admin_a, first["id"], term).json()["awarded"] == 1
    award = Award.objects.get(student=child)

    body = allocate(admin_b, second["id"], term).json()
    assert body["awarded"] == 0
    [row] = body["left_out"]
    assert (row["student"], row["reason"]) == (twin.pk, "duplicate_aid")
    assert f"#{award.pk}" in row["detail"] and "P1" in row["detail"]
    refusal = AidRefusal.objects.get()
    assert (refusal.project_id, refusal.student_id, refusal.other_award_id, refusal.via) == (
        second["id"],
        twin.pk,
        award.pk,
        "allocation",
    )
    assert Award.objects.count() == 1


def test_a_project_of_another_purpose_is_no_duplicate(district, school_a, district_admin, term):
    first = make_project(district_admin, district, term, school_a, code="P1")
    other = make_project(district_admin, district, term, school_a, code="P2", purpose="books")
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    receive(district_admin, other["id"], term, "provincial", "18900.00")
    approved(school_a, term, [80])
    assert allocate(district_admin, first["id"], term).json()["awarded"] == 1
    assert allocate(district_admin, other["id"], term).json()["awarded"] == 1
    assert AidRefusal.objects.count() == 0


def test_a_manual_duplicate_award_is_refused_and_recorded(
    district, school_a, district_admin, admin_a, term
):
    first = make_project(district_admin, district, term, school_a, code="P1")
    second = make_project(district_admin, district, term, school_a, code="P2", source="county")
    receive(district_admin, first["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    allocate(admin_a, first["id"], term)
    award = Award.objects.get()
    response = client_for(admin_a).post(
        AWARDS,
        {"project": second["id"], "student": child.pk, "term": term.pk, "amount": "1000.00"},
        format="json",
        **EN,
    )
    assert response.status_code == 400
    assert f"#{award.pk}" in response.json()["student"][0]
    assert response.json()["other_award"] == award.pk
    assert Award.objects.count() == 1
    refusal = AidRefusal.objects.get()
    assert (refusal.project_id, refusal.student_id, refusal.other_award_id, refusal.via) == (
        second["id"],
        child.pk,
        award.pk,
        "manual",
    )


def test_the_same_child_at_two_schools_is_aided_once_by_one_project(
    district, school_a, school_b, district_admin, term
):
    project = make_project(district_admin, district, term, school_a, quotas=[])
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    response = allocate(district_admin, project["id"], term)
    assert response.status_code == 201, response.json()
    assert response.json()["awarded"] == 1
    assert [r["reason"] for r in response.json()["left_out"]] == ["duplicate_aid"]
    assert Award.objects.count() == 1


def test_the_same_child_at_two_schools_over_two_runs_is_left_out_not_409(
    district, school_a, school_b, district_admin, admin_a, admin_b, term
):
    project = make_project(district_admin, district, term, school_a, quotas=[])
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    [child] = approved(school_a, term, [80])
    twin = StudentFactory(school=school_b, id_hash=child.id_hash, id_masked=child.id_masked)
    StudentRecordFactory(student=twin, term=term, level=SchoolLevel.PRESCHOOL)
    AssessmentFactory(
        student=twin, term=term, status=AssessmentStatus.APPROVED, tier="hardship", need_score=70
    )
    assert allocate(admin_a, project["id"], term).json()["awarded"] == 1
    response = allocate(admin_b, project["id"], term)
    assert response.status_code == 201, response.json()
    assert [r["reason"] for r in response.json()["left_out"]] == ["duplicate_aid"]


# -- reversal of an appropriation ----------------------------------------------------------


def reverse(user, entry_id, memo="录入错误"):
    return client_for(user).post(
        f"{LEDGER}{entry_id}/reverse/", {"memo": memo}, format="json", **EN
    )


def received_of(user, project_id) -> dict[str, str]:
    body = client_for(user).get(detail(project_id)).json()
    return {f["source"]: f["received"] for f in body["funding"]}


def test_reversing_an_appropriation_lowers_what_was_received(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    response = reverse(district_admin, entry.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"], body["reverses"], body["balance_after"]) == (
        "reversal",
        "-9100.00",
        entry.pk,
        "18900.00",
    )
    assert received_of(district_admin, scene["id"]) == {
        "provincial": "18900.00",
        "county": "0.00",
    }
    assert FundAccount.objects.get(project_id=scene["id"]).balance_fen == 1_890_000
    # The money may now be received again, in full and no more.
    again = receive(district_admin, scene["id"], scene["term"], "county", "9100.01")
    assert again.status_code == 400
    again = receive(district_admin, scene["id"], scene["term"], "county", "9100.00")
    assert again.status_code == 201
    assert received_of(district_admin, scene["id"])["county"] == "9100.00"


def test_reversing_twice_answers_409(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    assert reverse(district_admin, entry.pk).status_code == 201
    before = rows()
    second = reverse(district_admin, entry.pk, memo="again")
    assert second.status_code == 409
    assert "entry" in second.json()
    assert rows() == before
    assert received_of(district_admin, scene["id"])["county"] == "0.00"


def test_only_an_appropriation_can_be_reversed(scene, district_admin, school_a):
    approved(school_a, scene["term"], [50])
    allocate(district_admin, scene["id"], scene["term"])
    account = fund_account_of(AidProject.objects.get(pk=scene["id"]))
    paid = ledger_post(
        account_id=account.pk, kind=LedgerKind.DISBURSEMENT, amount_fen=-100, by=None, memo="m"
    )
    given = ledger_post(
        account_id=account.pk, kind=LedgerKind.CONTRIBUTION, amount_fen=500, by=None, memo="m"
    )
    reversal = reverse(district_admin, LedgerEntry.objects.get(funding__source="county").pk)
    assert reversal.status_code == 201
    before = rows()
    for entry_id in (paid.pk, given.pk, reversal.json()["id"]):
        response = reverse(district_admin, entry_id)
        assert response.status_code == 400, response.json()
        assert "entry" in response.json()
    assert rows() == before


def test_a_reversal_needs_a_memo(scene, district_admin):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    for memo in ("", "   "):
        response = reverse(district_admin, entry.pk, memo=memo)
        assert response.status_code == 400
        assert "memo" in response.json()
    response = client_for(district_admin).post(f"{LEDGER}{entry.pk}/reverse/", {}, format="json")
    assert response.status_code == 400
    assert "memo" in response.json()
    assert rows() == before


@pytest.mark.parametrize("role", ["teacher", "volunteer", "supervisor", "donor"])
def test_other_roles_may_not_reverse(scene, school_a, role):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(member(role, school_a), entry.pk).status_code == 403
    assert rows() == before


def test_a_single_school_admin_may_not_reverse(scene, admin_a, admin_b):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(admin_a, entry.pk).status_code == 403
    assert reverse(admin_b, entry.pk).status_code == 403
    assert rows() == before
    assert received_of(admin_a, scene["id"])["county"] == "9100.00"


def test_an_admin_of_another_district_may_not_reverse(scene, elsewhere):
    entry = LedgerEntry.objects.get(funding__source="county")
    before = rows()
    assert reverse(elsewhere["admin"], entry.pk).status_code == 404
    assert rows() == before


# -- query counts --------------------------------------------------------------------------


def _projects(district, term, schools, n, start=0):
    root = UserFactory(is_superuser=True)
    for i in range(start, start + n):
        project = project_save(
            by=root,
            district=district,
            fields={
                "code": f"Q{i:03d}",
                "name": f"项目{i}",
                "source": "provincial",
                "purpose": f"purpose{i}",
                "levels": ["preschool", "primary"],
                "tiers": ["special_hardship", "hardship"],
                "boarding": "any",
                "gender": "",
                "late_after_days": 30,
            },
            standards=[
                {"tier": "special_hardship", "level": "", "boarding": "any", "yearly_fen": 200_000},
                {"tier": "hardship", "level": "", "boarding": "any", "yearly_fen": 100_000},
            ],
            funding=[
                {"term": term.pk, "source": "provincial", "amount_fen": 1_000_000},
                {"term": term.pk, "source": "county", "amount_fen": 500_000},
            ],
            quotas=[{"term": term.pk, "school": s.pk, "places": 5} for s in schools],
        )
        appropriation_receive(
            by=root, project=project, term_id=term.pk, source="provincial", amount_fen=300_000
        )


@pytest.mark.parametrize("persona", ["district_admin", "teacher"])
def test_project_list_query_count_does_not_grow(district, school_a, school_b, term, persona):
    user = (
        member("administrator", school_a, school_b)
        if persona == "district_admin"
        else member("teacher", school_a)
    )
    client = client_for(user)

    def count(n):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PROJECTS, {"page_size": 1000})
        assert response.status_code == 200
        assert response.json()["count"] == n
        assert all(len(p["funding"]) == 2 for p in response.json()["results"])
        assert all(p["funding"][0]["received"] != "" for p in response.json()["results"])
        return len(queries)

    _projects(district, term, [school_a, school_b], 3)
    few = count(3)
    _projects(district, term, [school_a, school_b], 27, start=3)
    many = count(30)
    assert few == many, (few, many)
    assert few <= 8


# -- at the same time (PostgreSQL: SQLite has no row locks) --------------------------------


def _at_once(user, n, request):
    """n clients send `request(client, i)` at the same moment; returns the statuses."""
    barrier = threading.Barrier(n)
    statuses = []

    def run(i):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            statuses.append(request(client, i).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appropriations_never_exceed_the_funding(
    district, school_a, district_admin, term
):
    project = make_project(
        district_admin,
        district,
        term,
        school_a,
        funding=[{"term": term.pk, "source": "provincial", "amount": "5000.00"}],
    )
    url = detail(project["id"], "appropriations")
    body = {"term": term.pk, "source": "provincial", "amount": "1000.00"}
    statuses = _at_once(district_admin, 10, lambda client, i: client.post(url, body, format="json"))
    assert statuses == [201] * 5 + [400] * 5
    assert received_of(district_admin, project["id"]) == {"provincial": "5000.00"}
    assert FundAccount.objects.get(project_id=project["id"]).balance_fen == 500_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_of_one_project_award_each_student_once(
    district, school_a, district_admin, term
):
    project = make_project(district_admin, district, term, school_a)
    receive(district_admin, project["id"], term, "provincial", "18900.00")
    approved(school_a, term, list(range(40, 30, -1)))
    url = detail(project["id"], "allocate")
    statuses = _at_once(
        district_admin, 8, lambda client, i: client.post(url, {"term": term.pk}, format="json")
    )
    assert statuses == [201] * 8
    assert Award.objects.count() == 10
    assert sorted(Allocation.objects.values_list("awarded", flat=True)) == [0] * 7 + [10]
