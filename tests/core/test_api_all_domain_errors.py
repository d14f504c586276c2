"""Every field the domain refuses, in one answer, on every write operation.

tests/core/test_api_all_errors.py sends values of the wrong type, which the
serializers refuse together. Here each value is well typed but wrong in the
domain: an id nobody knows, a date in 2099, an amount of 0, a blank text, a
flipped yes/no. Each is first sent alone, on the operation's otherwise valid
request (tests/write_operations.py), to learn whether the API refuses it;
then all of them are sent at once. That request must answer 400 naming
exactly the fields refused alone, so that the user fixes them all in one
round trip, and it must write nothing. A value answered 403 alone (a school
the user does not administer) is refused outright, like a user who may not
act at all, and is left out of the request with every wrong value.
"""

import copy
import re

import pytest
from django.db import transaction

from tests.project.test_api_write_contract import (
    build,
    database_state,
    request_schema,
    resolve,
    send,
)
from tests.write_operations import OPERATIONS
from tests.write_world import World

UNKNOWN_ID = 999_999
# Integers that count rather than name a record: 0 of them is wrong. (999,999
# books is wrong too, but only against the stock of a known item kind.)
COUNTS = {"quantity", "capacity", "min_mentees", "places", "minutes", "instalment"}
FAR_FUTURE = "2099-01-01"
BLANK = "   "


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


def _schema_of(node: dict) -> dict:
    """The schema of a property, through `$ref`, `allOf` and nullable `oneOf`."""
    node = resolve(node)
    for option in node.get("oneOf", []):
        option = resolve(option)
        if option.get("enum") not in ([None], [""]) and option.get("type") != "null":
            return option
    return node


def domain_wrong(value, node: dict, *, multipart: bool, name: str = ""):
    """`value` made wrong for the domain but of the same type; `value` itself if no such value.

    Choices are kept: another choice is often right, and changes what the other
    fields must be. A file is kept too (its rows have their own tests).
    """
    node = _schema_of(node)
    kind = node.get("type")
    if "enum" in node or node.get("format") == "binary" or value is None:
        return value
    if kind == "array" and isinstance(value, list):
        return [
            domain_wrong(item, node.get("items", {}), multipart=multipart, name=name)
            for item in value
        ]
    if kind == "object" and isinstance(value, dict):
        properties = node.get("properties", {})
        return {
            key: domain_wrong(item, properties.get(key, {}), multipart=multipart, name=key)
            for key, item in value.items()
        }
    if kind == "integer":
        wrong = 0 if name in COUNTS else UNKNOWN_ID
        return str(wrong) if multipart else wrong
    if kind == "boolean":
        flipped = not (value is True or str(value).lower() == "true")
        return str(flipped).lower() if multipart else flipped
    if node.get("format") == "date":
        return FAR_FUTURE
    if node.get("format") == "decimal" or (isinstance(value, str) and _is_amount(value)):
        return "0.00"
    if kind == "string":
        return BLANK
    return value


def _is_amount(text: str) -> bool:
    return re.fullmatch(r"-?\d+\.\d\d", text) is not None


def named_fields(response) -> set[str]:
    """The request fields an answer names; `instalments[2].due_on` names `instalments`."""
    return {re.split(r"[.\[]", str(key), maxsplit=1)[0] for key in response.json()}


def _rewind(body: dict) -> None:
    for value in body.values():
        if hasattr(value, "seek"):
            value.seek(0)


def send_undone(call, body):
    """Send `body`, then undo whatever it wrote, so that the next request starts alike."""
    _rewind(body)
    try:
        with transaction.atomic():
            response = send(call, body)
            raise _Undo(response)
    except _Undo as undo:
        return undo.response


class _Undo(Exception):
    def __init__(self, response):
        self.response = response


def wrong_values(key: str, call) -> dict:
    properties = request_schema(key).get("properties", {})
    multipart = call.format == "multipart"
    wrong = {}
    for name, value in call.body.items():
        node = properties.get(name)
        if node is None or resolve(node).get("readOnly"):
            continue
        bad = domain_wrong(
            copy.deepcopy(value) if not multipart else value, node, multipart=multipart, name=name
        )
        if bad != value:
            wrong[name] = bad
    return wrong


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_every_field_the_domain_refuses_comes_in_one_answer(key, world):
    call = build(key, world)
    wrong = wrong_values(key, call)
    if not wrong:
        pytest.skip(f"{key} takes no field that can be wrong in the domain")
    fields = set(request_schema(key).get("properties", {}))

    refused_alone, outright = {}, set()
    for name, value in wrong.items():
        response = send_undone(call, {**call.body, name: value})
        if response.status_code == 403:
            # Not the user's to name (a school they do not administer): refused
            # outright, as a user who may not act at all is, so not in the union.
            assert name in named_fields(response), (key, name, response.json())
            outright.add(name)
        elif response.status_code >= 400:
            assert response.status_code == 400, (key, name, response.status_code, response.json())
            refused_alone[name] = named_fields(response) & fields
    if not refused_alone:
        pytest.skip(f"{key} accepts each of {sorted(set(wrong) - outright)} alone")
    expected = set().union(*refused_alone.values())
    wrong = {name: value for name, value in wrong.items() if name not in outright}
    before = database_state()

    _rewind(call.body)
    response = send(call, {**call.body, **wrong})

    assert response.status_code == 400, (key, response.status_code, response.json())
    assert named_fields(response) & fields == expected, (key, refused_alone, response.json())
    assert database_state() == before
