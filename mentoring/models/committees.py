"""Village and residents' committees (村委会 / 居委会) of a district.

The district splits a project's control number (quota) among them
(分解到各村(居)委), and their joint review (村(居)委会联审) comes before the
district approves an award of such a project. A student's committee is the
one of the family's residence (`Student.committee`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mentoring.models.people import District


class CommitteeKind(models.TextChoices):
    VILLAGE = "village", _("Village committee")
    RESIDENTS = "residents", _("Residents' committee")


class VillageCommittee(models.Model):
    """A village (村) or residents' (居) committee in a district."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="committees", verbose_name=_("district")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CommitteeKind.choices, default=CommitteeKind.VILLAGE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["district", "code"]
        verbose_name = _("village committee")
        verbose_name_plural = _("village committees")
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="committee_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"
