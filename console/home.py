"""`/console/`: the term at a glance, the numbers a principal asks for, each with its page.

Every figure is counted by the selector the API reads for the same
administrator: students with a record in the term (`students_visible_to`),
identified students (`hardship_identifications`, the school year's rule) and
the identification queue (`assessments_visible_to`), pairs
(`pairings_visible_to`), the weekly rate (`compliance_summary`), the term's
sessions and home visits (`term_tutoring_figures`, the term report's own
count, academic and care pairings alike), money
awarded and paid (`awards_visible_to`, `disbursements_visible_to`) and funds
allocated and arrived for the district's projects (`projects_visible_to`), and
the reports (`reports_visible_to`). Only counts and sums are read, so the
page's queries do not grow with the rows.
"""

from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.money import yuan_grouped
from donations.models import AwardStatus, ProjectFunding
from donations.selectors.scoping import (
    awards_visible_to,
    disbursements_visible_to,
    projects_visible_to,
)
from mentoring.models import AssessmentStatus, PairingKind, PairingStatus, Term
from mentoring.selectors.compliance import compliance_summary
from mentoring.selectors.identification import assessments_visible_to
from mentoring.selectors.school_year import hardship_identifications
from mentoring.selectors.scoping import pairings_visible_to, students_visible_to
from mentoring.selectors.tutoring import term_tutoring_figures
from workers.reports import reports_visible_to

RECENT_REPORTS = 5
# The steps of identification still to be taken, in the workflow's order.
OPEN_STATES = [
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.INVESTIGATED,
    AssessmentStatus.CLASS_REVIEWED,
    AssessmentStatus.SCHOOL_REVIEWED,
    AssessmentStatus.PROPOSED,
    AssessmentStatus.PUBLICIZED,
]


def _rate(part: int, whole: int):
    return None if not whole else round(100 * part / whole, 1)


def term_glance(user, schools, term: Term) -> dict:
    school_ids = [school.pk for school in schools]
    in_district = [school for school in schools if school.district_id == term.district_id]
    students = (
        students_visible_to(user)
        .filter(school__in=school_ids, records__term=term)
        .distinct()
        .count()
    )
    identified = (
        hardship_identifications(term)
        .filter(student__school__in=school_ids)
        .values("student")
        .distinct()
        .count()
    )
    queue = dict(
        assessments_visible_to(user)
        .filter(term=term, student__school__in=school_ids, status__in=OPEN_STATES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    pairs = pairings_visible_to(user).filter(
        term=term, student__school__in=school_ids, status=PairingStatus.ACTIVE
    )
    pair_counts = pairs.aggregate(
        academic=Count("pk", filter=Q(kind=PairingKind.ACADEMIC)),
        care=Count("pk", filter=Q(kind=PairingKind.CARE)),
        mentors=Count("mentor", distinct=True),
    )
    weekly = compliance_summary(user=user, term_id=term.pk, administered_only=True)["totals"]
    awards = (
        awards_visible_to(user)
        .filter(term=term, student__school__in=school_ids)
        .exclude(status=AwardStatus.CANCELLED)
        .aggregate(n=Count("pk"), students=Count("student", distinct=True), fen=Sum("amount_fen"))
    )
    paid = (
        disbursements_visible_to(user)
        .filter(award__term=term, award__student__school__in=school_ids, reversal__isnull=True)
        .aggregate(fen=Sum("amount_fen"))
    )
    funding = ProjectFunding.objects.filter(
        term=term, project__in=projects_visible_to(user).filter(district=term.district_id)
    )
    allocated_fen = funding.aggregate(fen=Sum("amount_fen"))["fen"] or 0
    received_fen = funding.aggregate(fen=Sum("entries__amount_fen"))["fen"] or 0
    awarded_fen, paid_fen = awards["fen"] or 0, paid["fen"] or 0
    return {
        "students": students,
        "identified": identified,
        "identified_percent": _rate(identified, students),
        "queue": [(status, status.label, queue.get(status, 0)) for status in OPEN_STATES],
        "queue_total": sum(queue.values()),
        "pairs": pair_counts,
        "weekly": weekly,
        "tutoring": term_tutoring_figures(term=term, schools=in_district)["total"],
        "awards": awards["n"],
        "aided": awards["students"],
        "money": {
            "allocated": yuan_grouped(allocated_fen),
            "received": yuan_grouped(received_fen),
            "arrival_percent": _rate(received_fen, allocated_fen),
            "awarded": yuan_grouped(awarded_fen),
            "paid": yuan_grouped(paid_fen),
            "payout_percent": _rate(paid_fen, awarded_fen),
        },
    }


@require_GET
@admin_page
def home(request, schools):
    user = request.user
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    reports = reports_visible_to(user).select_related("term", "school", "district").order_by("-pk")
    if term is not None:
        reports = reports.filter(term=term)
    return render(
        request,
        TEMPLATES + "home.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "glance": term_glance(user, schools, term) if term else None,
            "reports": reports[:RECENT_REPORTS],
        },
    )
