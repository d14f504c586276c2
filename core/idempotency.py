"""`Idempotency-Key`: a retried POST answers what the first one answered, and writes nothing.

A client that did not hear the answer to a POST (a dropped mobile connection
in a village school) sends it again with the same `Idempotency-Key` header.
The key is scoped to (user, scope, key) and stored with a SHA-256 of the
canonical JSON request body:

- the same key with the same body replays the stored answer, with the header
  `Idempotent-Replayed: true`, and writes nothing new;
- the same key with a different body answers 422 naming `Idempotency-Key`,
  because the client reused a key for another request by mistake;
- only 2xx answers are stored. A 400 is not, so the client can correct the
  request and retry with the same key;
- keys expire after `IDEMPOTENCY_KEY_TTL_HOURS` (24 by default): an older
  record is ignored and replaced.

Races: the request claims the key first, in a row of its own committed
before it runs (an insert that does nothing when the key is taken), so that
exactly one request runs under a key. It then runs and stores its answer in
one transaction, holding its claim's row lock: the write and the answer
commit together or not at all. A request that finds the key claimed and not
yet answered waits (polling, for at most `IDEMPOTENCY_WAIT_MS`) and replays
the answer; if there is none by then it answers 409 with the code
`idempotency_in_progress` and `Retry-After`, never the running request's own
outcome or an error about the record it is writing ("already paid"). A
request that fails gives its claim back, so a retry runs again; a claim
whose request died with its process (the database never saw it answer)
lapses after `IDEMPOTENCY_CLAIM_SECONDS` and is taken over by the next retry.

It is generic: any view method that handles a POST can be wrapped with
`@idempotent(scope="...")`.
"""

import functools
import hashlib
import json
import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.errors import Conflict, DomainError
from core.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
DEFAULT_TTL_HOURS = 24
# How often a request waiting for another one's answer looks again: from the
# first pause, doubling up to the longest.
FIRST_PAUSE, LONGEST_PAUSE = 0.02, 0.25


class IdempotencyKeyReused(DomainError):
    """The key was already used for a request with another body."""

    status_code = 422


class IdempotencyKeyInProgress(Conflict):
    """Another request with this key is still running; its answer will be replayed."""

    def __init__(self):
        super().__init__(
            _(
                "A request with this Idempotency-Key is still being processed. "
                "Send it again in a moment to get its answer."
            ),
            extra={"code": "idempotency_in_progress"},
        )
        self.retry_after = settings.IDEMPOTENCY_RETRY_AFTER


def key_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", DEFAULT_TTL_HOURS))


def request_fingerprint(data) -> str:
    """SHA-256 of the request body as canonical JSON (sorted keys, no spaces).

    Form and multipart bodies arrive as a QueryDict; every value is kept as a
    list so that a repeated field counts.
    """
    if hasattr(data, "lists"):
        data = {name: values for name, values in data.lists()}
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=JSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key:
        raise DomainError(_("The Idempotency-Key header must not be empty."), field=HEADER)
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            _("The Idempotency-Key header must be at most %(n)d characters.")
            % {"n": MAX_KEY_LENGTH},
            field=HEADER,
        )
    return key


def _claim(*, user, scope: str, key: str, fingerprint: str):
    """Claim the key for this request: (the key's record, whether this request holds it).

    The claim commits before the request runs, so every other request with the
    key sees it. An answer older than the TTL, and a claim older than
    IDEMPOTENCY_CLAIM_SECONDS that was never answered (its request died), are
    forgotten first. On PostgreSQL a claim whose request is still running is
    row-locked, so its deletion waits for that request and then finds it answered.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    claim = IdempotencyRecord(
        user=user, scope=scope, key=key, request_hash=fingerprint, claim=token
    )
    # Nearly always the key is new: one statement claims it, and says so.
    if _insert_unless_taken(claim):
        return claim, True
    # Taken: an answer past its TTL, or a claim whose request died, is forgotten
    # and the key claimed again; otherwise the record found is another request's.
    records = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A lapsed claim still locked by its request (hung, not dead: gthread
                # workers do not kill a slow request) is waited for no longer than a
                # request waits for an answer; then this one answers 409 "in progress".
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        [f"{max(settings.IDEMPOTENCY_WAIT_MS, 1)}ms"],
                    )
            lapsed = Q(created_at__lt=now - key_ttl()) | Q(
                status_code__isnull=True,
                created_at__lt=now - timedelta(seconds=settings.IDEMPOTENCY_CLAIM_SECONDS),
            )
            if records.filter(lapsed).delete()[0] and _insert_unless_taken(claim):
                return claim, True
    except OperationalError as exc:
        logger.warning("Idempotency key still locked by its request: %s", exc)
    return records.first(), False


def _insert_unless_taken(record: IdempotencyRecord) -> bool:
    """Insert the claim unless its key is taken (one statement, committed at once outside a
    transaction); True with `record.pk` set when it was inserted.

    `INSERT ... ON CONFLICT DO NOTHING RETURNING id`, on PostgreSQL and SQLite alike:
    Django's bulk_create does not say which rows an ignored conflict skipped.
    """
    meta = IdempotencyRecord._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(record, add=True), connection) for field in fields
    ]
    quote = connection.ops.quote_name
    # The conflict named: only the key's own uniqueness, never another index's.
    target = ", ".join(quote(meta.get_field(name).column) for name in ("user", "scope", "key"))
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING RETURNING {}".format(  # noqa: S608  # nosec B608
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
        target,
        quote(meta.pk.column),
    )
    with connection.cursor() as cursor:
        # The names come from the model; the values go as parameters.
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    record.pk = row[0]
    record._state.adding = False
    return True


def _run_claimed(record: IdempotencyRecord, run):
    """Run the request under its claim and store a 2xx answer with its writes; None if the
    claim was taken over meanwhile (the request then waits like any other)."""
    try:
        with transaction.atomic():
            held = (
                IdempotencyRecord.objects.select_for_update()
                .filter(pk=record.pk, claim=record.claim, status_code__isnull=True)
                .first()
            )
            if held is None:
                return None
            response = run()
            if 200 <= response.status_code < 300:
                body = json.loads(JSONRenderer().render(response.data) or b"null")
                IdempotencyRecord.objects.filter(pk=held.pk).update(
                    status_code=response.status_code, body=body
                )
            else:
                # Not stored: a retry with the key runs again.
                held.delete()
        return response
    except Exception:
        _release(record)
        raise


def _release(record: IdempotencyRecord) -> None:
    """Give back the claim of a request that failed, so that a retry runs again."""
    try:
        IdempotencyRecord.objects.filter(
            pk=record.pk, claim=record.claim, status_code__isnull=True
        ).delete()
    except DatabaseError as exc:
        # The database is what failed: the claim lapses after IDEMPOTENCY_CLAIM_SECONDS.
        logger.warning("Idempotency claim %s not released: %s", record.pk, exc)


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request."), field=HEADER
        )
    return Response(record.body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def once(*, user, scope: str, key: str, fingerprint: str, run) -> Response:
    """Run `run()` (answering a Response) at most once under (user, scope, key).

    The first request with the key runs and, on a 2xx answer, stores it with
    its writes; a request that finds the key answered replays that answer (a
    different `fingerprint` is refused, 422), and one that finds it still
    running waits for its answer (409 "in progress" past `IDEMPOTENCY_WAIT_MS`).
    The API's `@idempotent` views and the console's payment form both come here.
    """
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_MS / 1000
    pause = FIRST_PAUSE
    while True:
        record, mine = _claim(user=user, scope=scope, key=key, fingerprint=fingerprint)
        if mine:
            response = _run_claimed(record, run)
            if response is not None:
                return response
        elif record is not None and (
            record.status_code is not None or record.request_hash != fingerprint
        ):
            return _replay(record, fingerprint)
        # Claimed by a request that has not answered yet (or released
        # just now): look again shortly.
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgress()
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def idempotent(*, scope: str):
    """Make a view method that handles a POST safe to retry with an `Idempotency-Key`.

    Without the header the method runs as usual. With it, the method runs only
    under the key's claim, inside one transaction with the storing of its answer.
    """

    def decorator(method):
        @functools.wraps(method)
        def wrapper(view, request, *args, **kwargs):
            key = _key_from(request)
            if key is None:
                return method(view, request, *args, **kwargs)
            return once(
                user=request.user,
                scope=scope,
                key=key,
                fingerprint=request_fingerprint(request.data),
                run=lambda: method(view, request, *args, **kwargs),
            )

        return wrapper

    return decorator
