"""Notifications as their recipient handles them: marked read, one or all.

Each write is one conditional UPDATE limited to the recipient's own rows, so a
notification of another user is never touched and marking twice is harmless.
"""

from django.utils import timezone

from mentoring.models import Notification, User


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
