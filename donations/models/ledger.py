"""Fund accounts and the append-only ledger.

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

from core.money_text import yuan_text
from donations.models.projects import AidProject, FundSource, ProjectFunding


class FundAccount(models.Model):
    """The project's own account; `balance_fen` always equals the sum of its ledger.

    The database refuses a balance below what the project's unpaid awards
    still commit, and an award beyond it (migration 0013).
    """

    project = models.OneToOneField(
        AidProject, on_delete=models.PROTECT, related_name="account", verbose_name=_("project")
    )
    balance_fen = models.BigIntegerField(_("balance"), default=0)
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
        # Not the balance: a row naming its account (a ledger entry) would show
        # today's balance as if it were the row's.
        return self.project.code


class LedgerKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("Appropriation in")
    CONTRIBUTION = "contribution", _("Contribution in")
    DISBURSEMENT = "disbursement", _("Disbursement out")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One movement of money: positive in, negative out. Never changed, never deleted."""

    account = models.ForeignKey(
        FundAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    amount_fen = models.BigIntegerField(_("amount"))
    # The account's balance right after this entry: the ledger reads as a statement.
    balance_after_fen = models.BigIntegerField(_("balance after"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # Appropriations: which government level (or society) the money came from,
    # and the term's funding it honours (received against allocated: 资金到位率).
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices, blank=True)
    funding = models.ForeignKey(
        ProjectFunding,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("funding"),
    )
    # A reversal names the entry it reverses; an entry is reversed at most once.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
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
        return f"{self.get_kind_display()} {yuan_text(self.amount_fen)}"
