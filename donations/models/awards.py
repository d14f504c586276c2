"""Awards of aid to students, their planned instalments, the payments of them, and
the duplicate aid refused.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.money_text import yuan_text
from donations.models.ledger import LedgerEntry
from donations.models.projects import AidProject, Allocation


class AwardStatus(models.TextChoices):
    AWARDED = "awarded", _("Awarded")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Award(models.Model):
    """Aid of one project to one student for one term.

    The student's ID hash and the term's code are copied onto the award so
    that the database refuses a second award for the same purpose in the same
    term, whichever school or project it comes from (多头资助).
    """

    project = models.ForeignKey(
        AidProject, on_delete=models.PROTECT, related_name="awards", verbose_name=_("project")
    )
    student = models.ForeignKey(
        "mentoring.Student",
        on_delete=models.PROTECT,
        related_name="awards",
        verbose_name=_("student"),
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="awards", verbose_name=_("term")
    )
    amount_fen = models.BigIntegerField(_("amount"))
    status = models.CharField(
        _("status"), max_length=20, choices=AwardStatus.choices, default=AwardStatus.AWARDED
    )
    purpose = models.CharField(_("purpose"), max_length=100)
    term_code = models.CharField(_("term"), max_length=20)
    student_id_hash = models.CharField(max_length=64, verbose_name=_("student id hash"))
    reason = models.TextField(_("reason"), blank=True)
    # The allocation that made it (None for an award made by hand).
    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards",
        verbose_name=_("allocation"),
    )
    # Set by the daily check when the award was not paid in time.
    late_since = models.DateField(_("late since"), null=True, blank=True)
    # A cancellation is a correction by a district administrator: who, when and why.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="award_positive"),
            models.UniqueConstraint(
                fields=["student_id_hash", "purpose", "term_code"],
                condition=~Q(status="cancelled"),
                name="award_one_per_purpose_and_term",
            ),
        ]

    def __str__(self):
        return f"{self.project.code} → {self.student_id}: {yuan_text(self.amount_fen)}"


# An award is paid in at most this many instalments (a school year has twelve months).
MAX_INSTALMENTS = 12


class AwardInstalment(models.Model):
    """One planned payment of an award; an award's plan sums exactly to its amount.

    A disbursement pays one planned instalment, for exactly its amount, once
    (donations.services.disbursements.disbursement_pay); the database refuses
    payments that would take an award past its amount (migration 0011).
    """

    award = models.ForeignKey(
        Award, on_delete=models.CASCADE, related_name="plan", verbose_name=_("award")
    )
    number = models.PositiveSmallIntegerField(_("instalment"))
    amount_fen = models.BigIntegerField(_("amount"))

    class Meta:
        ordering = ["award", "number"]
        verbose_name = _("award instalment")
        verbose_name_plural = _("award instalments")
        constraints = [
            models.UniqueConstraint(fields=["award", "number"], name="award_instalment_unique"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=MAX_INSTALMENTS),
                name="award_instalment_number_in_range",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="award_instalment_positive"),
        ]

    def __str__(self):
        return f"{self.award_id}#{self.number}: {yuan_text(self.amount_fen)}"


class RefusalVia(models.TextChoices):
    """How the refused aid was asked for."""

    MANUAL = "manual", _("award asked for by hand")
    ALLOCATION = "allocation", _("allocation")


class AidRefusal(models.Model):
    """A refused attempt to aid a student twice for one purpose in a term (多头资助).

    Kept so that the term report can say how many were refused, and where.
    """

    project = models.ForeignKey(
        AidProject, on_delete=models.PROTECT, related_name="refusals", verbose_name=_("project")
    )
    term = models.ForeignKey(
        "mentoring.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    student = models.ForeignKey(
        "mentoring.Student", on_delete=models.PROTECT, related_name="+", verbose_name=_("student")
    )
    other_award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="+", verbose_name=_("other award")
    )
    via = models.CharField(_("via"), max_length=20, choices=RefusalVia.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("duplicate aid refused")
        verbose_name_plural = _("duplicate aid refused")

    def __str__(self):
        return _("%(project)s → %(student)s (award #%(award)s)") % {
            "project": self.project.code,
            "student": self.student_id,
            "award": self.other_award_id,
        }


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer to the guardian's account")
    CASH = "cash", _("Cash against the signatures of student and guardian")


class Disbursement(models.Model):
    """One payment of a planned award instalment; the database allows one standing per instalment.

    A payment stands until it is reversed (`reversal` set); the award's
    standing payments never add up to more than the award.
    """

    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("award")
    )
    instalment = models.PositiveSmallIntegerField(_("instalment"), default=1)
    amount_fen = models.BigIntegerField(_("amount"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    paid_on = models.DateField(_("paid on"))
    # Bank transfers: the bank's reference; cash: both signatures were taken.
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    signed_by_student = models.BooleanField(_("signed by the student"), default=False)
    signed_by_guardian = models.BooleanField(_("signed by the guardian"), default=False)
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        related_name="disbursement",
        verbose_name=_("ledger entry"),
    )
    # A payment made in error is reversed by a ledger entry that names the
    # payment's entry (who and why are on that entry); the row stays, and the
    # instalment can be paid again.
    reversal = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_disbursement",
        verbose_name=_("reversal"),
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paid by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "instalment"],
                condition=Q(reversal__isnull=True),
                name="disbursement_once_per_instalment",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="disbursement_positive"),
            models.CheckConstraint(
                condition=Q(method="bank_transfer", bank_reference__gt="")
                | Q(method="cash", signed_by_student=True, signed_by_guardian=True),
                name="disbursement_has_proof",
            ),
        ]

    def __str__(self):
        return f"{self.award_id}#{self.instalment}: {yuan_text(self.amount_fen)}"
