"""Every filter the OpenAPI schema names filters; every other query parameter answers 400.

The test walks `/api/schema/`: each list endpoint (a GET answering a
paginated list) and each query parameter it documents, pagination aside.
`ROWS` (tests/project/filter_rows.py) holds, per endpoint and parameter, a
builder that makes one row the filter must keep and one it must drop, and the
value to filter by. A new list endpoint or filter without a builder there fails
`test_every_documented_filter_has_a_row_builder`, so a filter cannot be
added to the schema without being shown to filter.
"""

from functools import cache

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import client_for
from tests.project.filter_builders import _two_students, award, ids
from tests.project.filter_rows import ROW_KEY, ROWS
from tests.write_world import World

PAGINATION = {"page", "page_size"}


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _paginated(operation: dict) -> bool:
    content = operation["responses"].get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    component = schema()["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return "results" in component.get("properties", {})


def list_endpoints() -> dict[str, set[str]]:
    """Each list path of the schema and the filter parameters it documents."""
    return {
        path: {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
        - PAGINATION
        for path, item in schema()["paths"].items()
        if "get" in item and _paginated(item["get"])
    }


def documented_filters() -> list[tuple[str, str]]:
    return sorted((path, name) for path, names in list_endpoints().items() for name in names)


def test_every_documented_filter_has_a_row_builder():
    assert set(documented_filters()) == set(ROWS)


def test_the_filters_the_issue_found_ignored_are_documented():
    filters = list_endpoints()
    assert "student" in filters["/api/v1/awards/"]
    assert "student" in filters["/api/v1/assessments/"]
    assert "award" in filters["/api/v1/disbursements/"]


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


@pytest.mark.parametrize(("path", "param"), documented_filters())
def test_each_documented_filter_keeps_the_matching_row_and_drops_the_other(path, param, world):
    case = ROWS[(path, param)](world)
    client = client_for(case.user or world.root)

    everything = client.get(path, {"page_size": 1000})
    filtered = client.get(path, {param: case.value, "page_size": 1000})

    assert everything.status_code == 200, everything.content
    assert filtered.status_code == 200, filtered.content
    key = ROW_KEY.get(path, "id")
    # Both rows are visible without the filter, so the filter is what drops one.
    assert {case.keep, case.drop} <= ids(everything.json()["results"], key)
    listed = ids(filtered.json()["results"], key)
    assert case.keep in listed
    assert case.drop not in listed


def _concrete(path, world):
    if "{id}" in path:
        return path.replace("{id}", str(world.run.pk))
    return path


@pytest.mark.parametrize("path", sorted(list_endpoints()))
def test_an_unknown_query_parameter_answers_400_naming_it(path, world):
    client = client_for(world.root)

    response = client.get(_concrete(path, world), {"colour": "red", "page_size": 5})

    assert response.status_code == 400, (path, response.status_code, response.content)
    assert list(response.json()) == ["colour"]


def test_unknown_parameters_and_bad_values_are_named_together(world):
    response = client_for(world.root).get(
        "/api/v1/awards/", {"student_id": "1", "sort": "x", "status": "lost"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"student_id", "sort", "status"}


def test_pagination_and_format_are_known(world):
    response = client_for(world.root).get(
        "/api/v1/awards/", {"page": 1, "page_size": 10, "format": "json"}
    )

    assert response.status_code == 200, response.content


def test_a_filter_in_the_issue_no_longer_answers_everything(world):
    a, b = _two_students(world)
    kept, dropped = award(world, student=a), award(world, student=b)

    response = client_for(world.root).get("/api/v1/awards/", {"student": a.pk})

    assert [row["id"] for row in response.json()["results"]] == [kept.pk]
    assert dropped.pk != kept.pk
