"""Who may import a roster into which school and term, and an import's fixed query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import Role, Student
from tests.conftest import client_for
from tests.mentoring.roster.roster_scene import (
    HEADERS,
    csv_file,
    errors_of,
    roster_row,
    row_counts,
    send,
)
from workers.factories import DistrictFactory, SchoolFactory, TermFactory, UserFactory, member

# Permissions


def test_anonymous_import_answers_401(api, school_a, term):
    response = send(api, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 401
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VOLUNTEER, Role.DONOR, Role.SUPERVISOR])
def test_non_administrators_cannot_import(role, school_a, term):
    client = client_for(member(role, school_a))

    response = send(client, csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 403
    assert row_counts() == (0, 0, 0)


def test_colleague_administrator_of_the_same_school_imports(school_a, term, admin_a):
    colleague = member(Role.ADMINISTRATOR, school_a)

    response = send(client_for(colleague), csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 200
    assert Student.objects.get().history.get().history_user == colleague


def test_platform_administrator_imports_into_any_school(school_a, term):
    root = UserFactory(is_superuser=True, is_staff=True)

    response = send(client_for(root), csv_file([roster_row(1, school_a)]), term)

    assert response.status_code == 200
    assert row_counts() == (1, 1, 2)


def test_admin_of_school_b_gets_row_errors_for_school_a_rows(admin_b, school_a, school_b, term):
    rows = [roster_row(1, school_b), roster_row(2, school_a), roster_row(3, school_a)]

    response = send(client_for(admin_b), csv_file(rows), term)

    assert response.status_code == 400
    assert errors_of(response) == [(3, "学校代码"), (4, "学校代码")]
    assert row_counts() == (0, 0, 0)


def test_foreign_school_code_is_answered_like_one_that_does_not_exist(
    admin_b, school_a, school_b, term
):
    rows = [roster_row(1, school_a), roster_row(2, school_b, 学校代码="NO-SUCH")]

    response = send(client_for(admin_b), csv_file(rows), term)

    foreign, missing = response.json()["errors"]
    assert foreign["message"] == missing["message"]
    assert school_a.name not in response.content.decode()


def test_outsider_choosing_a_school_it_does_not_administer_is_refused(admin_b, school_a, term):
    headers = [header for header in HEADERS if header != "学校代码"]

    foreign = send(
        client_for(admin_b),
        csv_file([roster_row(1, school_a)], headers=headers),
        term,
        school=school_a,
    )
    missing_school = SchoolFactory.build(pk=987654)
    missing = send(
        client_for(admin_b),
        csv_file([roster_row(1, school_a)], headers=headers),
        term,
        school=missing_school,
    )

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert "school" in foreign.json()
    assert row_counts() == (0, 0, 0)


def test_term_of_another_district_is_refused_like_a_missing_one(admin, school_a):
    other_term = TermFactory(district=DistrictFactory())

    response = send(admin, csv_file([roster_row(1, school_a)]), other_term)

    assert response.status_code == 400
    assert "term" in response.json()
    assert row_counts() == (0, 0, 0)


# Query count


def _queries_for_import(client, rows, term) -> int:
    with CaptureQueriesContext(connection) as context:
        response = send(client, csv_file(rows), term)
    assert response.status_code == 200, response.json()
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_rows(district, term):
    school_small, school_large = SchoolFactory(district=district), SchoolFactory(district=district)
    client = client_for(member(Role.ADMINISTRATOR, school_small, school_large))
    # One indicator per row: SQLite takes at most 999 parameters per query,
    # so two per row would split the 50-row insert into two batches.
    small = [roster_row(n, school_small, 贫困类型="低保") for n in range(1, 6)]
    large = [roster_row(n, school_large, 贫困类型="低保") for n in range(100, 150)]

    created_small = _queries_for_import(client, small, term)
    created_large = _queries_for_import(client, large, term)
    small = [{**row, "年级": "4", "贫困类型": "监测户"} for row in small]
    large = [{**row, "年级": "4", "贫困类型": "监测户"} for row in large]
    updated_small = _queries_for_import(client, small, term)
    updated_large = _queries_for_import(client, large, term)

    assert Student.objects.count() == 55
    assert created_small == created_large
    assert updated_small == updated_large
    # On SQLite each new table's rows take two statements (the first row alone,
    # for its key, then the rest with executemany): 21 in all, whatever the rows.
    assert created_large <= 21
