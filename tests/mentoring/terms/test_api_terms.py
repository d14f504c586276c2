"""/api/v1/terms/: members see their districts' terms; district administrators set them.

The terms and districts are in terms_scene.py, next to this file; holiday weeks, validation
and the query count have a file of their own (test_api_term_validation.py).
"""

import datetime

import pytest

from mentoring.models import Role, Term
from tests.conftest import client_for
from tests.mentoring.terms.terms_scene import (
    TERMS_URL,
    detail_url,
    new_term,
    term_codes,
    term_rows,
    term_state,
)
from workers.factories import DistrictFactory, TermFactory, UserFactory, member

# Permissions: reading


def test_anonymous_request_answers_401(api, district, term):
    before = term_rows()

    assert api.get(TERMS_URL).status_code == 401
    assert api.get(detail_url(term)).status_code == 401
    assert api.post(TERMS_URL, new_term(district), format="json").status_code == 401
    assert api.patch(detail_url(term), {"code": "2026-spring"}, format="json").status_code == 401
    assert term_rows() == before


@pytest.mark.parametrize(
    "role", [Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR]
)
def test_every_role_sees_the_terms_of_its_district_and_no_other(
    role, school_a, district, term, other_term
):
    client = client_for(member(role, school_a))

    listed = client.get(TERMS_URL)
    own = client.get(detail_url(term))
    foreign = client.get(detail_url(other_term))

    assert listed.status_code == 200
    assert term_codes(listed) == {(district.code, "2026-autumn")}
    assert own.status_code == 200
    assert own.json() == {
        "id": term.pk,
        "district": district.code,
        "district_id": district.pk,
        "code": "2026-autumn",
        "school_year": "2026-2027",
        "start_date": "2026-09-01",
        "end_date": "2027-01-22",
        "holiday_weeks": ["2026-09-28", "2026-10-05"],
    }
    assert foreign.status_code == 404
    assert "code" not in foreign.json()


def test_colleague_in_another_school_of_the_district_sees_the_same_terms(
    school_b, district, term, other_term
):
    colleague = member(Role.TEACHER, school_b)

    response = client_for(colleague).get(TERMS_URL)

    assert term_codes(response) == {(district.code, "2026-autumn")}


def test_outsider_of_another_district_does_not_see_the_terms(school_c, term, other_term):
    outsider = member(Role.ADMINISTRATOR, school_c)
    client = client_for(outsider)

    listed = client.get(TERMS_URL)

    assert term_codes(listed) == {("D-OTHER", "2026-autumn")}
    assert client.get(detail_url(term)).status_code == 404


def test_user_without_a_school_sees_no_term(term, db):
    response = client_for(UserFactory()).get(TERMS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_platform_admin_sees_every_term(superuser, school_a, school_c, term, other_term):
    response = client_for(superuser).get(TERMS_URL)

    assert term_codes(response) == {
        (term.district.code, "2026-autumn"),
        ("D-OTHER", "2026-autumn"),
    }


def test_platform_admin_sees_the_term_of_a_district_without_schools_yet(superuser):
    # A platform admin sets up a new district's terms before its schools exist.
    empty = DistrictFactory(code="D-EMPTY")
    created = client_for(superuser).post(TERMS_URL, new_term(empty), format="json")

    listed = client_for(superuser).get(TERMS_URL)
    detail = client_for(superuser).get(f"{TERMS_URL}{created.json()['id']}/")

    assert created.status_code == 201
    assert term_codes(listed) == {("D-EMPTY", "2027-spring")}
    assert detail.status_code == 200


def test_terms_are_listed_newest_first(school_a, district, term):
    TermFactory(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 23),
        end_date=datetime.date(2026, 7, 3),
        holiday_weeks=[],
    )

    response = client_for(member(Role.TEACHER, school_a)).get(TERMS_URL)

    assert [row["code"] for row in response.json()["results"]] == ["2026-autumn", "2026-spring"]


# Permissions: writing


def test_district_administrator_creates_a_term(district_admin, district):
    response = client_for(district_admin).post(TERMS_URL, new_term(district), format="json")

    assert response.status_code == 201
    created = Term.objects.get(district=district, code="2027-spring")
    assert response.json() == {
        "id": created.pk,
        "district": district.code,
        "district_id": district.pk,
        "code": "2027-spring",
        "school_year": "2026-2027",
        "start_date": "2027-02-22",
        "end_date": "2027-07-02",
        "holiday_weeks": ["2027-04-05"],
    }
    assert created.start_date == datetime.date(2027, 2, 22)
    assert created.holiday_weeks == ["2027-04-05"]


def test_platform_admin_creates_a_term(superuser, school_c, other_district):
    response = client_for(superuser).post(TERMS_URL, new_term(other_district), format="json")

    assert response.status_code == 201
    assert Term.objects.filter(district=other_district, code="2027-spring").exists()


def test_admin_of_one_school_in_a_two_school_district_cannot_create_a_term(
    admin_a, school_b, district
):
    before = term_rows()

    response = client_for(admin_a).post(
        TERMS_URL, new_term(district), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 403
    assert "district administrator" in response.json()["district"][0]
    assert term_rows() == before


def test_admin_of_the_only_school_of_a_district_administers_the_district(school_c, other_district):
    admin_c = member(Role.ADMINISTRATOR, school_c)

    response = client_for(admin_c).post(TERMS_URL, new_term(other_district), format="json")

    assert response.status_code == 201


def test_district_admin_cannot_create_a_term_in_another_district(
    district_admin, school_c, other_district
):
    before = term_rows()

    response = client_for(district_admin).post(TERMS_URL, new_term(other_district), format="json")

    assert response.status_code == 403
    assert term_rows() == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_other_roles_in_every_school_of_the_district_cannot_create_or_change_terms(
    role, school_a, school_b, district, term
):
    client = client_for(member(role, school_a, school_b))
    before = term_rows()
    state = term_state(term)

    created = client.post(TERMS_URL, new_term(district), format="json")
    patched = client.patch(detail_url(term), {"school_year": "2027-2028"}, format="json")

    assert created.status_code == 403
    assert patched.status_code == 403
    assert term_rows() == before
    assert term_state(term) == state


def test_district_administrator_changes_a_term(district_admin, term):
    response = client_for(district_admin).patch(
        detail_url(term),
        {"end_date": "2027-01-29", "holiday_weeks": ["2026-10-05"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["end_date"] == "2027-01-29"
    assert response.json()["holiday_weeks"] == ["2026-10-05"]
    assert term_state(term)["end_date"] == datetime.date(2027, 1, 29)
    assert term.holiday_weeks == ["2026-10-05"]
    assert term.code == "2026-autumn"


def test_platform_admin_changes_a_term(superuser, term):
    response = client_for(superuser).patch(detail_url(term), {"code": "2026-spring",
        "school_year": "2025-2026"}, format="json")  # fmt: skip

    assert response.status_code == 200
    assert term_state(term)["code"] == "2026-spring"


def test_admin_of_one_school_in_a_two_school_district_cannot_change_a_term(admin_a, school_b, term):
    state = term_state(term)
    history = Term.history.count()

    response = client_for(admin_a).patch(
        detail_url(term), {"end_date": "2027-01-29"}, format="json"
    )

    assert response.status_code == 403
    assert term_state(term) == state
    assert Term.history.count() == history


def test_outsider_changing_a_term_of_another_district_gets_404(school_c, term):
    outsider = member(Role.ADMINISTRATOR, school_c)
    state = term_state(term)

    response = client_for(outsider).patch(
        detail_url(term), {"end_date": "2027-01-29"}, format="json"
    )

    assert response.status_code == 404
    assert term_state(term) == state


def test_patching_the_district_answers_400_naming_it_and_changes_nothing(
    superuser, district, term, other_district
):
    state = term_state(term)

    response = client_for(superuser).patch(
        detail_url(term),
        {"district": other_district.code, "school_year": "2027-2028"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"district": ["A term cannot move to another district."]}
    term.refresh_from_db()
    assert term.district == district
    assert term_state(term) == state


def test_put_and_delete_are_not_allowed(district_admin, district, term):
    client = client_for(district_admin)
    before = term_rows()
    state = term_state(term)

    put = client.put(detail_url(term), new_term(district, code="2026-autumn"), format="json")
    delete = client.delete(detail_url(term))

    assert put.status_code == 405
    assert delete.status_code == 405
    assert term_rows() == before
    assert term_state(term) == state
