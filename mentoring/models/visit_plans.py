"""A school's home-visit plan for a term (家访活动计划表): who visits which student, when, why.

A home visit logged as a session (`SessionKind.HOME_VISIT`) is linked to the
plan entry it fulfils (`mentoring.services.visit_plans`), so the plan shows
which visits were made.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.pairings import Mentor
from mentoring.models.people import School, Term
from mentoring.models.sessions import TutoringSession
from mentoring.models.students import Student


class VisitPlan(models.Model):
    """One school's plan of home visits for one term."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="visit_plans", verbose_name=_("school")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="visit_plans", verbose_name=_("term")
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "school"]
        verbose_name = _("home-visit plan")
        verbose_name_plural = _("home-visit plans")
        constraints = [
            models.UniqueConstraint(fields=["school", "term"], name="visit_plan_one_per_term"),
        ]

    def __str__(self):
        return f"{self.school} {self.term}"


class VisitPlanEntry(models.Model):
    """One planned visit: a student, the teacher who visits, the planned day and the purpose.

    `visit` is the home visit logged against it, once one is: the entry is
    then done.
    """

    plan = models.ForeignKey(
        VisitPlan, on_delete=models.CASCADE, related_name="entries", verbose_name=_("plan")
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.PROTECT,
        related_name="visit_plan_entries",
        verbose_name=_("student"),
    )
    visitor = models.ForeignKey(
        Mentor, on_delete=models.PROTECT, related_name="planned_visits", verbose_name=_("visitor")
    )
    planned_on = models.DateField(_("planned date"))
    purpose = models.TextField(_("purpose"))
    visit = models.OneToOneField(
        TutoringSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_entry",
        verbose_name=_("visit logged"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "planned_on", "pk"]
        verbose_name = _("planned home visit")
        verbose_name_plural = _("planned home visits")

    def __str__(self):
        return f"{self.planned_on} {self.student} ← {self.visitor}"

    @property
    def done(self) -> bool:
        return self.visit_id is not None
