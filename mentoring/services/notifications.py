"""Notifications: written in both languages, e-mailed once, marked read by their recipient.

Each write is one conditional UPDATE limited to the recipient's own rows, so a
notification of another user is never touched and marking twice is harmless.
"""

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation

from mentoring.models import Notification, User

logger = logging.getLogger(__name__)

# A notification whose e-mail failed is retried by later runs for this long.
EMAIL_RETRY_PERIOD = datetime.timedelta(days=7)
# The languages every notification is written in, Chinese first.
LANGUAGES = ("zh-hans", "en")


def notification_mark_read(*, by: User, notification_id: int) -> bool:
    """Mark one of `by`'s notifications read; False when it is not theirs (or does not exist)."""
    mine = Notification.objects.filter(recipient=by, pk=notification_id)
    if mine.filter(read_at__isnull=True).update(read_at=timezone.now()):
        return True
    return mine.exists()


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of `by` read; answers how many were unread."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def both_languages(render) -> tuple[str, str]:
    """Subject and body in Chinese and in English: the user model has no language of its own."""
    parts = []
    for code in LANGUAGES:
        with translation.override(code):
            parts.append(render())
    return _joined(parts)


def both_languages_filler(subject: str, body: str):
    """`both_languages` for many notifications of one kind: the source texts (marked with
    gettext_noop) are translated once in each language, and the function returned fills
    them with one notification's parameters, giving what `both_languages` would."""
    translated = []
    for code in LANGUAGES:
        with translation.override(code):
            translated.append((translation.gettext(subject), translation.gettext(body)))

    def fill(params: dict) -> tuple[str, str]:
        return _joined([(subject % params, body % params) for subject, body in translated])

    return fill


def _joined(parts) -> tuple[str, str]:
    (zh_subject, zh_body), (en_subject, en_body) = parts
    subject = zh_subject if zh_subject == en_subject else f"{zh_subject} / {en_subject}"
    body = zh_body if zh_body == en_body else f"{zh_body}\n\n---\n\n{en_body}"
    return subject[:200], body


def notifications_send_pending(
    *, kinds: Iterable[str], now: datetime.datetime | None = None
) -> int:
    """E-mail the notifications of `kinds` not yet mailed, each once; answers how many were sent.

    The rows are claimed first (locked with SKIP LOCKED and marked mailed in
    one transaction), so a concurrent check skips them, and only then sent.
    If the mail server fails, the claim is undone for a later check to retry.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                emailed_at__isnull=True,
                kind__in=list(kinds),
                created_at__gte=now - EMAIL_RETRY_PERIOD,
            )
            .exclude(recipient__email="")
            .values_list("pk", "recipient__email", "subject", "body")
            .order_by("pk")
        )
        if not claimed:
            return 0
        Notification.objects.filter(pk__in=[row[0] for row in claimed]).update(emailed_at=now)
    messages = [
        EmailMessage(subject=subject, body=body, to=[email], from_email=settings.DEFAULT_FROM_EMAIL)
        for _pk, email, subject, body in claimed
    ]
    try:
        with get_connection() as connection:
            sent = connection.send_messages(messages) or 0
    except Exception:
        logger.exception("Sending %d reminder e-mails failed; a later check retries.", len(claimed))
        Notification.objects.filter(pk__in=[row[0] for row in claimed], emailed_at=now).update(
            emailed_at=None
        )
        return 0
    return sent
