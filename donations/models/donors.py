"""Donors, the money they give (contributions) and what they promise (pledges)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.money_text import yuan_text
from donations.models.ledger import LedgerEntry
from donations.models.projects import AidProject


class DonorKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    STAFF = "staff", _("Staff")
    INDIVIDUAL = "individual", _("Individual")


class Donor(models.Model):
    """Who gives: an organisation, a member of staff or a person, in one district."""

    district = models.ForeignKey(
        "mentoring.District",
        on_delete=models.PROTECT,
        related_name="donors",
        verbose_name=_("district"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DonorKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Published notices say "anonymous" instead of the name.
    anonymous = models.BooleanField(_("anonymous in published notices"), default=False)
    # The account the donor uses to pledge and to follow its gifts, if any.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donor",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.name


class ContributionStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    POSTED = "posted", _("Posted to the fund account")


class Contribution(models.Model):
    """Money received from a donor for a project, posted once to the project's account."""

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="contributions", verbose_name=_("donor")
    )
    project = models.ForeignKey(
        AidProject,
        on_delete=models.PROTECT,
        related_name="contributions",
        verbose_name=_("project"),
    )
    amount_fen = models.BigIntegerField(_("amount"))
    received_on = models.DateField(_("received on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # The pledge this money honours, if any.
    pledge = models.ForeignKey(
        "Pledge",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("pledge"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ContributionStatus.choices,
        default=ContributionStatus.RECEIVED,
    )
    # Set when posted: the receipt (收据) number and the ledger row.
    receipt_number = models.CharField(
        _("receipt number"), max_length=40, unique=True, null=True, blank=True
    )
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contribution",
        verbose_name=_("ledger entry"),
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="contribution_positive"),
            models.CheckConstraint(
                condition=Q(status="received", ledger_entry__isnull=True)
                | Q(status="posted", ledger_entry__isnull=False, receipt_number__isnull=False),
                name="contribution_posted_has_entry_and_receipt",
            ),
        ]

    def __str__(self):
        return f"{self.donor} → {self.project.code}: {yuan_text(self.amount_fen)}"


class PledgeKind(models.TextChoices):
    MONEY = "money", _("Money")
    ITEMS = "items", _("Items")


class PledgeSchedule(models.TextChoices):
    ONCE = "once", _("Once")
    PER_TERM = "per_term", _("Every term")
    INSTALMENTS = "instalments", _("In instalments")


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    FULFILLED = "fulfilled", _("Fulfilled")
    # A donor cancels (取消) a pledge, the word of its button and of the API's messages;
    # "Cancelled" alone is an award's, which an administrator withdraws (撤销).
    CANCELLED = "cancelled", pgettext_lazy("pledge status", "Cancelled")
    OVERDUE = "overdue", _("Overdue")


class Pledge(models.Model):
    """A donor's promise of money or items, to a project or to a purpose, due in instalments."""

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("donor")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PledgeKind.choices)
    project = models.ForeignKey(
        AidProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=_("project"),
    )
    # What the gift is for when it names no project, e.g. "36 poor students per term".
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    schedule = models.CharField(_("schedule"), max_length=20, choices=PledgeSchedule.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED
    )
    # Items pledged: what, in which unit, and their estimated value per unit.
    item_name = models.CharField(_("item"), max_length=100, blank=True)
    item_unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_value_fen = models.BigIntegerField(_("estimated value per unit"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Why it was cancelled, as the donor or administrator said (`pledge_cancel`).
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False) | ~Q(purpose=""), name="pledge_has_a_target"
            ),
            models.CheckConstraint(
                condition=Q(unit_value_fen__gte=0), name="pledge_unit_value_not_negative"
            ),
            # A cancelled pledge says why, and only a cancelled one has a reason to cancel.
            models.CheckConstraint(
                condition=Q(status="cancelled") & ~Q(cancel_reason="")
                | ~Q(status="cancelled") & Q(cancel_reason=""),
                name="pledge_cancelled_with_its_reason",
            ),
        ]

    def __str__(self):
        return f"{self.donor}: {self.get_kind_display()} ({self.get_status_display()})"


class PledgeInstalment(models.Model):
    """What a pledge promises by one due date: fen for money, a count for items."""

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("pledge")
    )
    due_on = models.DateField(_("due on"))
    amount = models.BigIntegerField(_("amount (fen, or items)"))

    class Meta:
        ordering = ["pledge", "due_on", "pk"]
        verbose_name = _("pledge instalment")
        verbose_name_plural = _("pledge instalments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
            models.UniqueConstraint(fields=["pledge", "due_on"], name="instalment_one_per_day"),
        ]

    def __str__(self):
        # Fen for money would read as a hundred times the yuan beside it.
        if self.pledge.kind == PledgeKind.MONEY:
            return f"{self.due_on}: {yuan_text(self.amount)}"
        return f"{self.due_on}: {self.amount}"
