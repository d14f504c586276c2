"""Aid projects (资助项目): who is eligible, the yearly standards, the schools' quotas,
the money each source allocated for a term, and the allocations made.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.money_text import yuan_text


class FundSource(models.TextChoices):
    CENTRAL = "central", _("Central government")
    PROVINCIAL = "provincial", _("Provincial government")
    COUNTY = "county", _("County or district government")
    SCHOOL = "school", _("School")
    SOCIAL = "social", _("Society (donations)")


class Boarding(models.TextChoices):
    ANY = "any", _("Boarding or not")
    BOARDING = "boarding", _("Boarding students")
    NON_BOARDING = "non_boarding", _("Non-boarding students")


class AidProject(models.Model):
    """An aid project (资助项目) of a district, with its own fund account (专户)."""

    district = models.ForeignKey(
        "mentoring.District",
        on_delete=models.PROTECT,
        related_name="aid_projects",
        verbose_name=_("district"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    # Two projects with the same purpose must not aid one student twice in a term.
    purpose = models.CharField(_("purpose"), max_length=100)
    # Eligibility; an empty list or "any" admits everyone approved.
    levels = models.JSONField(_("levels"), default=list, blank=True)
    tiers = models.JSONField(_("hardship tiers"), default=list, blank=True)
    boarding = models.CharField(
        _("boarding"), max_length=20, choices=Boarding.choices, default=Boarding.ANY
    )
    gender = models.CharField(_("gender"), max_length=6, blank=True)
    # An award not paid this many days after it was made is flagged late.
    late_after_days = models.PositiveSmallIntegerField(_("late after (days)"), default=30)
    # The district splits the project's places among village committees, and
    # a committee reviews each award before the district approves it
    # (`donations.services.committee_quotas`, `donations.services.committee_reviews`).
    uses_committees = models.BooleanField(_("uses village committees"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "code"]
        verbose_name = _("aid project")
        verbose_name_plural = _("aid projects")
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="project_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class ProjectFunding(models.Model):
    """Money allocated to a project for a term by one source (e.g. 18,900 provincial)."""

    project = models.ForeignKey(
        AidProject, on_delete=models.CASCADE, related_name="funding", verbose_name=_("project")
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount"))

    class Meta:
        ordering = ["project", "term", "source"]
        verbose_name = _("project funding")
        verbose_name_plural = _("project funding")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "term", "source"], name="funding_one_per_source"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funding_positive"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.get_source_display()}: {yuan_text(self.amount_fen)}"


def term_amount_fen(yearly_fen: int) -> int:
    """Half a year's standard, rounded half up to the fen: 625.00 a year → 312.50 a term."""
    return (yearly_fen + 1) // 2


class ProjectStandard(models.Model):
    """The yearly amount for a tier, level and boarding; a term pays half of it.

    Blank `tier` or `level` and boarding "any" match every student; the most
    specific standard that matches a student applies.
    """

    project = models.ForeignKey(
        AidProject, on_delete=models.CASCADE, related_name="standards", verbose_name=_("project")
    )
    tier = models.CharField(_("tier"), max_length=30, blank=True)
    level = models.CharField(_("level"), max_length=20, blank=True)
    boarding = models.CharField(
        _("boarding"), max_length=20, choices=Boarding.choices, default=Boarding.ANY
    )
    yearly_fen = models.BigIntegerField(_("yearly standard"))

    class Meta:
        ordering = ["project", "tier", "level", "boarding"]
        verbose_name = _("aid standard")
        verbose_name_plural = _("aid standards")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "tier", "level", "boarding"], name="standard_unique"
            ),
            models.CheckConstraint(condition=Q(yearly_fen__gt=0), name="standard_positive"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.tier}/{self.level}/{self.boarding}: {self.yearly_fen}"

    @property
    def per_term_fen(self) -> int:
        return term_amount_fen(self.yearly_fen)


class ProjectQuota(models.Model):
    """How many students of one school a project may aid in a term."""

    project = models.ForeignKey(
        AidProject, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("project")
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    school = models.ForeignKey(
        "mentoring.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        ordering = ["project", "term", "school"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["project", "term", "school"], name="quota_unique"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.school_id}: {self.places}"


class ProjectTierShare(models.Model):
    """How many of a project's places one hardship tier may take in a term (e.g. 80 / 20).

    Either `percent`, of each school's quota for the term (rounded down, so a
    tier never gets more than its share), or `places`, a count for the whole
    project in the term. Once a project states shares, a tier without one gets
    no places: the shares are the project's tier rule.
    """

    project = models.ForeignKey(
        AidProject, on_delete=models.CASCADE, related_name="tier_shares", verbose_name=_("project")
    )
    tier = models.CharField(_("tier"), max_length=30)
    percent = models.PositiveSmallIntegerField(_("share (%)"), null=True, blank=True)
    places = models.PositiveIntegerField(_("places"), null=True, blank=True)

    class Meta:
        ordering = ["project", "tier"]
        verbose_name = _("tier share")
        verbose_name_plural = _("tier shares")
        constraints = [
            models.UniqueConstraint(fields=["project", "tier"], name="tier_share_unique"),
            models.CheckConstraint(
                condition=(
                    Q(percent__isnull=False, places__isnull=True, percent__gte=1, percent__lte=100)
                    | Q(percent__isnull=True, places__isnull=False, places__gte=1)
                ),
                name="tier_share_percent_or_places",
            ),
        ]

    def __str__(self):
        share = f"{self.percent}%" if self.percent is not None else f"{self.places}"
        return f"{self.project.code} {self.tier}: {share}"


class Allocation(models.Model):
    """One run of allocating a project's term to approved students by rank of need.

    `left_out` lists the eligible students who got nothing, each with the
    reason: [{"student": id, "school": id, "tier": ..., "rank": n,
    "reason": "quota_full" | "no_quota" | "funds_exhausted" | "duplicate_aid" |
    "no_standard" | "tier_share_full" | "no_tier_share" | "no_committee" |
    "no_committee_quota" | "committee_quota_full", "detail": "..."}].
    """

    project = models.ForeignKey(
        AidProject, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("project")
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    awarded = models.PositiveIntegerField(_("students awarded"), default=0)
    amount_fen = models.BigIntegerField(_("amount awarded"), default=0)
    left_out = models.JSONField(_("left out"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self):
        return f"{self.project.code} {self.term_id}: {self.awarded}"
