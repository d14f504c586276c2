"""Identification of hardship: indicators, assessments, their events and objections."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.people import Term
from mentoring.models.students import Student


class HardshipKind(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Extreme poverty support (特困供养/五保)")
    ORPHAN = "orphan", _("Orphan or de facto unsupported child")
    PARENT_DECEASED = "parent_deceased", _("One parent deceased")
    BOTH_PARENTS_DECEASED = "both_parents_deceased", _("Both parents deceased")
    DISABLED_PARENT = "disabled_parent", _("Disabled parent")
    DISABLED_STUDENT = "disabled_student", _("Disabled student")
    LONG_TERM_ILLNESS = "long_term_illness", _("Long-term illness in the family")
    DISASTER = "disaster", _("Disaster or sudden misfortune")
    REGISTERED_POVERTY = "registered_poverty", _("Registered or formerly poor household")
    MONITORED_HOUSEHOLD = "monitored_household", _("Monitored household")
    MARTYR_CHILD = "martyr_child", _("Child of a martyr")
    DISABLED_SOLDIER_CHILD = "disabled_soldier_child", _("Child of a disabled soldier")
    OTHER = "other", _("Other")


class IndicatorSource(models.TextChoices):
    FAMILY_APPLICATION = "family_application", _("Family application")
    HOME_VISIT = "home_visit", _("Home visit")
    GOVERNMENT_LIST = "government_list", _("Government list")
    ROSTER = "roster", _("Roster import")


class HardshipIndicator(models.Model):
    """One hardship circumstance of a student, dated and with where it is known from."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("student")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=HardshipKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=IndicatorSource.choices)
    recorded_on = models.DateField(_("recorded on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["student", "-recorded_on"]
        verbose_name = _("hardship indicator")
        verbose_name_plural = _("hardship indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "kind", "source", "recorded_on"], name="indicator_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_source_display()}, {self.recorded_on})"


class AssessmentRoute(models.TextChoices):
    APPLICATION = "application", _("Application and review")
    GOVERNMENT_LIST = "government_list", _("Government list")
    # The second term's re-check of an identification that holds for the school year.
    RECHECK = "recheck", _("Re-check of the school year's identification")


class RecheckChange(models.TextChoices):
    """What a re-check records about an identification carried from an earlier term."""

    LEFT = "left", _("The student left the school")
    CIRCUMSTANCES = "circumstances", _("The family's circumstances changed")


class AssessmentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Application submitted")
    INVESTIGATED = "investigated", _("Investigated by the class teacher")
    CLASS_REVIEWED = "class_reviewed", _("Reviewed by the class review group")
    SCHOOL_REVIEWED = "school_reviewed", _("Reviewed by the school")
    PUBLICIZED = "publicized", _("Under public notice")
    PROPOSED = "proposed", _("Proposed from a government list")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Assessment(models.Model):
    """The identification (认定) of one student's need, made in one term.

    The allowed transitions live in `mentoring.services.identification`; each is
    recorded as an AssessmentEvent. `tier` is a code of the district's tiers, or
    `not_in_hardship` (不困难), which is an outcome too.

    An approved identification holds for the rest of its school year
    (`mentoring.selectors.school_year`); a later term's re-check (route
    `recheck`, `carried_from` the identification it re-checks) changes it
    through the same workflow. A re-check of a student who left approves with
    a blank tier: nothing is in force any more.
    """

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("student")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("term")
    )
    route = models.CharField(
        _("route"),
        max_length=20,
        choices=AssessmentRoute.choices,
        default=AssessmentRoute.APPLICATION,
    )
    status = models.CharField(_("status"), max_length=20, choices=AssessmentStatus.choices)
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="rechecks",
        null=True,
        blank=True,
        verbose_name=_("re-check of"),
    )
    change = models.CharField(_("change"), max_length=20, choices=RecheckChange.choices, blank=True)
    tier = models.CharField(_("tier"), max_length=30, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The family's written commitment (承诺书), which replaces certificates.
    commitment = models.TextField(_("written commitment"), blank=True)
    government_category = models.CharField(
        _("government list category"), max_length=30, choices=HardshipKind.choices, blank=True
    )
    # Need score used to rank approved students (higher is needier).
    need_score = models.PositiveIntegerField(_("need score"), default=0)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="assessment_unique_per_term"),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="assessment_status_valid"
            ),
            # A re-check names what it re-checks and what changed; nothing else does.
            models.CheckConstraint(
                condition=(
                    Q(route=AssessmentRoute.RECHECK, carried_from__isnull=False) & ~Q(change="")
                )
                | (~Q(route=AssessmentRoute.RECHECK) & Q(carried_from__isnull=True, change="")),
                name="assessment_recheck_complete",
            ),
        ]

    def __str__(self):
        return f"{self.student_id} · {self.term_id} · {self.get_status_display()}"


class AssessmentEvent(models.Model):
    """One transition of an assessment: who did what, when, from which state to which."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="events", verbose_name=_("assessment")
    )
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["assessment", "at", "pk"]
        verbose_name = _("assessment event")
        verbose_name_plural = _("assessment events")

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"


class Objection(models.Model):
    """An objection raised during the public notice; it must be answered before approval."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="objections",
        verbose_name=_("assessment"),
    )
    text = models.TextField(_("objection"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["filed_at", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return f"#{self.pk} on {self.assessment_id}"
