"""projects/ at scale: a list in a fixed number of queries, and concurrent appropriations and
allocations (PostgreSQL) that never exceed the funding or award a student twice.
"""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from donations.models import Allocation, Award, FundAccount
from donations.services.projects import appropriation_receive, project_save
from tests.conftest import client_for
from tests.donations.projects.project_scene import (
    PROJECTS,
    approved,
    detail,
    make_project,
    receive,
    received_of,
)
from workers.factories import UserFactory, member

pytestmark = pytest.mark.django_db


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
