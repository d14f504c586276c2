"""Who reads which home-visit plans and their entries.

- administrators (school or district, and platform administrators): the
  plans of the schools they administer, and every entry in them;
- teachers and volunteers: no plan as a whole; the entries about their own
  mentees (active or ended pairings) and the visits they are asked to make;
- donors and supervisors: nothing.
"""

from django.db.models import Count, Q, QuerySet

from core.permissions import is_active_account
from mentoring.models import User, VisitPlan, VisitPlanEntry
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import students_visible_to


def visit_plans_visible_to(user: User) -> QuerySet[VisitPlan]:
    """The plans of the user's administered schools, each with its planned and done counts."""
    if not is_active_account(user):
        return VisitPlan.objects.none()
    plans = VisitPlan.objects.all()
    if not user.is_superuser:
        plans = plans.filter(school__in=schools_administered_by(user))
    return plans.annotate(
        planned=Count("entries"),
        done=Count("entries", filter=Q(entries__visit__isnull=False)),
    )


def visit_plan_entries_visible_to(user: User) -> QuerySet[VisitPlanEntry]:
    if not is_active_account(user):
        return VisitPlanEntry.objects.none()
    if user.is_superuser:
        return VisitPlanEntry.objects.all()
    # The students a user sees (their schools' as administrator, their own
    # mentees as mentor), and the visits they are asked to make.
    return VisitPlanEntry.objects.filter(
        Q(student__in=students_visible_to(user)) | Q(visitor__user=user)
    )


def planned_visits_of(pairing) -> list[VisitPlanEntry]:
    """The school's planned home visits to a mentee in the pairing's term, for the mentor's page."""
    return list(
        VisitPlanEntry.objects.filter(plan__term_id=pairing.term_id, student_id=pairing.student_id)
        .select_related("visitor__user", "visit")
        .order_by("planned_on", "pk")
    )
