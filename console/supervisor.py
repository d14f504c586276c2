"""The supervisor's page (`/supervisor/`): what the schools they supervise report, read-only.

A supervisor (a member of a school's supervision group: parents, deputies,
the community) reads aggregates only, never a child: the term's weekly
tutoring per school (`term_tutoring_summary`, the weekly page's figures:
the weeks met per school and no mentor, and the term's sessions, the term
report's count), the balances of the district's fund
accounts, the supervision group's meetings, suggestions and the complaints
against their due days, and the reports they may open. Every figure comes
from the selector the API uses for the same reader.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from console.pages import chosen_term, terms_of
from core.pages import SignOutView, role_page
from donations.selectors.scoping import fund_accounts_visible_to
from mentoring.selectors.compliance import schools_supervised_by
from mentoring.selectors.tutoring import term_tutoring_summary
from oversight.models import complaint_standing
from oversight.selectors import (
    complaints_visible_to,
    meetings_visible_to,
    suggestions_visible_to,
)
from workers.models import ReportStatus
from workers.reports import reports_visible_to

LOGIN_URL = "start"
TEMPLATES = "console/supervisor/"
RECENT = 10


LogoutView = SignOutView


def _supervised(user) -> list:
    return list(schools_supervised_by(user).select_related("district"))


# Members of a supervision group only; anyone else is told the page is not theirs.
supervisor_page = role_page(
    _supervised, refused=TEMPLATES + "not_a_supervisor.html", login_url=LOGIN_URL
)


def _complaints(user) -> dict:
    """The supervised schools' complaints by where they stand against their due day (one query)."""
    today = timezone.localdate()
    counts = {"received": 0, "answered_in_time": 0, "answered_late": 0, "open": 0, "overdue": 0}
    for due, answered_at in complaints_visible_to(user).values_list("answer_due_on", "answered_at"):
        counts["received"] += 1
        counts[complaint_standing(due, answered_at, today)] += 1
    return counts


@require_GET
@supervisor_page
def home(request, schools):
    user = request.user
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    tutoring = term_tutoring_summary(user=user, term_id=term.pk) if term else None
    suggestions = suggestions_visible_to(user)
    return render(
        request,
        TEMPLATES + "home.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "tutoring": tutoring,
            "accounts": fund_accounts_visible_to(user)
            .select_related("project")
            .order_by("project__name"),
            "meetings": meetings_visible_to(user)
            .select_related("school", "district")
            .order_by("-held_on", "-pk")[:RECENT],
            "suggestions": {
                "all": suggestions.count(),
                "unanswered": suggestions.filter(answered_at__isnull=True).count(),
                "recent": suggestions.select_related("school").order_by("-created_at", "-pk")[
                    :RECENT
                ],
            },
            "complaints": _complaints(user),
            "reports": reports_visible_to(user)
            .filter(status=ReportStatus.ISSUED)
            .select_related("term", "school", "district")
            .order_by("-created_at", "-pk")[:RECENT],
        },
    )
