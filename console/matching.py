"""`/console/matching/`: start the term's matching run, watch it, review its proposal, approve it.

Starting is `match_run_start` and approving `match_run_approve`, the services
behind the API's `match-runs/` and `…/approve/`; the runs are
`runs_visible_to` (only runs whose every school the administrator runs). A
run's page reloads itself while its job solves, then lists the proposal
(filtered by school; each pair with the solver's reasons), the students left
unmatched with why, and the mentors below their minimum, from the run's
stored summary. Serving the proposal names students: access-logged as the
API's `pairs/` is.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError
from mentoring.models import (
    AccessAction,
    MatchRunStatus,
    PairingKind,
    ProposedPair,
    Student,
)
from mentoring.selectors.match_runs import runs_visible_to
from mentoring.selectors.pairing_rules import exclusion_message
from mentoring.services.access_log import access_record_request
from mentoring.services.match_runs import match_run_approve, match_run_start

RECENT = 20
PROPOSAL_ROWS = 500
REFRESH_SECONDS = 2
# The pairing rules `exclusion_message` words; other reasons are shown as the solver gives them.
EXCLUSION_RULES = {
    "mentor_kind",
    "other_school",
    "volunteer_not_vetted",
    "conflict",
    "safeguarding_gender",
}


@require_http_methods(["GET", "POST"])
@admin_page
def runs(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    problem, status = "", 200
    if request.method == "POST":
        term_id = request.POST.get("term", "")
        school_ids = [int(v) for v in request.POST.getlist("schools") if v.isdigit()]
        try:
            run = match_run_start(
                by=request.user,
                term_id=int(term_id) if term_id.isdigit() else 0,
                kinds=request.POST.getlist("kinds"),
                school_ids=school_ids or None,
            )
        except DomainError as error:
            problem, status = str(error.message), error.status_code
        else:
            messages.success(request, _("The matching run was started."))
            return redirect("console:match-run", run_id=run.pk)
    listed = runs_visible_to(request.user).prefetch_related("schools").order_by("-pk")[:RECENT]
    return render(
        request,
        TEMPLATES + "matching.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "runs": listed,
            "kinds": PairingKind.choices,
            "problem": problem,
        },
        status=status,
    )


def _run(request, run_id: int):
    return get_object_or_404(runs_visible_to(request.user).prefetch_related("schools"), pk=run_id)


@require_GET
@admin_page
def run(request, schools, run_id: int):
    chosen = _run(request, run_id)
    school = request.GET.get("school", "")
    proposals = ProposedPair.objects.filter(run=chosen).select_related(
        "pairing__student__school", "pairing__mentor__user"
    )
    if school.isdigit():
        proposals = proposals.filter(pairing__student__school_id=int(school))
    proposals = list(proposals.order_by("pairing__kind", "pairing__student_id")[:PROPOSAL_ROWS])
    kinds = []
    for kind, figures in ((chosen.summary or {}).get("kinds") or {}).items():
        unmatched = figures.get("unmatched_students", [])
        kinds.append({"kind": PairingKind(kind).label, "figures": figures, "unmatched": unmatched})
    unmatched_ids = {row["student"] for k in kinds for row in k["unmatched"]}
    names = dict(Student.objects.filter(pk__in=unmatched_ids).values_list("pk", "name"))
    for k in kinds:
        for row in k["unmatched"]:
            row["name"] = names.get(row["student"], "")
            # A rule that left the student no mentor, in the API's own words for it.
            if row["reason"] in EXCLUSION_RULES:
                row["reason"] = exclusion_message(row["reason"], district=chosen.term.district)
    served = [p.pairing.student_id for p in proposals] + sorted(unmatched_ids)
    if served:
        access_record_request(
            request, action=AccessAction.LIST, kind="proposedpair", student_ids=served
        )
    busy = chosen.status in (MatchRunStatus.PENDING, MatchRunStatus.RUNNING)
    return render(
        request,
        TEMPLATES + "match_run.html",
        {
            "run": chosen,
            "job": chosen.job,
            "refresh": REFRESH_SECONDS if busy else None,
            "proposals": proposals,
            "kinds": kinds,
            "school": school,
            "run_schools": list(chosen.schools.all()),
            "approvable": chosen.status == MatchRunStatus.PROPOSED,
        },
    )


@require_POST
@admin_page
def approve(request, schools, run_id: int):
    chosen = _run(request, run_id)
    try:
        match_run_approve(run=chosen, by=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The proposal was approved: its pairs are active."))
    return redirect("console:match-run", run_id=chosen.pk)
