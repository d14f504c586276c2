"""Aid projects, their fund accounts and the append-only ledger.

Money is integer fen (分) everywhere in the database. A fund account's
balance is the sum of its ledger; it is also kept on the account row, moved
only together with a ledger row, under a row lock, with a database check
that it never goes below zero. On PostgreSQL a trigger refuses any UPDATE or
DELETE of a ledger row: a mistake is corrected by a reversal, never erased.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FundSource(models.TextChoices):
    CENTRAL = "central", _("Central government")
    PROVINCIAL = "provincial", _("Provincial government")
    COUNTY = "county", _("County or district government")
    SCHOOL = "school", _("School")
    SOCIAL = "social", _("Society (donations)")


class AidProject(models.Model):
    """An aid project (资助项目) of a district, with its own fund account (专户)."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="aid_projects"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    # Two projects with the same purpose must not aid one student twice in a term.
    purpose = models.CharField(_("purpose"), max_length=100)
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


class FundAccount(models.Model):
    """The project's own account; `balance_fen` always equals the sum of its ledger."""

    project = models.OneToOneField(AidProject, on_delete=models.PROTECT, related_name="account")
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fund account")
        verbose_name_plural = _("fund accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_fen__gte=0), name="fund_account_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.project.code}: {self.balance_fen} fen"


class LedgerKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("Appropriation in")
    CONTRIBUTION = "contribution", _("Contribution in")
    DISBURSEMENT = "disbursement", _("Disbursement out")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One movement of money: positive in, negative out. Never changed, never deleted."""

    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # The account's balance right after this entry: the ledger reads as a statement.
    balance_after_fen = models.BigIntegerField(_("balance after (fen)"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # A reversal names the entry it reverses; an entry is reversed at most once.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after_fen__gte=0), name="ledger_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["appropriation", "contribution"], amount_fen__gt=0)
                    | Q(kind="disbursement", amount_fen__lt=0)
                    | Q(kind="reversal", reverses__isnull=False)
                ),
                name="ledger_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_fen} fen"


class DonorKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    STAFF = "staff", _("Staff")
    INDIVIDUAL = "individual", _("Individual")


class Donor(models.Model):
    """Who gives: an organisation, a member of staff or a person, in one district."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="donors"
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

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    project = models.ForeignKey(AidProject, on_delete=models.PROTECT, related_name="contributions")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    received_on = models.DateField(_("received on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
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
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="contribution"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
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
        return f"{self.donor} → {self.project.code}: {self.amount_fen} fen"
