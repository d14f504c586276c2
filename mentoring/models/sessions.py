"""Tutoring sessions and the weekly compliance of each pairing."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.pairings import Mentor, Pairing
from mentoring.models.people import School, Term
from mentoring.models.students import Subject


class SessionKind(models.TextChoices):
    TUTORING = "tutoring", _("Tutoring")
    HOME_VISIT = "home_visit", _("Home visit")
    COUNSELLING = "counselling", _("Counselling")
    MATERIAL_HELP = "material_help", _("Material help")


class TutoringSession(models.Model):
    """One logged activity of a pairing's mentor: tutoring, home visit, counselling, help."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("pairing")
    )
    date = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    content = models.TextField(_("content"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("tutoring session")
        verbose_name_plural = _("tutoring sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=600), name="session_minutes_1_600"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.minutes} min"


class WeeklyCompliance(models.Model):
    """One school week of one academic pairing: what was logged and whether the target was met.

    Written by the weekly check (and refreshed after a session of a past week
    is logged, edited or deleted); one row per pairing and ISO week, never two.
    The school, mentor and term are copied from the pairing so that the
    figures per school and per mentor are read without a join.
    """

    # A county's term is 400,000 rows written at once, so each row writes as
    # little as it can (issue 18): the pairing's and the term's own indexes
    # would repeat the leading column of the unique constraint and of the
    # indexes below. Every key stays checked by the database, though the term,
    # school and mentor are the pairing's, copied in the statement that writes
    # the row: dropping those checks saved seconds at commit, but a bad row
    # must be impossible, not merely unlikely.
    pairing = models.ForeignKey(
        Pairing,
        on_delete=models.CASCADE,
        related_name="weeks",
        verbose_name=_("pairing"),
        db_index=False,
    )
    term = models.ForeignKey(
        Term,
        on_delete=models.PROTECT,
        related_name="compliance_weeks",
        verbose_name=_("term"),
        db_index=False,
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="compliance_weeks",
        verbose_name=_("school"),
    )
    mentor = models.ForeignKey(
        Mentor,
        on_delete=models.PROTECT,
        related_name="compliance_weeks",
        verbose_name=_("mentor"),
    )
    # The Monday of the week, and its ISO year and week number.
    week_start = models.DateField(_("week starting"))
    iso_year = models.PositiveSmallIntegerField(_("ISO year"))
    iso_week = models.PositiveSmallIntegerField(_("ISO week"))
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=0)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    home_visits = models.PositiveSmallIntegerField(_("home visits"), default=0)
    target_sessions = models.PositiveSmallIntegerField(_("weekly target (sessions)"), default=1)
    met = models.BooleanField(_("target met"), default=False)
    # Weeks missed in a row up to and including this one (0 when met).
    missed_streak = models.PositiveSmallIntegerField(_("missed weeks in a row"), default=0)
    checked_at = models.DateTimeField(_("checked at"), auto_now=True)

    class Meta:
        ordering = ["term", "school", "mentor", "pairing", "week_start"]
        verbose_name = _("weekly compliance")
        verbose_name_plural = _("weekly compliance")
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "iso_year", "iso_week"], name="compliance_one_per_pairing_week"
            ),
        ]
        indexes = [
            models.Index(fields=["term", "school", "week_start"]),
            models.Index(fields=["term", "mentor", "week_start"]),
        ]

    def __str__(self):
        return f"{self.pairing_id} {self.iso_year}-W{self.iso_week:02d}: {self.met}"
