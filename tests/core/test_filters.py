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


def test_an_ordinary_number_still_filters(admin_a, school_a, district):
    from donations.models import AidProject, FundSource
    from donations.services.awards import award_create
    from donations.services.ledger import fund_account_of, ledger_post
    from workers.factories import StudentFactory, TermFactory

    project = AidProject.objects.create(
        district=district, code="P", name="p", source=FundSource.PROVINCIAL, purpose="x"
    )
    # An award promises money the project's account holds.
    ledger_post(
        account_id=fund_account_of(project).pk, kind="appropriation", amount_fen=20_000, by=None
    )
    autumn = TermFactory(district=district)
    spring = TermFactory(district=district, code="2027-spring")
    for term in (autumn, spring):
        award_create(
            by=admin_a,
            project_id=project.pk,
            student_id=StudentFactory(school=school_a).pk,
            term_id=term.pk,
            amount_fen=10_000,
        )
    response = client_for(admin_a).get("/api/v1/awards/", {"term": str(autumn.pk)})
    assert response.status_code == 200
    assert [row["term"] for row in response.json()["results"]] == [autumn.code]
