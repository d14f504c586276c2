"""Swagger UI under the Content-Security-Policy, and its sections by area of work.

Apart from core.pagination and core.exception_handler, which REST framework's
settings import while drf-spectacular's views import REST framework.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """drf-spectacular's Swagger UI with no inline script and a nonce on its style.

    The split view serves the page's script from its own URL (`?script`), so
    `script-src 'self'` holds; core/swagger_ui.html puts the request's nonce on
    the page's inline style.
    """

    template_name = "core/swagger_ui.html"


# Swagger's sections: the areas of the work, in the order of a term, each the
# resources (the first segment of the path after /api/v1/) it gathers. A
# resource in none of them lands in "other", which the schema tests refuse.
AREAS = [
    (
        "accounts",
        _("Sign-in tokens, users and their roles, districts, schools and terms."),
        ["auth", "me", "users", "districts", "schools", "terms"],
    ),
    (
        "students & identification",
        _(
            "The roster and scores, families' applications, the identification of hardship "
            "and its reviews, and who read which student's records."
        ),
        [
            "students",
            "rosters",
            "scores",
            "applications",
            "application-codes",
            "assessments",
            "review-committees",
            "village-committees",
            "access-log",
        ],
    ),
    (
        "mentoring",
        _("Mentors, the term's match runs, pairings, sessions, home visits and weekly tutoring."),
        [
            "mentors",
            "match-runs",
            "pairings",
            "sessions",
            "compliance",
            "visit-plans",
            "visit-plan-entries",
            "notifications",
        ],
    ),
    (
        "aid & money",
        _("Aid projects, awards and their payments, payment batches, fund accounts and ledger."),
        [
            "projects",
            "awards",
            "committee-reviews",
            "disbursements",
            "payment-batches",
            "fund-accounts",
            "ledger",
        ],
    ),
    (
        "donations",
        _("Donors, pledges of money or items, money received, donated items and who got them."),
        ["donors", "pledges", "contributions", "item-donations", "item-distributions"],
    ),
    (
        "reports & jobs",
        _("The term and school-year reports, and the progress of every background job."),
        ["reports", "jobs"],
    ),
    (
        "oversight",
        _("The supervisory group, complaints and suggestions."),
        ["supervision-members", "supervision-meetings", "complaints", "suggestions"],
    ),
    (
        "public",
        _("What anyone may read without an account: public notices and donations."),
        ["public"],
    ),
]
OTHER = "other"
_AREA_OF = {resource: name for name, _description, resources in AREAS for resource in resources}


def group_by_area(result, generator, request, public):
    """drf-spectacular postprocessing hook: each operation tagged with its area, areas in order.

    drf-spectacular tags an operation by the first segment of its path (after
    SCHEMA_PATH_PREFIX); the resource stays visible in the operation's path and
    its operationId (`pledges_create`), and the tag becomes its area.
    """
    used = set()
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "tags" not in operation:
                continue
            area = _AREA_OF.get(operation["tags"][0], OTHER)
            operation["tags"] = [area]
            used.add(area)
    tags = [
        {"name": name, "description": str(description)}
        for name, description, _resources in AREAS
        if name in used
    ]
    if OTHER in used:
        tags.append({"name": OTHER})
    result["tags"] = tags
    return result
