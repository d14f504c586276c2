"""A number filter too large for any column is bad input (400 naming it), never a 500."""

import pytest

from tests.conftest import client_for

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/compliance/", "term"),
        ("/api/v1/reports/", "term"),
        ("/api/v1/pairings/", "term"),
        ("/api/v1/assessments/", "term"),
        ("/api/v1/awards/", "term"),
        ("/api/v1/ledger/", "account"),
    ],
)
def test_a_number_too_large_for_the_database_answers_400(url, param, admin_a):
    response = client_for(admin_a).get(url, {param: HUGE})
    assert response.status_code == 400, (url, response.status_code)
    assert param in response.json()


def test_an_ordinary_number_still_filters(admin_a):
    assert client_for(admin_a).get("/api/v1/awards/", {"term": "12"}).status_code == 200
