"""`Idempotency-Key`: a retried POST answers what the first one answered, and writes nothing.

A client that did not hear the answer to a POST (a dropped mobile connection
in a village school) sends it again with the same `Idempotency-Key` header.
The first successful answer (status and JSON body) is stored under
(user, scope, key) together with a SHA-256 of the canonical JSON request body:

- the same key with the same body replays the stored answer, with the header
  `Idempotent-Replayed: true`, and writes nothing new;
- the same key with a different body answers 422 naming `Idempotency-Key`,
  because the client reused a key for another request by mistake;
- only 2xx answers are stored. A 400 is not, so the client can correct the
  request and retry with the same key;
- two identical requests at the same moment both run, but the answer is
  stored in the same transaction as the write, so the unique constraint on
  (user, scope, key) lets one commit; the other rolls back its write and
  replays the winner's answer;
- keys expire after `IDEMPOTENCY_KEY_TTL_HOURS` (24 by default): an older
  record is ignored and replaced.

It is generic: any view method that handles a POST can be wrapped with
`@idempotent(scope="...")`.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from mentoring.errors import DomainError
from mentoring.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
DEFAULT_TTL_HOURS = 24


class IdempotencyKeyReused(DomainError):
    """The key was already used for a request with another body."""

    status_code = 422


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


def _live_record(*, user, scope: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        user=user, scope=scope, key=key, created_at__gte=timezone.now() - key_ttl()
    ).first()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request."), field=HEADER
        )
    return Response(record.body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def idempotent(*, scope: str):
    """Make a view method that handles a POST safe to retry with an `Idempotency-Key`.

    Without the header the method runs as usual. The method runs inside one
    transaction with the storing of its answer, so a write whose answer could
    not be stored (a concurrent duplicate won) is rolled back.
    """

    def decorator(method):
        @functools.wraps(method)
        def wrapper(view, request, *args, **kwargs):
            key = _key_from(request)
            if key is None:
                return method(view, request, *args, **kwargs)
            user = request.user
            fingerprint = request_fingerprint(request.data)
            record = _live_record(user=user, scope=scope, key=key)
            if record is not None:
                return _replay(record, fingerprint)
            try:
                with transaction.atomic():
                    # An expired record is ignored; it is replaced by this answer.
                    IdempotencyRecord.objects.filter(
                        user=user, scope=scope, key=key, created_at__lt=timezone.now() - key_ttl()
                    ).delete()
                    response = method(view, request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        body = json.loads(JSONRenderer().render(response.data) or b"null")
                        IdempotencyRecord.objects.create(
                            user=user,
                            scope=scope,
                            key=key,
                            request_hash=fingerprint,
                            status_code=response.status_code,
                            body=body,
                        )
            except IntegrityError:
                # A concurrent request with the same key committed first: its
                # answer stands, and this request's write has been rolled back.
                record = _live_record(user=user, scope=scope, key=key)
                if record is None:
                    raise
                return _replay(record, fingerprint)
            return response

        return wrapper

    return decorator
