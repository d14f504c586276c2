"""Village committees in aid: their quota of a project per term, and their review of awards.

A project that uses committees (`AidProject.uses_committees`) gives each
committee a number of places per term (`CommitteeQuota`), and each of its
awards goes through the committee's review and then the district's approval
before it can be paid (`CommitteeReview`; the transitions are
`donations.services.committee_reviews`').
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from donations.models.awards import Award
from donations.models.projects import AidProject


class CommitteeQuota(models.Model):
    """How many students of one village committee a project may aid in a term."""

    project = models.ForeignKey(
        AidProject,
        on_delete=models.CASCADE,
        related_name="committee_quotas",
        verbose_name=_("project"),
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    committee = models.ForeignKey(
        "mentoring.VillageCommittee",
        on_delete=models.PROTECT,
        related_name="quotas",
        verbose_name=_("village committee"),
    )
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        ordering = ["project", "term", "committee"]
        verbose_name = _("committee quota")
        verbose_name_plural = _("committee quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "term", "committee"], name="committee_quota_unique"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.committee_id}: {self.places}"


class ReviewState(models.TextChoices):
    # An award with no review row is pending: the committee has not reviewed it.
    PENDING = "pending", _("Awaiting the committee's review")
    AGREED = "agreed", _("Agreed by the committee")
    DISAGREED = "disagreed", _("Not agreed by the committee")
    APPROVED = "approved", _("Approved by the district")


class ReviewDecision(models.TextChoices):
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")


class CommitteeReview(models.Model):
    """Where one award of a committee project stands: the committee's review, the district's
    approval. Its history keeps every earlier review.
    """

    # The award's own id: `committee-reviews/{id}/` is the award's stage.
    award = models.OneToOneField(
        Award,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="committee_review",
        verbose_name=_("award"),
    )
    state = models.CharField(_("state"), max_length=20, choices=ReviewState.choices)
    committee = models.ForeignKey(
        "mentoring.VillageCommittee",
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("village committee"),
    )
    reviewers = models.JSONField(_("reviewers"), default=list)
    reviewed_on = models.DateField(_("reviewed on"))
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["award"]
        verbose_name = _("committee review")
        verbose_name_plural = _("committee reviews")
        constraints = [
            # Stored states only: a pending award has no row.
            models.CheckConstraint(
                condition=Q(state__in=["agreed", "disagreed", "approved"]),
                name="committee_review_stored_state",
            ),
            # Approved only after the committee agreed, and with who and when.
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(decision="agree", approved_by__isnull=False, approved_at__isnull=False),
                name="committee_review_approved_after_agree",
            ),
        ]

    def __str__(self):
        return f"{self.award_id}: {self.state}"
