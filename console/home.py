"""`/console/`: the term at a glance, the numbers a principal asks for, each with its page.

Every figure is counted by the selector the API reads for the same
administrator: students with a record in the term (`students_visible_to`),
identified students (`hardship_identifications`, the school year's rule) and
the identification queue (`assessments_visible_to`), pairs
(`pairings_visible_to`), the weekly rate (`compliance_summary`), the term's
sessions and home visits (`term_tutoring_figures`, the term report's own
count, academic and care pairings alike), money
awarded and paid (`awards_visible_to`, `paid_fen_by_project`) and funds
allocated and arrived (`projects_visible_to`), by the term report's rules: a
school administrator's allocated and received leave out a project shared with
other schools (`funds_counted`), and the one rate shown for money is the
government funds' (`money_figures`), never one over government and social
money together; and the reports (`reports_visible_to`). Only counts and sums are read, so the
page's queries do not grow with the rows.
"""

from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.money import yuan_grouped
from donations.models import Award, AwardStatus, ProjectFunding
from donations.money_words import (
    AMOUNTS,
    FUND_GROUPS,
    GOVERNMENT,
    fund_group,
    funds_counted,
    money_figures,
)
from donations.selectors.scoping import (
    awards_visible_to,
    paid_fen_by_project,
    projects_visible_to,
)
from mentoring.models import AssessmentStatus, PairingKind, PairingStatus, School, Term
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


def _by_project(rows) -> dict[int, int]:
    return {project: fen or 0 for project, fen in rows}


def _money(user, school_ids: list[int], term: Term) -> dict:
    """Allocated, received, awarded and paid for the administrator's schools, by the report's rule.

    Awarded and paid are the schools' awards; allocated and received are a
    project's own, counted only where the report of these schools counts them
    (`funds_counted`). Government and social funds are added as amounts; the
    rates are the government funds' (`money_figures`), as in the report.
    """
    projects = {
        project.pk: project
        for project in projects_visible_to(user).filter(district=term.district_id)
    }
    whole_district = not (
        School.objects.filter(district_id=term.district_id).exclude(pk__in=school_ids).exists()
    )
    awards = Award.objects.filter(term=term, project__in=projects).exclude(
        status=AwardStatus.CANCELLED
    )
    district_awards = dict(awards.values_list("project").annotate(n=Count("pk")).order_by())
    own = {
        row["project"]: row
        for row in awards_visible_to(user)
        .filter(term=term, project__in=projects, student__school__in=school_ids)
        .exclude(status=AwardStatus.CANCELLED)
        .values("project")
        .annotate(n=Count("pk"), fen=Sum("amount_fen"))
        .order_by()
    }
    paid = paid_fen_by_project(user, term=term, projects=projects, school_ids=school_ids)
    funding = ProjectFunding.objects.filter(term=term, project__in=projects).values_list("project")
    allocated = _by_project(funding.annotate(fen=Sum("amount_fen")).order_by())
    received = _by_project(funding.annotate(fen=Sum("entries__amount_fen")).order_by())
    groups = {group: dict.fromkeys(AMOUNTS, 0) for group in FUND_GROUPS}
    for pk, project in projects.items():
        own_awards = own.get(pk, {}).get("n", 0)
        sums = groups[fund_group(project.source)]
        sums["awarded"] += own.get(pk, {}).get("fen") or 0
        sums["paid"] += paid.get(pk, 0)
        if (whole_district or own_awards) and funds_counted(
            whole_district=whole_district,
            district_awards=district_awards.get(pk, 0),
            own_awards=own_awards,
        ):
            sums["allocated"] += allocated.get(pk, 0)
            sums["received"] += received.get(pk, 0)
    government = money_figures(groups[GOVERNMENT])
    return {
        "whole_district": whole_district,
        **{name: yuan_grouped(sum(sums[name] for sums in groups.values())) for name in AMOUNTS},
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
