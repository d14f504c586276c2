from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """An `Idempotency-Key` claimed by the request running under it, then that request's answer.

    While the request runs, `status_code` and `body` are empty and `claim`
    names the request (core.idempotency); `created_at` is when it was claimed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=200, verbose_name=_("key"))
    scope = models.CharField(max_length=200, verbose_name=_("scope"))
    request_hash = models.CharField(max_length=64, verbose_name=_("request hash"))
    claim = models.CharField(max_length=32, default="", verbose_name=_("claim"))
    status_code = models.PositiveSmallIntegerField(null=True, verbose_name=_("status code"))
    body = models.JSONField(null=True, verbose_name=_("body"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        # The table kept its name when the model moved from mentoring (issue 14).
        db_table = "mentoring_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self):
        return f"{self.scope} {self.key}"
