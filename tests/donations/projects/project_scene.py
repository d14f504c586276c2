"""The scene of the projects/ tests: a district, its projects, fundings and appropriations."""

from decimal import Decimal

import pytest

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    FundAccount,
    LedgerEntry,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
)
from mentoring.models import AssessmentStatus, SchoolLevel
from tests.conftest import client_for
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

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


def left_out_students(body) -> set[int]:
    return {row["student"] for row in body["left_out"]}


def received_of(user, project_id) -> dict[str, str]:
    body = client_for(user).get(detail(project_id)).json()
    return {f["source"]: f["received"] for f in body["funding"]}
