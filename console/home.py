"""`/console/`: the term at a glance, the numbers a principal asks for, each with its page.

Every figure is counted by the selector the API reads for the same
administrator: students with a record in the term (`students_visible_to`),
identified students (`hardship_identifications`, the school year's rule) and
the identification queue (`assessments_visible_to`), pairs
(`pairings_visible_to`), the weekly rate (`compliance_summary`), the term's
sessions and home visits (`term_tutoring_figures`, the term report's own
count, academic and care pairings alike), money
awarded and paid and funds allocated and arrived (`term_money`, which the aid
page lists per project), by the term report's rules: a
school administrator's allocated and received leave out a project shared with
other schools (`funds_counted`), and the one rate shown for money is the
government funds' (`money_figures`), never one over government and social
money together; and the reports (`reports_visible_to`). Only counts and sums are read, so the
page's queries do not grow with the rows.
"""

from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.money import yuan_grouped
from donations.models import AwardStatus
from donations.money_words import AMOUNTS, GOVERNMENT, money_figures
from donations.selectors.scoping import awards_visible_to
from donations.selectors.term_money import term_money
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


def _money(user, school_ids: list[int], term: Term) -> dict:
    """Allocated, received, awarded and paid for the administrator's schools, by the report's rule.

    The sums of `term_money`, the selector the aid page lists per project:
    awarded and paid are the schools' awards; allocated and received a
    project's own, counted only where the report of these schools counts them
    (`funds_counted`). Government and social funds are added as amounts; the
    rates are the government funds' (`money_figures`), as in the report.
    """
    money = term_money(user, term=term, school_ids=school_ids)
    government = money_figures(money.groups[GOVERNMENT])
    return {
        "whole_district": money.whole_district,
        **{
            name: yuan_grouped(sum(sums[name] for sums in money.groups.values()))
            for name in AMOUNTS
        },
        "arrival_rate": government["arrival_rate"],
        "payout_rate": government["payout_rate"],
    }


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
        .aggregate(n=Count("pk"), students=Count("student", distinct=True))
    )
    money = _money(user, school_ids, term)
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
        "money": money,
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
