"""Swagger as a new user meets it (issue 17, item 6): one way to authorize, grouped by area."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from config.docs import AREAS, OTHER


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_authorize_dialog_offers_the_bearer_token_only(schema):
    # A token pasted in a cookie box was sent as a cookie, and the call went out anonymous.
    assert schema["components"]["securitySchemes"] == {
        "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for path, method, operation in _operations(schema):
        for requirement in operation.get("security", []):
            assert set(requirement) <= {"jwtAuth"}, (method, path)


def test_operations_are_grouped_by_area_of_work(schema):
    tags = {path: operation["tags"] for path, _, operation in _operations(schema)}

    assert all(len(t) == 1 for t in tags.values())
    assert tags["/api/v1/auth/token/"] == ["accounts"]
    assert tags["/api/v1/students/"] == ["students & identification"]
    assert tags["/api/v1/sessions/{id}/"] == ["mentoring"]
    assert tags["/api/v1/match-runs/{id}/approve/"] == ["mentoring"]
    assert tags["/api/v1/awards/"] == ["aid & money"]
    assert tags["/api/v1/pledges/"] == ["donations"]
    assert tags["/api/v1/reports/{id}/export/"] == ["reports & jobs"]
    assert tags["/api/v1/complaints/"] == ["oversight"]


def test_every_operation_has_an_area_and_the_areas_come_in_order_with_a_description(schema):
    # A new resource missing from config.docs.AREAS would land in "other".
    used = {t[0] for _, _, operation in _operations(schema) for t in [operation["tags"]]}
    declared = [tag["name"] for tag in schema["tags"]]

    assert OTHER not in used
    assert declared == [name for name, _description, _resources in AREAS]
    assert set(declared) == used
    assert all(tag["description"] for tag in schema["tags"])


@pytest.mark.django_db
def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
