"""The terms' tests' world: the fixtures' district and its term, another district with a
school and a term, and helpers that read terms back.
"""

import pytest

from mentoring.models import Term
from workers.factories import DistrictFactory, SchoolFactory, TermFactory, UserFactory

TERMS_URL = "/api/v1/terms/"


def detail_url(term) -> str:
    return f"{TERMS_URL}{term.pk}/"


def term_codes(response) -> set[tuple[str, str]]:
    return {(row["district"], row["code"]) for row in response.json()["results"]}


def new_term(district, **overrides) -> dict:
    payload = {
        "district": district.code,
        "code": "2027-spring",
        "school_year": "2026-2027",
        "start_date": "2027-02-22",
        "end_date": "2027-07-02",
        "holiday_weeks": ["2027-04-05"],
    }
    payload.update(overrides)
    return payload


def term_rows() -> tuple[int, int]:
    return Term.objects.count(), Term.history.count()


def term_state(term) -> dict:
    term.refresh_from_db()
    return {
        "code": term.code,
        "school_year": term.school_year,
        "start_date": term.start_date,
        "end_date": term.end_date,
        "holiday_weeks": term.holiday_weeks,
    }


@pytest.fixture
def superuser(db):
    return UserFactory(username="platform.root", is_superuser=True, is_staff=True)


@pytest.fixture
def term(district):
    """2026-autumn of the fixtures' district, with two holiday weeks."""
    return TermFactory(district=district)


@pytest.fixture
def other_district(db):
    return DistrictFactory(code="D-OTHER", name="Other district")


@pytest.fixture
def school_c(other_district):
    return SchoolFactory(district=other_district)


@pytest.fixture
def other_term(other_district):
    return TermFactory(district=other_district)
