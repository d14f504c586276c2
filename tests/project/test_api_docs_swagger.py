"""Swagger as a new user meets it (issue 17, item 6): one way to authorize, grouped by resource."""

import pytest
from drf_spectacular.generators import SchemaGenerator


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


def test_operations_are_grouped_by_resource_not_by_version(schema):
    tags = {path: operation["tags"] for path, _, operation in _operations(schema)}

    assert all(len(t) == 1 and t[0] != "v1" for t in tags.values())
    assert tags["/api/v1/students/"] == ["students"]
    assert tags["/api/v1/sessions/{id}/"] == ["sessions"]
    assert tags["/api/v1/pledges/"] == ["pledges"]
    assert len({t[0] for t in tags.values()}) > 20


@pytest.mark.django_db
def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
