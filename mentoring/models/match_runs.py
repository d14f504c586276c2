"""The match run and its proposed pairs (their lifecycle: `mentoring.services.match_runs`).

Part of the `mentoring.models` package, so that they are `mentoring` models; their
tables keep the names they had when the models lived in `workers`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mentoring.matching import run_inputs


class MatchRunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    # A later run for the same term, schools and kinds took its place.
    REPLACED = "replaced", _("Replaced by a later run")
    FAILED = "failed", _("Failed")


class MatchRun(models.Model):
    """One run of the term's matching: its inputs, weights, proposal and summary.

    The inputs (students and mentors as plain data) and the weights are kept
    so that a run can be reproduced exactly; the proposal is the run's
    pairings in status proposed, each with its ProposedPair. The inputs are
    stored packed (`mentoring.matching.run_inputs`: column by column, compressed) and
    read and written through `inputs`, as the plain data.
    """

    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    schools = models.ManyToManyField(
        "mentoring.School", related_name="+", verbose_name=_("schools")
    )
    kinds = models.JSONField(_("kinds"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=MatchRunStatus.choices, default=MatchRunStatus.PENDING
    )
    weights = models.JSONField(_("weights"), default=dict)
    rules = models.JSONField(_("rules"), default=dict)
    packed_inputs = models.BinaryField(_("inputs"), null=True, blank=True, editable=False)
    summary = models.JSONField(_("summary"), null=True, blank=True)
    # The run's job, kept by `workers` (named, never imported: mentoring does
    # not import workers).
    job = models.OneToOneField(
        "workers.Job",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="match_run",
        verbose_name=_("job"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        # The tables keep the names they had in workers: the models moved, the data did not.
        db_table = "workers_matchrun"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")

    def __str__(self):
        return f"#{self.pk} {self.term} {'+'.join(self.kinds)} ({self.get_status_display()})"

    @property
    def inputs(self) -> dict | None:
        """The stored inputs as plain data (unpacked once per instance and packed value)."""
        packed = self.packed_inputs
        if packed is None:
            return None
        cached = self.__dict__.get("_unpacked_inputs")
        if cached is None or cached[0] is not packed:
            cached = (packed, run_inputs.unpack(bytes(packed)))
            self.__dict__["_unpacked_inputs"] = cached
        return cached[1]

    @inputs.setter
    def inputs(self, value: dict | None) -> None:
        self.packed_inputs = None if value is None else run_inputs.pack(value)


class ProposedPair(models.Model):
    """Why a run proposed a pairing: its cost and the reasons behind it."""

    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="proposed_pairs", verbose_name=_("run")
    )
    pairing = models.OneToOneField(
        "mentoring.Pairing",
        on_delete=models.CASCADE,
        related_name="proposal",
        verbose_name=_("pairing"),
    )
    cost = models.PositiveIntegerField(_("cost"), default=0)
    reasons = models.JSONField(_("reasons"), default=dict)
    # Added or changed by hand during review rather than by the solver.
    by_hand = models.BooleanField(_("by hand"), default=False)

    class Meta:
        db_table = "workers_proposedpair"
        ordering = ["run", "pk"]
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")

    def __str__(self):
        return f"{self.run_id}: {self.pairing_id} ({self.cost})"
