"""/api/v1/terms/: holiday weeks kept sorted and once, bad values answered 400 naming the
field, codes unique in a district, and the list's query count.
"""

import datetime

import pytest

from mentoring.models import Role, Term
from tests.conftest import client_for
from tests.mentoring.terms.terms_scene import TERMS_URL, detail_url, new_term, term_rows, term_state
from workers.factories import DistrictFactory, SchoolFactory, TermFactory, member

# Holiday weeks


def test_holiday_weeks_are_deduplicated_and_sorted(district_admin, district):
    response = client_for(district_admin).post(
        TERMS_URL,
        new_term(district, holiday_weeks=["2027-05-03", "2027-04-05", "2027-05-03"]),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["holiday_weeks"] == ["2027-04-05", "2027-05-03"]
    assert Term.objects.get(code="2027-spring").holiday_weeks == ["2027-04-05", "2027-05-03"]


def test_holiday_weeks_given_on_patch_are_deduplicated_and_sorted(district_admin, term):
    response = client_for(district_admin).patch(
        detail_url(term),
        {"holiday_weeks": ["2026-10-05", "2026-09-28", "2026-10-05"]},
        format="json",
    )

    assert response.status_code == 200
    assert term_state(term)["holiday_weeks"] == ["2026-09-28", "2026-10-05"]


def test_holiday_week_starting_in_the_days_before_the_term_counts(district_admin, district):
    # The term starts on Wednesday 2027-02-24; its first week began on Monday the 22nd.
    response = client_for(district_admin).post(
        TERMS_URL,
        new_term(district, start_date="2027-02-24", holiday_weeks=["2027-02-22"]),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["holiday_weeks"] == ["2027-02-22"]


def test_term_without_holiday_weeks_is_created_with_none(district_admin, district):
    payload = new_term(district)
    del payload["holiday_weeks"]

    response = client_for(district_admin).post(TERMS_URL, payload, format="json")

    assert response.status_code == 201
    assert response.json()["holiday_weeks"] == []


# Validation


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "2027-summer"}, "code"),
        ({"code": "27-spring"}, "code"),
        ({"code": "spring-2027"}, "code"),
        ({"code": None}, "code"),
        ({"school_year": "2026-2028"}, "school_year"),
        ({"school_year": "2026/2027"}, "school_year"),
        ({"school_year": "2027-2026"}, "school_year"),
        ({"end_date": "2027-02-01"}, "end_date"),
        ({"end_date": "2027-02-22"}, "end_date"),
        ({"end_date": "2027-09-11"}, "end_date"),
        ({"start_date": "not a date"}, "start_date"),
        ({"end_date": "2027-02-30"}, "end_date"),
        ({"start_date": None}, "start_date"),
        ({"district": None}, "district"),
        ({"district": "NO-SUCH"}, "district"),
        ({"holiday_weeks": ["2027-04-06"]}, "holiday_weeks"),
        ({"holiday_weeks": ["2027-04-05", "2027-04-07"]}, "holiday_weeks"),
        ({"holiday_weeks": ["2027-02-15"]}, "holiday_weeks"),
        ({"holiday_weeks": ["2027-07-05"]}, "holiday_weeks"),
        ({"holiday_weeks": ["next week"]}, "holiday_weeks"),
        ({"holiday_weeks": ["2027-02-30"]}, "holiday_weeks"),
        ({"holiday_weeks": "2027-04-05"}, "holiday_weeks"),
    ],
    ids=[
        "summer-term",
        "short-year",
        "reversed-code",
        "missing-code",
        "school-year-not-consecutive",
        "school-year-wrong-separator",
        "school-year-backwards",
        "end-before-start",
        "end-equals-start",
        "longer-than-200-days",
        "start-not-a-date",
        "end-not-a-date",
        "missing-start",
        "missing-district",
        "unknown-district",
        "holiday-not-a-monday",
        "second-holiday-not-a-monday",
        "holiday-before-the-term",
        "holiday-after-the-term",
        "holiday-not-a-date",
        "holiday-impossible-date",
        "holiday-weeks-not-a-list",
    ],
)
def test_invalid_term_answers_400_naming_the_field_and_writes_nothing(
    district_admin, district, change, field
):
    payload = new_term(district)
    for key, value in change.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    before = term_rows()

    response = client_for(district_admin).post(
        TERMS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]
    assert term_rows() == before


def test_term_of_exactly_200_days_is_accepted(district_admin, district):
    start = datetime.date(2027, 2, 22)
    end = start + datetime.timedelta(days=200)

    response = client_for(district_admin).post(
        TERMS_URL,
        new_term(district, end_date=end.isoformat(), holiday_weeks=[]),
        format="json",
    )

    assert response.status_code == 201


def test_holiday_week_error_names_the_wrong_value(district_admin, district):
    response = client_for(district_admin).post(
        TERMS_URL,
        new_term(district, holiday_weeks=["2027-04-06"]),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {
        "holiday_weeks": ["2027-04-06 is not a Monday; give the Monday of each holiday week."]
    }


def test_duplicate_code_in_the_district_answers_400_naming_code(district_admin, district, term):
    before = term_rows()

    response = client_for(district_admin).post(
        TERMS_URL,
        new_term(
            district,
            code="2026-autumn",
            start_date="2026-09-01",
            end_date="2027-01-22",
            holiday_weeks=[],
        ),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert term_rows() == before


def test_same_code_in_another_district_is_allowed(superuser, term, other_district):
    response = client_for(superuser).post(
        TERMS_URL,
        new_term(
            other_district,
            code="2026-autumn",
            start_date="2026-09-01",
            end_date="2027-01-22",
            holiday_weeks=[],
        ),
        format="json",
    )

    assert response.status_code == 201
    assert Term.objects.filter(code="2026-autumn").count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "2026-winter"}, "code"),
        ({"school_year": "2026-2026"}, "school_year"),
        ({"end_date": "2026-08-01"}, "end_date"),
        ({"end_date": "2027-06-30"}, "end_date"),
        ({"start_date": "2026-09-31"}, "start_date"),
        ({"holiday_weeks": ["2026-09-29"]}, "holiday_weeks"),
        ({"holiday_weeks": ["2027-03-01"]}, "holiday_weeks"),
        ({"holiday_weeks": ["soon"]}, "holiday_weeks"),
        # The term's existing holiday week 2026-09-28 would fall before the new start.
        ({"start_date": "2026-10-12"}, "holiday_weeks"),
    ],
    ids=[
        "bad-code",
        "school-year-not-consecutive",
        "end-before-start",
        "longer-than-200-days",
        "start-not-a-date",
        "holiday-not-a-monday",
        "holiday-after-the-term",
        "holiday-not-a-date",
        "kept-holiday-now-outside",
    ],
)
def test_invalid_patch_answers_400_naming_the_field_and_changes_nothing(
    district_admin, term, change, field
):
    state = term_state(term)
    history = Term.history.count()

    response = client_for(district_admin).patch(
        detail_url(term), change, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert term_state(term) == state
    assert Term.history.count() == history


def test_patch_to_a_code_taken_in_the_district_answers_400_naming_code(
    district_admin, district, term
):
    spring = TermFactory(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 23),
        end_date=datetime.date(2026, 7, 3),
        holiday_weeks=[],
    )
    state = term_state(spring)

    response = client_for(district_admin).patch(
        detail_url(spring), {"code": "2026-autumn"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert term_state(spring) == state


# Query count


@pytest.mark.parametrize("n_terms", [5, 50])
def test_list_query_count_does_not_grow_with_terms(n_terms, django_assert_max_num_queries, db):
    districts = [DistrictFactory(), DistrictFactory()]
    viewer = member(Role.TEACHER, *[SchoolFactory(district=d) for d in districts])
    for n in range(n_terms):
        year = 2000 + n // 2
        TermFactory(
            district=districts[n % 2],
            code=f"{year}-{'spring' if n % 4 < 2 else 'autumn'}",
            school_year=f"{year - 1}-{year}",
            start_date=datetime.date(year, 3, 1),
            end_date=datetime.date(year, 7, 1),
        )
    client = client_for(viewer)

    # The count and the page, with the district joined in.
    with django_assert_max_num_queries(2):
        response = client.get(TERMS_URL, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.json()["results"]) == n_terms
