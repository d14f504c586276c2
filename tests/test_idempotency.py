"""`Idempotency-Key`: a retried POST replays the first answer and writes nothing new."""

import datetime
import threading

import pytest
from django.db import connection
from rest_framework import status
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from mentoring.idempotency import idempotent, request_fingerprint
from mentoring.models import IdempotencyRecord, SessionKind, Subject, TutoringSession
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.test_api_pairings import World, build_world, clock  # noqa: F401

SESSIONS_URL = "/api/v1/sessions/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    return build_world()


def new_session(w: World, **overrides) -> dict:
    payload = {
        "pairing": w.owned.pk,
        "date": "2026-11-18",
        "minutes": 45,
        "subject": Subject.MATH,
        "kind": SessionKind.TUTORING,
        "content": "阅读理解练习",
    }
    payload.update(overrides)
    return payload


def post(client, payload, key, **extra):
    return client.post(SESSIONS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


# Through the sessions endpoint


def test_a_retry_with_the_same_key_replays_the_first_answer_and_writes_nothing(world):
    client = client_for(world.owner)

    first = post(client, new_session(world), "retry-1")
    second = post(client, new_session(world), "retry-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.json()["id"] == first.json()["id"]
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert TutoringSession.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_the_same_body_with_keys_in_another_order_is_the_same_request(world):
    client = client_for(world.owner)
    payload = new_session(world)

    first = post(client, payload, "reordered")
    second = post(client, dict(reversed(list(payload.items()))), "reordered")

    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert TutoringSession.objects.count() == 1


def test_the_same_key_with_another_body_answers_422(world):
    client = client_for(world.owner)
    post(client, new_session(world), "reused")

    response = post(client, new_session(world, minutes=90), "reused", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 422
    assert response.json() == {
        "Idempotency-Key": ["This Idempotency-Key was already used for a different request."]
    }
    assert TutoringSession.objects.count() == 1
    assert TutoringSession.objects.get().minutes == 45


def test_a_refused_request_is_not_stored_so_a_corrected_retry_with_the_key_works(world):
    client = client_for(world.owner)

    refused = post(client, new_session(world, minutes=0), "corrected")
    corrected = post(client, new_session(world), "corrected")

    assert refused.status_code == 400
    assert "minutes" in refused.json()
    assert corrected.status_code == 201
    assert TutoringSession.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_without_the_header_every_post_writes(world):
    client = client_for(world.owner)

    client.post(SESSIONS_URL, new_session(world), format="json")
    client.post(SESSIONS_URL, new_session(world), format="json")

    assert TutoringSession.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_keys_belong_to_their_user(world):
    owner = post(client_for(world.owner), new_session(world), "shared-key")
    volunteer = post(
        client_for(world.volunteer),
        new_session(world, pairing=world.volunteers.pk, kind="home_visit"),
        "shared-key",
    )

    assert owner.status_code == volunteer.status_code == 201
    assert owner.json()["id"] != volunteer.json()["id"]
    assert TutoringSession.objects.count() == 2


def test_a_key_longer_than_200_characters_answers_400(world):
    response = post(client_for(world.owner), new_session(world), "k" * 201)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert TutoringSession.objects.count() == 0


def test_a_key_of_exactly_200_characters_is_accepted(world):
    response = post(client_for(world.owner), new_session(world), "k" * 200)

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 200


def test_a_blank_key_answers_400(world):
    response = post(client_for(world.owner), new_session(world), "   ")

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert TutoringSession.objects.count() == 0


def test_a_key_older_than_the_ttl_is_ignored_and_replaced(world, clock, settings):  # noqa: F811
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    client = client_for(world.owner)
    first = post(client, new_session(world), "old-key")
    clock.return_value = clock.return_value + datetime.timedelta(hours=24, minutes=1)

    second = post(client, new_session(world, minutes=30), "old-key")

    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert TutoringSession.objects.count() == 2
    record = IdempotencyRecord.objects.get()
    assert record.body["id"] == second.json()["id"]


def test_a_key_within_the_ttl_still_replays(world, clock):  # noqa: F811
    client = client_for(world.owner)
    first = post(client, new_session(world), "fresh-key")
    clock.return_value = clock.return_value + datetime.timedelta(hours=23, minutes=59)

    second = post(client, new_session(world), "fresh-key")

    assert second.json()["id"] == first.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"


def test_a_replay_shows_the_first_answer_even_after_the_session_changed(world):
    client = client_for(world.owner)
    first = post(client, new_session(world), "stable")
    client.patch(f"{SESSIONS_URL}{first.json()['id']}/", {"minutes": 20}, format="json")

    second = post(client, new_session(world), "stable")

    assert second.json()["minutes"] == 45
    assert TutoringSession.objects.count() == 1


# The helper on its own: any view's POST can use it


class EchoView(APIView):
    """Counts its calls, so a test sees whether the wrapped method ran."""

    calls = 0

    @idempotent(scope="echo")
    def post(self, request):
        EchoView.calls += 1
        if request.data.get("fail"):
            return Response({"fail": ["asked to"]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"echo": request.data, "call": EchoView.calls}, status=202)


def _echo(user, body, key):
    request = APIRequestFactory().post("/echo/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    force_authenticate(request, user=user)
    response = EchoView.as_view()(request)
    response.render()
    return response


@pytest.mark.django_db
def test_the_helper_stores_any_2xx_and_scopes_keys():
    user = UserFactory()
    EchoView.calls = 0

    first = _echo(user, {"a": 1}, "k1")
    second = _echo(user, {"a": 1}, "k1")

    assert first.status_code == second.status_code == 202
    assert second.data == {"echo": {"a": 1}, "call": 1}
    assert EchoView.calls == 1
    assert IdempotencyRecord.objects.get().scope == "echo"


@pytest.mark.django_db
def test_the_helper_does_not_store_a_non_2xx_answer():
    user = UserFactory()
    EchoView.calls = 0

    refused = _echo(user, {"fail": True}, "k2")
    again = _echo(user, {"fail": True}, "k2")

    assert refused.status_code == again.status_code == 400
    assert EchoView.calls == 2
    assert IdempotencyRecord.objects.count() == 0


def test_the_fingerprint_is_canonical_json():
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})
    assert request_fingerprint({"n": "张三"}) != request_fingerprint({"n": "张四"})
    assert len(request_fingerprint({})) == 64


# Concurrency


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_write_one_session_and_both_answer_it(clock):  # noqa: F811
    w = build_world()
    payload = new_session(w)
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait()
            response = post(client_for(w.owner), payload, "concurrent")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [code for code, _ in answers] == [201, 201]
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert TutoringSession.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
