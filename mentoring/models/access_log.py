"""Who read or exported which students' records."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentoring.models.students import Student


class AccessAction(models.TextChoices):
    LIST = "list", _("Listed")
    READ = "read", _("Read")
    EXPORT = "export", _("Exported")


class AccessLogEntry(models.Model):
    """One request that served students' records: who, what, when and from where.

    Append-only: the database refuses to change or delete a row (migration
    `access_log`, core.append_only). It holds ids only: no name, no query
    string, nothing a reader of the log could not already look up with the
    right to do so. The students the request served are its
    AccessLogStudent rows, so "who read this child" is one indexed query.

    The user and the students are kept as plain ids (no database
    constraint, nothing done on delete): deleting an account or a student
    neither erases nor is blocked by what the log says about them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the index on (user, at) below starts with the user
        related_name="+",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    # The model name of what was served: "student", "pairing", "report", ...
    object_kind = models.CharField(_("kind of record"), max_length=50)
    # The record read or exported; empty for a list.
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=300)
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["at"], name="accesslog_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values), name="accesslog_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_kind}"


class AccessLogStudent(models.Model):
    """One student whose record an access log entry served."""

    entry = models.ForeignKey(
        AccessLogEntry, on_delete=models.PROTECT, related_name="students", verbose_name=_("entry")
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique index below starts with the student
        related_name="+",
        verbose_name=_("student"),
    )

    class Meta:
        verbose_name = _("student in an access log entry")
        verbose_name_plural = _("students in access log entries")
        constraints = [
            models.UniqueConstraint(fields=["student", "entry"], name="accesslog_student_once"),
        ]

    def __str__(self):
        return f"{self.entry_id}: {self.student_id}"
