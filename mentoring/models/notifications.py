"""Notifications to users: stored, shown and sent by e-mail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mentoring.models.people import School


class NotificationKind(models.TextChoices):
    MISSED_WEEK = "missed_week", _("A week without tutoring")
    MISSED_STREAK = "missed_streak", _("Weeks missed in a row")
    LATE_AWARD = "late_award", _("Award not paid in time")


class Notification(models.Model):
    """A message to one user, stored (read in the API and on the page) and sent by e-mail.

    `key` names what the notification is about (kind, object, week); with the
    recipient it is unique, so a reminder is never sent twice for the same
    thing, even when two workers run the same check at once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    key = models.CharField(_("key"), max_length=200)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("school"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    # What it is about, for a link: e.g. {"pairing": 12, "week": "2026-W40"}.
    data = models.JSONField(_("data"), default=dict, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When the records stopped bearing the reminder out (its missed week was
    # met after all, by a session logged late); a resolved notification is
    # not unread, whether or not its recipient read it.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The one definition of "unread", for the API, the pages and their counts.
    UNREAD = Q(read_at__isnull=True, resolved_at__isnull=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"

    @property
    def unread(self) -> bool:
        return self.read_at is None and self.resolved_at is None
