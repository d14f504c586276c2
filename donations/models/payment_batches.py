"""Payment batches: the bank's payment list of a school's awards for a project and term,
or the cash sign-off sheet (签领表), row by row with what came of each row.

A row is a snapshot of what was to be paid, into which account: the holder,
bank and masked number shown to people, and the encrypted number that only
the bank file opens (mentoring.bank_accounts). The payment itself is a
`Disbursement`, posted once per row by donations.services.payment_batches
through donations.services.disbursements.disbursement_pay.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import yuan_grouped
from donations.models.awards import Award, Disbursement, PaymentMethod
from donations.models.projects import AidProject


class PaymentBatch(models.Model):
    """The payments of one school's awards of a project in a term, made one way (transfer or cash).

    `columns` is the bank file's column mapping: a list of `[field, header]`
    in the order of the file (donations.services.payment_files.FIELDS).
    `left_out` names the awards that were due but could not go into the batch
    (a transfer without a guardian's account on record), so that none is
    silently dropped.
    """

    school = models.ForeignKey(
        "mentoring.School",
        on_delete=models.PROTECT,
        related_name="payment_batches",
        verbose_name=_("school"),
    )
    project = models.ForeignKey(
        AidProject,
        on_delete=models.PROTECT,
        related_name="payment_batches",
        verbose_name=_("project"),
    )
    term = models.ForeignKey(
        "mentoring.Term",
        on_delete=models.PROTECT,
        related_name="payment_batches",
        verbose_name=_("term"),
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    columns = models.JSONField(_("columns of the bank file"), default=list)
    left_out = models.JSONField(_("awards left out"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set by the first export of the bank's list: from then on the bank holds a file in
    # these columns, so the mapping no longer changes (`payment_batch_columns_set`).
    exported_at = models.DateTimeField(_("Exported"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")

    def __str__(self):
        return f"{self.project.code} {self.term.code} #{self.pk}"


class PaymentRowStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class PaymentBatchRow(models.Model):
    """One planned instalment of one award in a batch, and what came of it.

    A row's result is final: paid (its `disbursement` posted) or failed (the
    bank's reason kept; the instalment is due again and goes into a later
    batch). At most one row of an instalment is due at a time.
    """

    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.CASCADE, related_name="rows", verbose_name=_("batch")
    )
    number = models.PositiveIntegerField(_("row"))
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="payment_rows", verbose_name=_("award")
    )
    instalment = models.PositiveSmallIntegerField(_("instalment"))
    amount_fen = models.BigIntegerField(_("amount"))
    holder_name = models.CharField(_("account holder"), max_length=50, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    number_masked = models.CharField(_("account number (masked)"), max_length=40, blank=True)
    # The account number as it was when the batch was made, encrypted like the
    # guardian's account; opened only for the bank file.
    number_encrypted = models.TextField(_("account number (encrypted)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentRowStatus.choices, default=PaymentRowStatus.DUE
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    disbursement = models.OneToOneField(
        Disbursement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batch_row",
        verbose_name=_("payment"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["batch", "number"]
        verbose_name = _("payment batch row")
        verbose_name_plural = _("payment batch rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="payment_row_number_unique"),
            models.UniqueConstraint(
                fields=["award", "instalment"],
                condition=Q(status="due"),
                name="payment_row_one_due_per_instalment",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_row_positive"),
            models.CheckConstraint(
                condition=Q(status="paid", disbursement__isnull=False)
                | (~Q(status="paid") & Q(disbursement__isnull=True)),
                name="payment_row_paid_has_payment",
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}/{self.number}: {yuan_grouped(self.amount_fen)} yuan"
