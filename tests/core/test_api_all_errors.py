"""Every field error in one answer, on every write operation, and nothing written.

For each write operation of the schema (tests/write_operations.py has a
request each accepts), a body with every field of the request wrong in its
type (a word for a number, a date or a choice; a list for a text; and so on)
answers 400 naming each field, and changes no row. Then the checks that only
the services can make (an id outside the user's scope, a date in the future,
minutes out of range) are shown to come in one answer too, alongside the
serializer's: the user fixes every field in one round trip.
"""

import datetime

import pytest
from django.utils import timezone

from mentoring.models import TutoringSession
from tests.conftest import client_for
from tests.project.test_api_write_contract import (
    build,
    database_state,
    request_schema,
    resolve,
    send,
)
from tests.write_operations import OPERATIONS
from tests.write_world import World


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return World(django_capture_on_commit_callbacks)


def _type_of(node: dict) -> dict:
    """The schema of a property, through `$ref`, `allOf` and nullable `oneOf`."""
    node = resolve(node)
    for option in node.get("oneOf", []):
        option = resolve(option)
        if option.get("enum") not in ([None], [""]) and option.get("type") != "null":
            return option
    return node


def wrong_value(node: dict, *, multipart: bool):
    """A value no field of this schema type accepts."""
    node = _type_of(node)
    kind = node.get("type")
    if kind in ("integer", "number", "boolean", "array", "object") or "enum" in node:
        return "not-a-value"
    if node.get("format") in ("date", "date-time", "decimal", "binary", "uuid", "email"):
        return "not-a-value"
    # A plain text: a list is not one (a multipart form carries only text).
    return "not-a-value" if multipart else ["not", "a", "text"]


def wrong_body(key: str, call) -> dict:
    multipart = call.format == "multipart"
    properties = request_schema(key).get("properties", {})
    return {
        name: wrong_value(node, multipart=multipart)
        for name, node in properties.items()
        if not resolve(node).get("readOnly")
    }


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_a_body_with_every_field_wrong_is_answered_with_every_field_named(key, world):
    call = build(key, world)
    body = wrong_body(key, call)
    if not body:
        pytest.skip(f"{key} takes no field")
    before = database_state()

    response = send(call, body)

    assert response.status_code == 400, (key, response.status_code, response.content)
    assert set(body) <= set(response.json()), (key, sorted(body), response.json())
    assert database_state() == before


# The services' own checks, together with the serializer's.


def test_a_session_with_minutes_0_a_date_in_2099_and_an_unknown_pairing_names_all_three(world):
    mentor = world.pairing.mentor.user
    body = {
        "pairing": 999_999,
        "date": "2099-01-01",
        "minutes": 0,
        "subject": "math",
        "kind": "tutoring",
        "content": "分数",
    }

    response = client_for(mentor).post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"pairing", "date", "minutes"}
    assert not TutoringSession.objects.exists()


def test_a_session_wrong_in_every_way_the_service_checks_names_every_field(world):
    mentor = world.pairing.mentor.user
    body = {
        "pairing": world.pairing.pk,
        # Before the pairing started, though inside the term.
        "date": (world.pairing.started_on - datetime.timedelta(days=1)).isoformat(),
        "minutes": 30,
        "subject": "",
        "kind": "tutoring",
        "content": "   ",
    }

    response = client_for(mentor).post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 400
    # A tutoring session needs its subject; blank content; the date.
    assert set(response.json()) == {"date", "subject", "content"}
    assert not TutoringSession.objects.exists()


def test_a_session_edit_names_every_field_the_service_refuses(world):
    session = world.session
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = client_for(session.pairing.mentor.user).patch(
        f"/api/v1/sessions/{session.pk}/",
        {"date": tomorrow, "kind": "tutoring", "subject": "", "content": " ", "minutes": 0},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"date", "subject", "content", "minutes"}
    session.refresh_from_db()
    assert session.date != tomorrow and session.minutes != 0


@pytest.mark.parametrize("amount", ["0.00", "1.00"])
def test_a_contribution_wrong_in_every_field_names_them_all(world, amount):
    from donations.models import Contribution

    body = {
        "donor": 999_999,
        "project": 999_999,
        "amount": amount,
        "received_on": "2099-01-01",
        "pledge": 999_999,
    }
    before = database_state()

    response = client_for(world.root).post("/api/v1/contributions/", body, format="json")

    assert response.status_code == 400
    named = {"donor", "project", "received_on", "pledge"} | (
        {"amount"} if amount == "0.00" else set()
    )
    assert set(response.json()) == named
    assert database_state() == before
    assert not Contribution.objects.exists()


def test_a_pairing_wrong_in_every_field_names_them_all(world):
    from mentoring.models import Pairing

    body = {
        "student": 999_999,
        "mentor": 999_999,
        "term": 999_999,
        "kind": "academic",
        "reason": "   ",
    }
    before = Pairing.objects.count()

    response = client_for(world.root).post("/api/v1/pairings/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"student", "mentor", "term", "reason"}
    assert Pairing.objects.count() == before


def test_a_pairing_refused_by_its_serializer_and_its_service_names_both(world):
    body = {
        "student": world.student().pk,
        "mentor": 999_999,
        "term": world.term.pk,
        "kind": "friendship",
        "reason": "结对",
        "started_on": world.day(365),
    }

    response = client_for(world.root).post("/api/v1/pairings/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"mentor", "kind", "started_on"}
