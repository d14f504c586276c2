"""Every write operation of the OpenAPI schema, bent: nothing may be ignored, nothing may 500.

For each POST, PUT and PATCH of `/api/schema/` (the login endpoints aside),
`tests/write_operations.py` holds a request the API accepts. Here each is sent
as it is (2xx), then

- with an unknown field and every field the answer shows but the request may
  not set (id, created_at, district after creation, ...): 400 naming each one,
  and not a row written or changed;
- with every integer in it (ids, nested ids, lists of ids) one past a 64-bit
  column: 400 naming each field, nothing written, on SQLite and PostgreSQL;
- with each integer at the largest 64-bit value, one at a time: refused as
  unknown or out of range, never a 500.

The schema itself must bound every integer of a request, path ids too large
for any column answer 404, and integer query parameters never answer 500.
"""

import copy
from functools import cache

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from core.bounds import BIGINT_MAX
from tests.conftest import client_for
from tests.write_operations import OPERATIONS
from tests.write_world import World

TOO_BIG = BIGINT_MAX + 1
HUGE_PATH_ID = "99999999999999999999"
WRITE_METHODS = ("post", "put", "patch")
# Login and token refresh are the authentication's own (simplejwt) endpoints.
NOT_HERE = ("/api/v1/auth/",)


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = schema()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        return resolve(node["allOf"][0])
    return node


def operation(key: str) -> dict:
    method, path = key.split(" ", 1)
    return schema()["paths"][path][method.lower()]


def request_schema(key: str) -> dict:
    content = operation(key).get("requestBody", {}).get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        if media_type in content:
            return resolve(content[media_type]["schema"])
    return {"type": "object", "properties": {}}


def response_fields(key: str) -> set[str]:
    for code, response in operation(key)["responses"].items():
        if code.startswith("2") and "application/json" in response.get("content", {}):
            return set(resolve(response["content"]["application/json"]["schema"])["properties"])
    return set()


def write_operations() -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in schema()["paths"].items()
        for method in item
        if method in WRITE_METHODS and not path.startswith(NOT_HERE)
    }


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def database_state() -> dict[str, list[str]]:
    """Every row of every table, so that a refused update is seen to change nothing."""
    return {
        model._meta.label: sorted(
            repr(sorted((name, _plain(value)) for name, value in row.items()))
            for row in model._default_manager.values()
        )
        for model in apps.get_models()
    }


def send(call, body=None):
    client = client_for(call.user)
    method = getattr(client, call.method.lower())
    return method(call.url, call.body if body is None else body, format=call.format)


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


def build(key: str, world):
    call = OPERATIONS[key](world)
    call.method = key.split(" ", 1)[0]
    return call


def integer_positions(value, node, path=()):
    """Paths (tuples of keys and indexes) to the integers of `value` that `node` types as such.

    Optional integer properties the body leaves out are included at the top
    level, so that every id field of the request is tried.
    """
    node = resolve(node)
    kind = node.get("type")
    if kind == "integer" or _takes_an_id(node):
        yield path
    elif kind == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from integer_positions(item, node["items"], (*path, index))
    elif kind == "object" and isinstance(value, dict):
        for name, child in node.get("properties", {}).items():
            if child.get("readOnly"):
                continue
            if name in value:
                yield from integer_positions(value[name], child, (*path, name))
            elif not path and (
                resolve(child).get("type") == "integer" or _takes_an_id(resolve(child))
            ):
                yield (name,)


def _takes_an_id(node: dict) -> bool:
    """An id-or-code field (core.codes): its id is an integer like any other."""
    return any(resolve(option).get("type") == "integer" for option in node.get("oneOf", []))


def with_value(body: dict, path: tuple, value) -> dict:
    body = copy.copy(body)
    target = body
    for key in path[:-1]:
        target[key] = copy.copy(target[key])
        target = target[key]
    target[path[-1]] = value
    return body


def test_every_write_operation_of_the_schema_has_a_request_here():
    assert write_operations() == set(OPERATIONS)


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_the_request_of_each_operation_is_accepted(key, world):
    call = build(key, world)

    response = send(call)

    assert 200 <= response.status_code < 300, (key, response.status_code, response.content)


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_unknown_and_read_only_fields_are_refused_by_name_and_nothing_is_written(key, world):
    call = build(key, world)
    refused = {"not_a_field"} | (response_fields(key) - set(request_schema(key)["properties"]))
    body = {**call.body, **{name: "1" if call.format == "multipart" else 1 for name in refused}}
    before = database_state()

    response = send(call, body)

    assert response.status_code == 400, (key, response.status_code, response.content)
    assert refused <= set(response.json()), (key, response.json())
    assert database_state() == before


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_integers_too_large_for_any_column_are_refused_by_name(key, world):
    call = build(key, world)
    positions = list(integer_positions(call.body, request_schema(key)))
    if not positions:
        pytest.skip(f"{key} takes no integer")
    body = call.body
    for path in positions:
        body = with_value(body, path, str(TOO_BIG) if call.format == "multipart" else TOO_BIG)
    before = database_state()

    response = send(call, body)

    assert response.status_code == 400, (key, response.status_code, response.content)
    assert {path[0] for path in positions} <= set(response.json()), (key, response.json())
    assert database_state() == before


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_integers_at_the_largest_64_bit_value_never_answer_500(key, world):
    call = build(key, world)
    body = call.body
    for path in integer_positions(body, request_schema(key)):
        value = str(BIGINT_MAX) if call.format == "multipart" else BIGINT_MAX
        if call.format == "multipart":
            call = build(key, world)  # a file can be read only once
            body = call.body

        response = send(call, with_value(body, path, value))

        assert response.status_code < 500, (key, path, response.content)
        assert response["Content-Type"].startswith("application/json"), (key, path)


def request_integers(node, seen=None):
    """Every integer schema reachable from a request schema."""
    seen = set() if seen is None else seen
    if "$ref" in node:
        if node["$ref"] in seen:
            return
        seen.add(node["$ref"])
    node = resolve(node)
    if node.get("type") == "integer":
        yield node
    for child in node.get("properties", {}).values():
        if not child.get("readOnly"):
            yield from request_integers(child, seen)
    if "items" in node:
        yield from request_integers(node["items"], seen)
    if isinstance(node.get("additionalProperties"), dict):
        yield from request_integers(node["additionalProperties"], seen)


def test_the_schema_bounds_every_integer_of_every_request():
    unbounded = []
    for key in sorted(write_operations()):
        for integer in request_integers(request_schema(key)):
            if not (
                integer.get("maximum", BIGINT_MAX + 1) <= BIGINT_MAX
                and integer.get("minimum", -BIGINT_MAX - 1) >= -BIGINT_MAX
            ):
                unbounded.append((key, integer))
    assert unbounded == []


def all_operations():
    return [
        (method, path, item[method])
        for path, item in schema()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_an_id_too_large_for_any_column_in_the_path_answers_404(world):
    client = client_for(world.root)
    answers = {}
    for method, path, _op in all_operations():
        if "{" not in path:
            continue
        url = path.replace("{id}", HUGE_PATH_ID).replace("{objection_id}", HUGE_PATH_ID)
        url = url.replace("{proposal_id}", HUGE_PATH_ID).replace("{member_id}", HUGE_PATH_ID)
        answers[(method, path)] = getattr(client, method)(url, {}, format="json").status_code
    assert {key: code for key, code in answers.items() if code != 404} == {}


def test_integer_query_parameters_too_large_never_answer_500(world):
    client = client_for(world.root)
    failures = {}
    for method, path, op in all_operations():
        if method != "get" or "{" in path:
            continue
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query" and resolve(parameter["schema"]).get("type") == "integer":
                response = client.get(path, {parameter["name"]: HUGE_PATH_ID})
                if response.status_code >= 500:
                    failures[(path, parameter["name"])] = response.status_code
    assert failures == {}
