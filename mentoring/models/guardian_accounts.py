"""A guardian's bank account, into which a student's subsidies are paid (全额打到家长账户)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.students import Student


class GuardianAccount(models.Model):
    """One account per student; the number is kept encrypted, with its masked form and hash.

    `number_encrypted` is a Fernet token (mentoring.bank_accounts) that only
    the keys of settings.GUARDIAN_ACCOUNT_KEYS open; `number_masked` is what
    people see; `number_hash` (keyed, like a student's `id_hash`) finds the
    same account on several students. The history keeps these three, so it
    never holds a whole number either.
    """

    student = models.OneToOneField(
        Student,
        on_delete=models.CASCADE,
        related_name="guardian_account",
        verbose_name=_("student"),
    )
    holder_name = models.CharField(_("account holder"), max_length=50)
    bank_name = models.CharField(_("bank"), max_length=100)
    number_encrypted = models.TextField(_("account number (encrypted)"))
    number_masked = models.CharField(_("account number (masked)"), max_length=40)
    number_hash = models.CharField(_("account number hash"), max_length=64, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("guardian's bank account")
        verbose_name_plural = _("guardians' bank accounts")

    def __str__(self):
        return f"{self.holder_name} {self.bank_name} {self.number_masked}"
