"""A district, school, term or aid project is taken by its code wherever its id is (issue 17).

Answers show codes (`"project": "BOARDING-2026"`), and a donor sent the code
back and got 400. The OpenAPI schema is walked, so that a field or a filter
added later is checked too: each request field and list filter named
`district`, `school`, `term`, `project` or `schools` must take an id or a
code (core.codes), and each is tried both ways on the write operations'
world (tests/write_operations.py): the code is accepted where the id is, and
an unknown code answers 400 naming the field, together with the other bad
fields, and writes nothing.
"""

import pytest
from django.urls import reverse

from donations.models import AidProject
from mentoring.models import District, School, Term
from tests.conftest import client_for
from tests.project.test_api_write_contract import (
    build,
    database_state,
    request_schema,
    resolve,
    schema,
    send,
)
from tests.write_operations import OPERATIONS
from tests.write_world import World
from workers.factories import DistrictFactory, TermFactory

MODELS = {
    "district": District,
    "school": School,
    "schools": School,
    "term": Term,
    "project": AidProject,
}

# Fields that take a code only, and why; everything else named in MODELS must take both.
CODE_ONLY = {
    # Public pages' lists, read without an account: a code is what a notice shows.
    ("GET /api/v1/public/notices/", "school"): "public, anonymous",
    ("GET /api/v1/public/donations/", "district"): "public, anonymous",
}


def _takes_id_or_code(node: dict) -> bool:
    kinds = {resolve(option).get("type") for option in resolve(node).get("oneOf", [])}
    return kinds == {"integer", "string"}


def body_fields() -> list[tuple[str, str]]:
    """(operation, field) for every writable request field that names one of MODELS."""
    found = []
    for path, item in schema()["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            key = f"{method.upper()} {path}"
            for name, node in request_schema(key).get("properties", {}).items():
                if name in MODELS and not node.get("readOnly"):
                    found.append((key, name))
    return sorted(found)


def query_fields() -> list[tuple[str, str]]:
    found = []
    for path, item in schema()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in MODELS:
                    found.append((f"{method.upper()} {path}", parameter["name"]))
    return sorted(found)


def _node(key: str, name: str) -> dict:
    node = request_schema(key)["properties"][name]
    node = resolve(node)
    return resolve(node["items"]) if node.get("type") == "array" else node


def test_every_request_field_naming_a_record_takes_its_id_or_its_code():
    fields = body_fields()
    assert len(fields) > 40
    wrong = [(key, name) for key, name in fields if not _takes_id_or_code(_node(key, name))]
    assert wrong == []


def test_every_filter_naming_a_record_takes_its_id_or_its_code():
    parameters = query_fields()
    assert len(parameters) > 40
    wrong = []
    for key, name in parameters:
        if (key, name) in CODE_ONLY:
            continue
        method, path = key.split(" ", 1)
        operation = schema()["paths"][path][method.lower()]
        [parameter] = [p for p in operation["parameters"] if p["name"] == name]
        if not _takes_id_or_code(parameter["schema"]):
            wrong.append((key, name))
    assert wrong == []


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


def _code_of(name: str, value):
    if isinstance(value, list):
        return [_code_of(name, item) for item in value]
    if isinstance(value, str) and not value.isdigit():
        return value
    return MODELS[name].objects.get(pk=int(value)).code


def _id_of(name: str, value):
    if isinstance(value, list):
        return [_id_of(name, item) for item in value]
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return value
    return MODELS[name].objects.get(code=value).pk


WRITTEN = [(key, name) for key, name in body_fields() if key in OPERATIONS]


def test_every_request_field_naming_a_record_is_tried_here():
    # A write operation without a request in tests/write_operations.py is
    # caught by the write contract's own test; here, each of its fields is tried.
    assert {key for key, _ in body_fields()} <= set(OPERATIONS)


@pytest.mark.parametrize(("key", "name"), WRITTEN)
def test_a_code_is_accepted_where_the_id_is(key, name, world):
    call = build(key, world)
    if name not in call.body:
        pytest.skip(f"{key}: its request leaves {name} out")
    call.body = {**call.body, name: _code_of(name, call.body[name])}

    response = send(call)

    assert 200 <= response.status_code < 300, (key, response.status_code, response.content)


@pytest.mark.parametrize(("key", "name"), WRITTEN)
def test_an_id_is_accepted_where_the_code_is(key, name, world):
    call = build(key, world)
    if name not in call.body:
        pytest.skip(f"{key}: its request leaves {name} out")
    call.body = {**call.body, name: _id_of(name, call.body[name])}

    response = send(call)

    assert 200 <= response.status_code < 300, (key, response.status_code, response.content)


@pytest.mark.parametrize(("key", "name"), WRITTEN)
def test_an_unknown_code_is_named_with_every_other_bad_field_and_nothing_is_written(
    key, name, world
):
    call = build(key, world)
    unknown = ["NO-SUCH-CODE"] if isinstance(call.body.get(name), list) else "NO-SUCH-CODE"
    body = {**call.body, name: unknown, "not_a_field": "x"}
    before = database_state()

    response = send(call, body)

    assert response.status_code == 400, (key, response.status_code, response.content)
    errors = response.json()
    assert {name, "not_a_field"} <= set(errors), errors
    assert "NO-SUCH-CODE" in str(errors[name])
    assert database_state() == before


def _query_call(key: str, world) -> tuple:
    """A user who may read the list, and the parameters it needs besides the one tried."""
    method, path = key.split(" ", 1)
    operation = schema()["paths"][path][method.lower()]
    required = {
        p["name"]: p
        for p in operation.get("parameters", [])
        if p.get("required") and p["in"] == "query"
    }
    url = path
    if "{id}" in path:
        pytest.skip(f"{key} lists under a record")
    params = {}
    for parameter in required:
        if parameter in MODELS:
            params[parameter] = _world_record(parameter, world).pk
        elif parameter == "format":
            params["format"] = "csv"
        else:
            pytest.fail(f"{key} needs {parameter}: teach this test to give it")
    return world.root, url, params


def _world_record(name: str, world):
    return {
        "district": world.district,
        "school": world.school,
        "schools": world.school,
        "term": world.term,
        "project": world.project,
    }[name]


READ = [(key, name) for key, name in query_fields() if (key, name) not in CODE_ONLY]


@pytest.mark.parametrize(("key", "name"), READ)
def test_a_filter_answers_the_same_for_the_code_as_for_the_id(key, name, world):
    user, url, params = _query_call(key, world)
    record = _world_record(name, world)
    if key == "GET /api/v1/rosters/upward/" and name != "district":
        # The upward roster is of one school or of one district.
        params["school"] = world.school.pk
    client = client_for(user)

    by_id = client.get(url, {**params, name: record.pk})
    by_code = client.get(url, {**params, name: record.code})

    assert by_id.status_code == 200, (key, by_id.status_code, by_id.content)
    assert by_code.status_code == 200, (key, by_code.status_code, by_code.content)
    if by_id["Content-Type"].startswith("application/json"):
        assert by_code.json() == by_id.json()


@pytest.mark.parametrize(("key", "name"), READ)
def test_a_filter_with_an_unknown_code_answers_400_naming_it(key, name, world):
    user, url, params = _query_call(key, world)
    client = client_for(user)

    response = client.get(url, {**params, name: "NO-SUCH-CODE"})

    assert response.status_code == 400, (key, response.status_code, response.content)
    assert "NO-SUCH-CODE" in str(response.json()[name])


def test_a_code_outside_the_users_reach_answers_like_one_that_does_not_exist(world):
    # A term of another district: its code is looked up only among the terms
    # of the teacher's district, so the answer names it as unknown.
    elsewhere = School.objects.create(
        code="ELSEWHERE",
        name="别处",
        level="primary",
        district=District.objects.create(code="OTHER-D", name="别县"),
    )
    Term.objects.create(
        district=elsewhere.district,
        code="only-there",
        school_year=world.term.school_year,
        start_date=world.term.start_date,
        end_date=world.term.end_date,
    )
    teacher = world.mentor.user
    client = client_for(teacher)

    foreign = client.get(reverse("pairing-list"), {"term": "only-there"})
    missing = client.get(reverse("pairing-list"), {"term": "never-was"})

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["term"] == [
        message.replace("never-was", "only-there") for message in missing.json()["term"]
    ]


def test_a_code_two_reachable_records_share_asks_for_the_id(world):
    # A platform administrator reaches every district, and each may have its `2026-autumn`.
    TermFactory(district=DistrictFactory(), code=world.term.code)
    client = client_for(world.root)

    body = client.post(
        "/api/v1/reports/", {"term": world.term.code, "school": world.school.code}, format="json"
    )
    listed = client.get("/api/v1/reports/", {"term": world.term.code})

    assert body.status_code == 400
    assert "term" in body.json() and world.term.code in str(body.json()["term"])
    # A filter lists what matches in every district the user reaches, with no question.
    assert listed.status_code == 200
