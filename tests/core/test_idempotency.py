"""`Idempotency-Key`: a retried POST replays the first answer and writes nothing new."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import OperationalError, connections
from rest_framework import status
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.idempotency import idempotent, request_fingerprint
from core.models import IdempotencyRecord
from donations.models import Disbursement, LedgerEntry, LedgerKind
from mentoring.models import SessionKind, Subject, TutoringSession
from tests.conftest import client_for
from tests.donations.test_api_awards import AWARDS, PAY, award_body, pay_body, scene  # noqa: F401
from tests.mentoring.pairings.pairing_world import World, build_world, clock  # noqa: F401
from workers.factories import UserFactory

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


# Claims: a key is run by one request at a time


def claimed(w: World, key: str, payload: dict, *, claim="another-request") -> IdempotencyRecord:
    """The key as claimed by a request that has not answered yet."""
    return IdempotencyRecord.objects.create(
        user=w.owner,
        scope="sessions",
        key=key,
        request_hash=request_fingerprint(payload),
        claim=claim,
    )


def test_a_key_claimed_by_a_running_request_answers_409_in_progress(world, settings):
    settings.IDEMPOTENCY_WAIT_MS = 0
    settings.IDEMPOTENCY_RETRY_AFTER = 2
    claimed(world, "running", new_session(world))

    response = post(
        client_for(world.owner), new_session(world), "running", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 409
    assert response.headers["Retry-After"] == "2"
    assert response.json() == {
        "detail": "A request with this Idempotency-Key is still being processed. "
        "Send it again in a moment to get its answer.",
        "code": "idempotency_in_progress",
    }
    assert TutoringSession.objects.count() == 0


def test_the_in_progress_answer_is_translated(world, settings):
    settings.IDEMPOTENCY_WAIT_MS = 0
    claimed(world, "running", new_session(world))

    response = post(client_for(world.owner), new_session(world), "running")

    assert response.status_code == 409
    assert "仍在处理中" in response.json()["detail"]


def test_a_key_claimed_for_another_body_answers_422_at_once(world, settings):
    settings.IDEMPOTENCY_WAIT_MS = 10_000
    claimed(world, "running", new_session(world))

    response = post(client_for(world.owner), new_session(world, minutes=90), "running")

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()


def test_a_claim_never_answered_lapses_and_the_retry_runs(world, clock, settings):  # noqa: F811
    settings.IDEMPOTENCY_CLAIM_SECONDS = 60
    settings.IDEMPOTENCY_WAIT_MS = 0
    claimed(world, "orphan", new_session(world))
    clock.return_value = clock.return_value + datetime.timedelta(seconds=61)

    response = post(client_for(world.owner), new_session(world), "orphan")

    assert response.status_code == 201
    assert TutoringSession.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.body["id"]) == (201, response.json()["id"])
    assert record.claim != "another-request"


def test_a_request_that_fails_gives_its_claim_back(world):
    client = client_for(world.owner)

    with mock.patch(
        "mentoring.services.sessions.session_log",
        side_effect=OperationalError("server closed the connection"),
    ):
        down = post(client, new_session(world), "after-outage")
    retried = post(client, new_session(world), "after-outage")

    assert down.status_code == 503
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert TutoringSession.objects.count() == 1


# Concurrency: the same key sent 20 times at once


def race(n: int, send) -> list[tuple[int, dict, dict]]:
    """Send `n` requests at once, each on its own database connection."""
    barrier = threading.Barrier(n)
    answers = []

    def run():
        try:
            barrier.wait()
            response = send()
            answers.append((response.status_code, response.json(), response.headers))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == n
    return answers


def assert_one_answer_replayed_to_all(answers) -> dict:
    """Every answer is the one 201 (run once, replayed to the others) or the in-progress 409."""
    created = [(body, headers) for code, body, headers in answers if code == 201]
    waiting = [(body, headers) for code, body, headers in answers if code == 409]
    assert len(created) + len(waiting) == len(answers), [code for code, _, _ in answers]
    assert created
    first = created[0][0]
    assert all(body == first for body, _ in created)
    assert sum("Idempotent-Replayed" not in headers for _, headers in created) == 1
    for body, headers in waiting:
        assert body["code"] == "idempotency_in_progress"
        assert int(headers["Retry-After"]) > 0
    return first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_sessions_with_one_key_write_one_and_answer_it(clock):  # noqa: F811
    w = build_world()
    payload = new_session(w)

    answers = race(20, lambda: post(client_for(w.owner), payload, "concurrent"))

    first = assert_one_answer_replayed_to_all(answers)
    assert list(TutoringSession.objects.values_list("pk", flat=True)) == [first["id"]]
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.body) == (201, first)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_payments_with_one_key_pay_once_and_answer_it(scene):  # noqa: F811
    admin = scene["admin"]
    award = client_for(admin).post(AWARDS, award_body(scene), format="json").json()

    answers = race(
        20,
        lambda: client_for(admin).post(
            PAY, pay_body(award["id"]), format="json", HTTP_IDEMPOTENCY_KEY="pay-once"
        ),
    )

    first = assert_one_answer_replayed_to_all(answers)
    assert list(Disbursement.objects.values_list("pk", flat=True)) == [first["id"]]
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1
    assert IdempotencyRecord.objects.get(scope="disbursements").status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lapsed_claim_still_locked_by_a_hung_request_is_waited_for_only_briefly(settings):
    """gthread workers do not kill a slow request: its claim's row lock is waited for no
    longer than IDEMPOTENCY_WAIT_MS, and the key is then seen as still in progress."""
    import time

    from django.db import connection, transaction
    from django.utils import timezone

    from core.idempotency import _claim

    settings.IDEMPOTENCY_WAIT_MS = 300
    user = UserFactory()
    held = IdempotencyRecord.objects.create(
        user=user, scope="sessions", key="k-1", request_hash="h", claim="hung"
    )
    # Older than IDEMPOTENCY_CLAIM_SECONDS: lapsed, as a dead request's claim would be.
    IdempotencyRecord.objects.filter(pk=held.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    locked, release = threading.Event(), threading.Event()

    def hung_request():
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=hung_request)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        record, mine = _claim(user=user, scope="sessions", key="k-1", fingerprint="h")
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(20)

    assert not mine and record.claim == "hung" and record.status_code is None
    assert waited < 3, waited
