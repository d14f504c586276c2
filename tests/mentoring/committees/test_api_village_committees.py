"""/api/v1/village-committees/: read by the district's members, written by its administrators;
a student's committee set through the students API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import Student, VillageCommittee
from tests.conftest import client_for
from tests.mentoring.students.students_scene import STUDENTS_URL, new_student
from workers.factories import (
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    VillageCommitteeFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/village-committees/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def committee(district):
    return VillageCommitteeFactory(district=district, code="V01", name="东村村委会")


@pytest.fixture
def foreign_committee():
    return VillageCommitteeFactory(district=DistrictFactory(), code="V01", name="西村村委会")


def body(district, **overrides):
    return {"district": district.pk, "code": "V02", "name": "城关居委会", "kind": "residents"} | (
        overrides
    )


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor", "administrator"])
def test_every_member_of_the_district_reads_its_committees_and_no_other(
    role, school_a, committee, foreign_committee
):
    client = client_for(member(role, school_a))

    listed = client.get(URL).json()["results"]

    assert [(c["id"], c["district_code"], c["kind"]) for c in listed] == [
        (committee.pk, school_a.district.code, "village")
    ]
    assert client.get(f"{URL}{committee.pk}/").status_code == 200
    assert client.get(f"{URL}{foreign_committee.pk}/").status_code == 404


def test_a_district_administrator_adds_and_changes_a_committee(district_admin, district):
    client = client_for(district_admin)

    created = client.post(URL, body(district), format="json")
    changed = client.patch(
        f"{URL}{created.json()['id']}/", {"name": "城关社区居委会"}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "residents"
    assert changed.status_code == 200
    assert VillageCommittee.objects.get().name == "城关社区居委会"


def test_a_school_administrator_of_one_school_of_the_district_may_not_write(
    admin_a, school_b, district, committee
):
    client = client_for(admin_a)

    created = client.post(URL, body(district), format="json")
    changed = client.patch(f"{URL}{committee.pk}/", {"name": "改名"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert list(VillageCommittee.objects.values_list("name", flat=True)) == ["东村村委会"]


def test_a_foreign_district_is_refused_like_a_missing_one(district_admin, foreign_committee):
    client = client_for(district_admin)

    foreign = client.post(URL, body(foreign_committee.district), format="json", **EN)
    missing = client.post(
        URL, body(foreign_committee.district) | {"district": 987654}, format="json", **EN
    )
    patched = client.patch(f"{URL}{foreign_committee.pk}/", {"name": "x"}, format="json")

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json() == {"district": ["Unknown district."]}
    assert patched.status_code == 404


def test_bad_input_names_every_bad_field_and_writes_nothing(district_admin, district, committee):
    client = client_for(district_admin)

    response = client.post(
        URL,
        {"district": district.pk, "code": "   ", "name": "", "kind": "town"},
        format="json",
        **EN,
    )
    taken = client.post(URL, body(district, code="V01"), format="json", **EN)
    patched = client.patch(
        f"{URL}{committee.pk}/", {"code": "", "kind": "town", "id": 5}, format="json", **EN
    )

    assert response.status_code == 400
    assert set(response.json()) == {"code", "name", "kind"}
    assert taken.status_code == 400
    assert taken.json() == {"code": ["The district has a committee with this code."]}
    assert patched.status_code == 400
    assert set(patched.json()) == {"code", "kind", "id"}
    assert VillageCommittee.objects.count() == 1


def test_the_list_reads_in_a_number_of_queries_that_does_not_grow(admin_a, district):
    client = client_for(admin_a)
    VillageCommitteeFactory(district=district)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).json()["count"] == 1
    for _ in range(9):
        VillageCommitteeFactory(district=district)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).json()["count"] == 10

    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_students_committee_is_set_and_shown_through_the_students_api(
    admin_a, school_a, committee, foreign_committee
):
    client = client_for(admin_a)

    created = client.post(
        STUDENTS_URL, new_student(school_a) | {"committee": committee.pk}, format="json"
    )
    foreign = client.post(
        STUDENTS_URL,
        new_student(school_a, student_number="G510000778") | {"committee": foreign_committee.pk},
        format="json",
        **EN,
    )
    cleared = client.patch(
        f"{STUDENTS_URL}{created.json()['id']}/", {"committee": None}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["committee"] == committee.pk
    assert foreign.status_code == 400
    assert foreign.json() == {"committee": ["Unknown committee in the student's district."]}
    assert cleared.status_code == 200 and cleared.json()["committee"] is None
    assert Student.objects.get(pk=created.json()["id"]).committee is None


def test_a_committee_of_another_district_is_refused_on_a_change(
    admin_a, school_a, foreign_committee
):
    student = StudentFactory(school=school_a)

    response = client_for(admin_a).patch(
        f"{STUDENTS_URL}{student.pk}/", {"committee": foreign_committee.pk}, format="json", **EN
    )

    assert response.status_code == 400
    student.refresh_from_db()
    assert student.committee is None


def test_a_platform_administrator_writes_any_districts_committees(foreign_committee):
    from workers.factories import UserFactory

    root = UserFactory(is_superuser=True)
    school = SchoolFactory(district=foreign_committee.district)

    response = client_for(root).post(URL, body(school.district, code="V09"), format="json")

    assert response.status_code == 201
