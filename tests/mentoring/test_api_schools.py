"""/api/v1/schools/: every user sees the schools it has a role in; platform admins add schools."""

import pytest

from mentoring.models import Role, School, SchoolLevel
from tests.conftest import client_for
from workers.factories import DistrictFactory, MembershipFactory, SchoolFactory, UserFactory, member

SCHOOLS_URL = "/api/v1/schools/"


def detail_url(school) -> str:
    return f"{SCHOOLS_URL}{school.pk}/"


def codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


def new_school(district, **overrides) -> dict:
    payload = {
        "code": "S-NEW-01",
        "name": "Qingshui Primary School",
        "level": SchoolLevel.PRIMARY,
        "district": district.code,
    }
    payload.update(overrides)
    return payload


def school_rows() -> tuple[int, int]:
    return School.objects.count(), School.history.count()


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


@pytest.fixture
def other_district(db):
    return DistrictFactory(code="D-OTHER", name="Other district")


@pytest.fixture
def school_c(other_district):
    """A school in another district, where none of the fixtures' users has a role."""
    return SchoolFactory(district=other_district, level=SchoolLevel.JUNIOR_MIDDLE)


# Permissions


def test_anonymous_request_answers_401(api, school_a, district):
    before = school_rows()

    assert api.get(SCHOOLS_URL).status_code == 401
    assert api.get(detail_url(school_a)).status_code == 401
    assert api.post(SCHOOLS_URL, new_school(district), format="json").status_code == 401
    assert school_rows() == before


@pytest.mark.parametrize(
    "role", [Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR]
)
def test_every_role_sees_only_the_schools_it_has_a_role_in(role, school_a, school_b, school_c):
    client = client_for(member(role, school_a))

    listed = client.get(SCHOOLS_URL)
    own = client.get(detail_url(school_a))
    same_district = client.get(detail_url(school_b))
    other_district = client.get(detail_url(school_c))

    assert listed.status_code == 200
    assert codes(listed) == {school_a.code}
    assert listed.json()["count"] == 1
    assert own.status_code == 200
    assert own.json() == {
        "id": school_a.pk,
        "code": school_a.code,
        "name": school_a.name,
        "level": SchoolLevel.PRIMARY,
        "district": school_a.district.code,
        "district_id": school_a.district_id,
        "district_name": school_a.district.name,
    }
    assert same_district.status_code == 404
    assert other_district.status_code == 404
    assert school_b.code not in listed.content.decode()


def test_colleague_in_the_same_school_sees_the_same_school(school_a, school_b, admin_a):
    colleague = member(Role.TEACHER, school_a)

    assert codes(client_for(admin_a).get(SCHOOLS_URL)) == {school_a.code}
    assert codes(client_for(colleague).get(SCHOOLS_URL)) == {school_a.code}


def test_outsider_admin_of_school_b_does_not_see_school_a(school_a, admin_b):
    client = client_for(admin_b)

    assert codes(client.get(SCHOOLS_URL)) == {admin_b.memberships.get().school.code}
    assert client.get(detail_url(school_a)).status_code == 404


def test_user_with_roles_in_two_schools_sees_each_once(school_a, school_b, school_c):
    user = member(Role.TEACHER, school_a)
    MembershipFactory(user=user, school=school_a, role=Role.VOLUNTEER)
    MembershipFactory(user=user, school=school_c, role=Role.DONOR)

    response = client_for(user).get(SCHOOLS_URL)

    assert response.json()["count"] == 2
    assert [row["code"] for row in response.json()["results"]] == sorted(
        [school_a.code, school_c.code]
    )


def test_user_without_any_membership_sees_no_school(school_a, db):
    response = client_for(UserFactory()).get(SCHOOLS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert client_for(UserFactory()).get(detail_url(school_a)).status_code == 404


def test_deactivated_user_with_a_session_still_open_sees_no_school(school_a):
    # A token is refused for an inactive account; the scoping must hold even
    # for a request that is already authenticated (forced here).
    user = member(Role.ADMINISTRATOR, school_a, is_active=False)

    response = client_for(user).get(SCHOOLS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_platform_admin_sees_every_school(superuser, school_a, school_b, school_c):
    response = client_for(superuser).get(SCHOOLS_URL)

    assert response.status_code == 200
    assert codes(response) == {school_a.code, school_b.code, school_c.code}
    assert client_for(superuser).get(detail_url(school_c)).status_code == 200


# Create


def test_platform_admin_creates_a_school(superuser, district):
    response = client_for(superuser).post(SCHOOLS_URL, new_school(district), format="json")

    assert response.status_code == 201
    school = School.objects.get(code="S-NEW-01")
    assert response.json() == {
        "id": school.pk,
        "code": "S-NEW-01",
        "name": "Qingshui Primary School",
        "level": SchoolLevel.PRIMARY,
        "district": district.code,
        "district_id": district.pk,
        "district_name": district.name,
    }
    assert school.district == district
    assert school.level == SchoolLevel.PRIMARY


def test_school_administrator_cannot_create_a_school(admin_a, district):
    before = school_rows()

    response = client_for(admin_a).post(
        SCHOOLS_URL, new_school(district), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 403
    assert "platform administrator" in response.json()["detail"]
    assert school_rows() == before
    assert not School.objects.filter(code="S-NEW-01").exists()


def test_district_administrator_cannot_create_a_school(district_admin, district):
    before = school_rows()

    response = client_for(district_admin).post(SCHOOLS_URL, new_school(district), format="json")

    assert response.status_code == 403
    assert school_rows() == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_cannot_create_a_school(role, school_a, district):
    before = school_rows()

    response = client_for(member(role, school_a)).post(
        SCHOOLS_URL, new_school(district), format="json"
    )

    assert response.status_code == 403
    assert school_rows() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": None}, "code"),
        ({"name": None}, "name"),
        ({"level": None}, "level"),
        ({"district": None}, "district"),
        ({"level": "university"}, "level"),
        ({"district": "NO-SUCH-DISTRICT"}, "district"),
        ({"code": ""}, "code"),
        ({"code": "C" * 33}, "code"),
        ({"name": "N" * 101}, "name"),
    ],
    ids=[
        "missing-code",
        "missing-name",
        "missing-level",
        "missing-district",
        "bad-level",
        "unknown-district",
        "blank-code",
        "too-long-code",
        "too-long-name",
    ],
)
def test_invalid_school_answers_400_naming_the_field_and_writes_nothing(
    superuser, district, change, field
):
    payload = new_school(district)
    for key, value in change.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    before = school_rows()

    response = client_for(superuser).post(
        SCHOOLS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]
    assert school_rows() == before


def test_duplicate_school_code_answers_400_naming_code(superuser, school_a, district):
    before = school_rows()

    response = client_for(superuser).post(
        SCHOOLS_URL,
        new_school(district, code=school_a.code, name="Another name"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert school_rows() == before
    school_a.refresh_from_db()
    assert school_a.name != "Another name"


def test_put_patch_and_delete_are_not_allowed(superuser, school_a):
    client = client_for(superuser)
    before = school_rows()

    put = client.put(
        detail_url(school_a), new_school(school_a.district, code=school_a.code), format="json"
    )
    patch = client.patch(detail_url(school_a), {"name": "Renamed"}, format="json")
    delete = client.delete(detail_url(school_a))

    assert (put.status_code, patch.status_code, delete.status_code) == (405, 405, 405)
    assert school_rows() == before
    school_a.refresh_from_db()
    assert school_a.name != "Renamed"


# Filters


def test_filter_by_level(superuser, school_a, school_c):
    response = client_for(superuser).get(SCHOOLS_URL, {"level": SchoolLevel.JUNIOR_MIDDLE})

    assert codes(response) == {school_c.code}


def test_filter_by_district_code(superuser, school_a, school_b, school_c, district):
    client = client_for(superuser)

    assert codes(client.get(SCHOOLS_URL, {"district": district.code})) == {
        school_a.code,
        school_b.code,
    }
    assert codes(client.get(SCHOOLS_URL, {"district": "D-OTHER"})) == {school_c.code}


def test_filter_by_district_does_not_reach_beyond_own_schools(admin_a, school_b, district):
    response = client_for(admin_a).get(SCHOOLS_URL, {"district": district.code})

    assert codes(response) == {admin_a.memberships.get().school.code}


def test_filter_with_a_bad_level_answers_400(superuser):
    response = client_for(superuser).get(SCHOOLS_URL, {"level": "university"})

    assert response.status_code == 400
    assert "level" in response.json()


# Query count


@pytest.mark.parametrize("n_schools", [5, 50])
def test_list_query_count_does_not_grow_with_schools(n_schools, django_assert_max_num_queries, db):
    districts = [DistrictFactory(), DistrictFactory()]
    viewer = UserFactory()
    for n in range(n_schools):
        school = SchoolFactory(district=districts[n % 2])
        MembershipFactory(user=viewer, school=school, role=Role.ADMINISTRATOR)
        MembershipFactory(user=viewer, school=school, role=Role.TEACHER)
    client = client_for(viewer)

    # The count and the page, with the district joined in.
    with django_assert_max_num_queries(2):
        response = client.get(SCHOOLS_URL, {"page_size": 100})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == n_schools
    assert {row["district_name"] for row in results} == {d.name for d in districts}
