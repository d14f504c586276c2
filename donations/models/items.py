"""Items in kind: the kinds a district stocks, items donated into stock, items given to students."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from donations.models.donors import Donor


class ItemKind(models.Model):
    """A kind of donated item held in stock in a district: books, stationery, clothes."""

    district = models.ForeignKey(
        "mentoring.District",
        on_delete=models.PROTECT,
        related_name="item_kinds",
        verbose_name=_("district"),
    )
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20)
    # Kept equal to the sum of the stock movements, never below zero.
    stock = models.PositiveIntegerField(_("in stock"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("item kind")
        verbose_name_plural = _("item kinds")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="item_kind_unique_name"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="item_stock_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class ItemDonation(models.Model):
    """Items received from a donor, into stock."""

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="item_donations", verbose_name=_("donor")
    )
    item_kind = models.ForeignKey(
        ItemKind, on_delete=models.PROTECT, related_name="donations", verbose_name=_("item kind")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # Estimated value of the whole donation, for reports.
    value_fen = models.BigIntegerField(_("estimated value"), default=0)
    received_on = models.DateField(_("received on"))
    # The item pledge these items honour, if any.
    pledge = models.ForeignKey(
        "Pledge",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="item_donations",
        verbose_name=_("pledge"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("item donation")
        verbose_name_plural = _("item donations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_donation_positive"),
            models.CheckConstraint(condition=Q(value_fen__gte=0), name="item_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item_kind}"


class ItemDistribution(models.Model):
    """Items given to a student against the signatures of student and guardian."""

    item_kind = models.ForeignKey(
        ItemKind,
        on_delete=models.PROTECT,
        related_name="distributions",
        verbose_name=_("item kind"),
    )
    student = models.ForeignKey(
        "mentoring.Student",
        on_delete=models.PROTECT,
        related_name="item_distributions",
        verbose_name=_("student"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    given_on = models.DateField(_("given on"))
    signed_by_student = models.BooleanField(_("signed by the student"))
    signed_by_guardian = models.BooleanField(_("signed by the guardian"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("given by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("item distribution")
        verbose_name_plural = _("item distributions")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_distribution_positive"),
            models.CheckConstraint(
                condition=Q(signed_by_student=True, signed_by_guardian=True),
                name="item_distribution_signed",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item_kind} → {self.student_id}"
