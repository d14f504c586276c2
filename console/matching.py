"""`/console/matching/`: start the term's matching run, watch it, review its proposal, approve it.

Starting is `match_run_start` and approving `match_run_approve`, the services
behind the API's `match-runs/` and `…/approve/`; the runs are
`runs_visible_to` (only runs whose every school the administrator runs). A
run's page reloads itself while its job solves, then lists the proposal
(filtered by school; each pair with the solver's reasons), the students left
unmatched with why, and the mentors below their minimum. Its figures are
counted from the run's rows as they stand (`proposal_figures`), so a student
whose pair was removed by hand is listed unmatched, with who removed it and
when. Serving the proposal names students: access-logged as the API's
`pairs/` is.

The start form takes the run's weights and rules, prefilled with the
defaults; what it posts goes to the service as typed, so that
`match_run_start_problems` judges every input and the page shows each of its
refusals at once. On a proposed run an administrator changes a pair's
mentor, removes a pair, or adds one for an unmatched student, through
`match_run_pair_change`, `match_run_pair_remove` and `match_run_pair_add`
(the API's `pairs/` calls); a pair's mentor, or an unmatched student's, is
chosen among those the pairing rules allow for it (`match_run_pair_mentors`,
the rule those services check), and a refusal is shown in the service's
words and nothing is written. Approving asks for a tick saying how many
pairs and unmatched students were reviewed, below the proposal; a missing
tick, or figures changed since the page was shown, approve nothing.
"""

import dataclasses
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError, FieldErrors
from core.wordlists import listed
from mentoring.matching.candidates import Weights
from mentoring.models import (
    AccessAction,
    MatchRunStatus,
    Mentor,
    PairingKind,
    ProposedPair,
    Student,
    Subject,
    User,
)
from mentoring.selectors.match_runs import (
    REMOVED_BY_HAND,
    pairings_kept_by,
    proposal_figures,
    runs_visible_to,
)
from mentoring.selectors.pairing_rules import unmatched_message
from mentoring.services.access_log import access_record_request
from mentoring.services.match_runs import (
    match_run_approve,
    match_run_pair_add,
    match_run_pair_change,
    match_run_pair_mentors,
    match_run_pair_remove,
    match_run_start,
)

RECENT = 20
PROPOSAL_ROWS = 500
KEPT_ROWS = 500
REFRESH_SECONDS = 2
# The solver's weights (mentoring.matching.candidates.Weights), each with what it costs.
WEIGHT_LABELS = {
    "subject_miss": gettext_lazy("Per weak subject the mentor does not teach"),
    "grade_miss": gettext_lazy("When the mentor does not teach the student's grade"),
    "continuity": gettext_lazy("Saved when the mentor is last term's mentor"),
    "unmatched": gettext_lazy(
        "Leaving a student unmatched, by need, neediest first (comma-separated)"
    ),
    "unmatched_unranked": gettext_lazy("Leaving a student without a tier unmatched"),
    "load_step": gettext_lazy("Each further mentee of one mentor costs this much more"),
    "max_candidates": gettext_lazy("Mentors considered per student"),
}
WHOLE_NUMBER = re.compile(r"\s*-?\d{1,9}\s*")


def _typed(text: str):
    """A whole number typed in a box as an int; anything else as typed, for the service."""
    return int(text) if WHOLE_NUMBER.fullmatch(text) else text


def _posted_weights(post) -> dict:
    weights = {}
    for name in WEIGHT_LABELS:
        text = post.get(f"weight_{name}")
        if text is None:
            continue
        if name == "unmatched":
            weights[name] = [_typed(part) for part in text.split(",") if part.strip()]
        else:
            weights[name] = _typed(text)
    return weights


def _posted_rules(post) -> dict:
    if "same_gender_from_age" not in post:
        return {}
    text = post["same_gender_from_age"]
    # An empty box switches the rule off (the service refuses it where the district has one).
    return {"same_gender_from_age": _typed(text) if text.strip() else None}


def _weight_fields(posted: dict | None) -> list[dict]:
    defaults = dataclasses.asdict(Weights())
    fields = []
    for name, label in WEIGHT_LABELS.items():
        value = (posted or {}).get(f"weight_{name}")
        if value is None:
            default = defaults[name]
            value = ", ".join(map(str, default)) if name == "unmatched" else str(default)
        fields.append({"name": name, "label": label, "value": value})
    return fields


def _problems(error: DomainError) -> list[str]:
    if isinstance(error, FieldErrors):
        return [str(message) for found in error.errors.values() for message in found]
    return [str(error.message)]


SAME_GENDER_LABEL = gettext_lazy("Same-gender mentors from the age of")


def _start_problems(error: DomainError) -> list[str]:
    """The service's refusals of a start, reworded for the form where they name its codes.

    `match_run_start_problems` words them for the API's clients (weights by their
    keys, "null"); the page names the boxes by their labels. The service's message
    in the request's language is matched, so every refusal still comes from the service.
    """
    page_words = {
        _("Choose academic, care or both."): _("Choose at least one kind of pairing."),
        _("unmatched takes a list of costs, neediest first."): _(
            "%(label)s: one or more whole numbers, separated by commas."
        )
        % {"label": WEIGHT_LABELS["unmatched"]},
        _("max_candidates must be at least 1."): _("%(label)s: at least 1.")
        % {"label": WEIGHT_LABELS["max_candidates"]},
        _("same_gender_from_age is an age from 0 to 20, or null to switch it off."): _(
            "%(label)s: an age from 0 to 20, or an empty box for no such rule."
        )
        % {"label": SAME_GENDER_LABEL},
    }
    for name, label in WEIGHT_LABELS.items():
        said = _("Each weight is a whole number from 0 to 100000 (%(name)s).") % {"name": name}
        page_words[said] = _("%(label)s: a whole number from 0 to 100000.") % {"label": label}
    return [page_words.get(problem, problem) for problem in _problems(error)]


@require_http_methods(["GET", "POST"])
@admin_page
def runs(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    problems, status, posted = [], 200, None
    if request.method == "POST":
        posted = request.POST
        term_id = posted.get("term", "")
        term = next((t for t in terms if str(t.pk) == term_id), term)
        school_ids = [int(v) for v in posted.getlist("schools") if v.isdigit()]
        try:
            run = match_run_start(
                by=request.user,
                term_id=int(term_id) if term_id.isdigit() else 0,
                kinds=posted.getlist("kinds"),
                school_ids=school_ids or None,
                weights=_posted_weights(posted),
                rules=_posted_rules(posted),
            )
        except DomainError as error:
            problems, status = _start_problems(error), error.status_code
        else:
            messages.success(request, _("The matching run was started."))
            return redirect("console:match-run", run_id=run.pk)
    listed = runs_visible_to(request.user).prefetch_related("schools").order_by("-pk")[:RECENT]
    if posted is not None:
        age = posted.get("same_gender_from_age", "")
        kinds_chosen = posted.getlist("kinds")
        schools_chosen = posted.getlist("schools")
    else:
        policy = term.district.same_gender_from_age if term else None
        age = "" if policy is None else str(policy)
        kinds_chosen, schools_chosen = list(PairingKind.values), []
    return render(
        request,
        TEMPLATES + "matching.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "runs": listed,
            "kinds": PairingKind.choices,
            "kinds_chosen": kinds_chosen,
            "schools_chosen": schools_chosen,
            "weights": _weight_fields(posted),
            "same_gender_label": SAME_GENDER_LABEL,
            "same_gender_from_age": age,
            "problems": problems,
        },
        status=status,
    )


def _run(request, run_id: int):
    return get_object_or_404(runs_visible_to(request.user).prefetch_related("schools"), pk=run_id)


@require_GET
@admin_page
def run(request, schools, run_id: int):
    edit = request.GET.get("edit", "")
    return _run_page(
        request,
        _run(request, run_id),
        edit=int(edit) if edit.isdigit() else None,
        pair=request.GET.get("pair", ""),
    )


def _run_mentors(ids: list[int]) -> list[tuple[int, str]]:
    """The mentors of `ids`, by real name, for the page's choices."""
    if not ids:
        return []
    mentors = Mentor.objects.filter(pk__in=ids).select_related("user")
    named = [
        (
            m.pk,
            _("%(name)s (%(role)s)") % {"name": m.user.display_name, "role": m.get_kind_display()},
        )
        for m in mentors
    ]
    return sorted(named, key=lambda pair: (pair[1], pair[0]))


def _display_names(usernames) -> dict[str, str]:
    """Users' real names by username: a run's summary and a pair's reasons record who
    changed it by username; the page names them as everywhere else (one query)."""
    usernames = {name for name in usernames if name}
    if not usernames:
        return {}
    return {u.username: u.display_name for u in User.objects.filter(username__in=usernames)}


def _removers(figures: dict) -> set[str]:
    """Who removed a pair by hand, as the run's summary records them."""
    return {
        row["by"]
        for f in figures.values()
        for row in f.get("unmatched_students", [])
        if row["reason"] == REMOVED_BY_HAND
    }


def _unmatched_rows(chosen, figures: dict, school: str, names: dict[str, str]) -> list[dict]:
    """Per kind, its figures and unmatched students (of the chosen school), named, with why;
    `names`: `_display_names` of the run's removers."""
    kinds = []
    ids = {row["student"] for f in figures.values() for row in f.get("unmatched_students", [])}
    students = {
        pk: (name, school_id, school_name)
        for pk, name, school_id, school_name in Student.objects.filter(pk__in=ids).values_list(
            "pk", "name", "school_id", "school__name"
        )
    }
    for kind, found in figures.items():
        unmatched = []
        for row in found.get("unmatched_students", []):
            name, school_id, school_name = students.get(row["student"], ("", None, ""))
            if school.isdigit() and school_id != int(school):
                continue
            row = {**row, "name": name, "school": school_name, "pair": f"{kind}:{row['student']}"}
            if row["reason"] == REMOVED_BY_HAND:
                row["removed_at"] = parse_datetime(row["at"])
                row["by"] = names.get(row["by"], row["by"])
            else:
                # Why the student has no mentor, in words (a rule as the API words it).
                row["reason"] = unmatched_message(row["reason"], district=chosen.term.district)
            unmatched.append(row)
        kinds.append(
            {
                "kind": PairingKind(kind).label,
                "code": kind,
                "figures": found,
                "unmatched": unmatched,
            }
        )
    return kinds


def _pair_mentors(chosen, pair: str) -> list[tuple[int, str]]:
    """The mentors the pairing rules allow for the unmatched student being paired ("kind:id")."""
    kind, _sep, student = pair.partition(":")
    if kind not in PairingKind.values or not student.isdigit():
        return []
    return _run_mentors(match_run_pair_mentors(run=chosen, student_id=int(student), kind=kind))


def _replace_mentors(chosen, kept: list, replace: str) -> list[tuple[int, str]]:
    """The mentors the pairing rules allow for the kept pairing being replaced, but its own."""
    pairing = next((p for p in kept if str(p.pk) == replace), None)
    if pairing is None:
        return []
    allowed = match_run_pair_mentors(run=chosen, student_id=pairing.student_id, kind=pairing.kind)
    return _run_mentors([pk for pk in allowed if pk != pairing.mentor_id])


def _totals(figures: dict) -> tuple[int, int]:
    """The pairs proposed and the students unmatched over all kinds: what approving ticks."""
    pairs = sum(f.get("proposed", 0) for f in figures.values())
    return pairs, sum(f.get("unmatched", 0) for f in figures.values())


def _run_page(
    request,
    chosen,
    *,
    edit=None,
    pair="",
    problems=(),
    status: int = 200,
    chosen_mentor="",
):
    school = request.GET.get("school", "")
    proposals = ProposedPair.objects.filter(run=chosen).select_related(
        "pairing__student__school", "pairing__mentor__user"
    )
    if school.isdigit():
        proposals = proposals.filter(pairing__student__school_id=int(school))
    reason = request.GET.get("reason", "")
    if reason in REASON_FILTERS:
        proposals = proposals.filter(REASON_FILTERS[reason][1])
    else:
        reason = ""
    shown = urlencode(
        {key: value for key, value in (("school", school), ("reason", reason)) if value}
    )
    proposals = list(proposals.order_by("pairing__kind", "pairing__student_id")[:PROPOSAL_ROWS])
    figures = proposal_figures(chosen)
    names = _display_names(
        {(p.reasons or {}).get("changed_by") for p in proposals} | _removers(figures)
    )
    for proposal in proposals:
        proposal.reason_words = reason_words(proposal.reasons or {})
        changed_at = (proposal.reasons or {}).get("changed_at")
        proposal.changed_at = parse_datetime(changed_at) if changed_at else None
        changed_by = (proposal.reasons or {}).get("changed_by")
        proposal.changed_by = names.get(changed_by, changed_by)
    kinds = _unmatched_rows(chosen, figures, school, names)
    unmatched_ids = {row["student"] for k in kinds for row in k["unmatched"]}
    served = [p.pairing.student_id for p in proposals] + sorted(unmatched_ids)
    if served:
        access_record_request(
            request, action=AccessAction.LIST, kind="proposedpair", student_ids=served
        )
    # The active pairings the run leaves as they are (a run after an approved one
    # proposes only what is new): named, so recorded as the API's `pairings/` is.
    kept = list(
        pairings_kept_by(chosen).order_by("kind", "student__school__code", "student__name", "pk")[
            :KEPT_ROWS
        ]
    )
    if kept:
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="pairing",
            student_ids=[p.student_id for p in kept],
        )
    busy = chosen.status in (MatchRunStatus.PENDING, MatchRunStatus.RUNNING)
    editable = chosen.status == MatchRunStatus.PROPOSED
    return render(
        request,
        TEMPLATES + "match_run.html",
        {
            "run": chosen,
            "job": chosen.job,
            "refresh": REFRESH_SECONDS if busy and not problems else None,
            "proposals": proposals,
            "kinds": kinds,
            "school": school,
            "reason": reason,
            "reasons": [(code, label) for code, (label, _q) in REASON_FILTERS.items()],
            "shown": shown,
            "run_schools": list(chosen.schools.all()),
            "approvable": editable,
            "editable": editable,
            "edit": edit,
            "pair": pair,
            "pair_mentors": _pair_mentors(chosen, pair) if editable and pair else [],
            "edit_mentors": _edit_mentors(chosen, edit) if editable else [],
            "totals": _totals(figures),
            "chosen_mentor": chosen_mentor,
            "problems": problems,
            "kept": kept,
            "replace_mentors": _replace_mentors(chosen, kept, request.GET.get("replace", ""))
            if editable
            else [],
            "kept_truncated": len(kept) == KEPT_ROWS,
            "replace": request.GET.get("replace", ""),
        },
        status=status,
    )


def _edit_mentors(chosen, edit: int | None) -> list[tuple[int, str]]:
    """The mentors the pairing rules allow for the pair being changed (`match_run_pair_mentors`)."""
    pairing = (
        ProposedPair.objects.filter(run=chosen, pk=edit)
        .values("pairing__student_id", "pairing__kind")
        .first()
    )
    if pairing is None:
        return []
    allowed = match_run_pair_mentors(
        run=chosen, student_id=pairing["pairing__student_id"], kind=pairing["pairing__kind"]
    )
    return _run_mentors(allowed)


# The proposal filtered by what the solver says of a pair (`reason_words`' keys).
REASON_FILTERS = {
    "no_subject": (
        gettext_lazy("Teaches none of the weak subjects"),
        Q(reasons__subjects_matched=[]),
    ),
    "other_grade": (
        gettext_lazy("Does not teach the student's grade"),
        Q(reasons__grade_fit=False),
    ),
    "continuity": (gettext_lazy("Last term's mentor"), Q(reasons__continuity=True)),
    "by_hand": (gettext_lazy("Changed by hand"), Q(by_hand=True)),
}


def reason_words(reasons: dict) -> list[str]:
    """The solver's reasons for a pair (mentoring.matching.candidates.reasons) in words."""
    words = []
    for key, value in reasons.items():
        if key == "subjects_matched":
            subjects = listed(Subject(v).label if v in Subject.values else v for v in value)
            words.append(
                _("Teaches the weak subjects: %(subjects)s") % {"subjects": subjects}
                if value
                else _("Teaches none of the weak subjects")
            )
        elif key == "grade_fit" and value is not None:
            words.append(
                _("Teaches the student's grade")
                if value
                else _("Does not teach the student's grade")
            )
        elif key == "continuity" and value:
            words.append(_("Last term's mentor"))
        elif key not in ("grade_fit", "changed_by", "changed_at"):
            # Shown as given; a change by hand is marked beside the mentor.
            words.append(f"{key}: {value}")
    return words


def _proposal(request, proposal_id: int) -> tuple:
    """The proposed pair and its run, when the run is the administrator's (else 404)."""
    proposal = get_object_or_404(
        ProposedPair.objects.filter(run__in=runs_visible_to(request.user)).select_related(
            "pairing__student"
        ),
        pk=proposal_id,
    )
    return proposal, _run(request, proposal.run_id)


def _posted_id(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


@require_POST
@admin_page
def pair_change(request, schools, proposal_id: int):
    proposal, chosen = _proposal(request, proposal_id)
    mentor_id = _posted_id(request, "mentor")
    if mentor_id is None:
        return _run_page(
            request, chosen, edit=proposal.pk, problems=[_("Choose a mentor.")], status=400
        )
    try:
        match_run_pair_change(run=chosen, by=request.user, proposal=proposal, mentor_id=mentor_id)
    except DomainError as error:
        return _run_page(
            request,
            chosen,
            edit=proposal.pk,
            problems=_problems(error),
            status=error.status_code,
            chosen_mentor=str(mentor_id),
        )
    messages.success(
        request,
        _("%(student)s has a new mentor.") % {"student": proposal.pairing.student.name},
    )
    return redirect("console:match-run", run_id=chosen.pk)


@require_POST
@admin_page
def pair_remove(request, schools, proposal_id: int):
    proposal, chosen = _proposal(request, proposal_id)
    try:
        match_run_pair_remove(run=chosen, by=request.user, proposal=proposal)
    except DomainError as error:
        return _run_page(request, chosen, problems=_problems(error), status=error.status_code)
    messages.success(
        request,
        _("The pair of %(student)s was removed from the proposal.")
        % {"student": proposal.pairing.student.name},
    )
    return redirect("console:match-run", run_id=chosen.pk)


@require_POST
@admin_page
def pair_add(request, schools, run_id: int):
    chosen = _run(request, run_id)
    # The student is chosen among the unmatched of one kind: posted as "kind:student".
    kind, _sep, student = request.POST.get("student", "").partition(":")
    mentor_id = _posted_id(request, "mentor")
    missing = []
    if not student.isdigit() or kind not in PairingKind.values:
        missing.append(_("Choose an unmatched student."))
    if mentor_id is None:
        missing.append(_("Choose a mentor."))
    # Refused, the page opens the student's form again.
    pair = request.POST.get("student", "")
    if missing:
        return _run_page(request, chosen, pair=pair, problems=missing, status=400)
    try:
        match_run_pair_add(
            run=chosen, by=request.user, student_id=int(student), mentor_id=mentor_id, kind=kind
        )
    except DomainError as error:
        return _run_page(
            request,
            chosen,
            pair=pair,
            problems=_problems(error),
            status=error.status_code,
            chosen_mentor=str(mentor_id),
        )
    messages.success(request, _("The pair was added to the proposal."))
    return redirect("console:match-run", run_id=chosen.pk)


@require_POST
@admin_page
def approve(request, schools, run_id: int):
    chosen = _run(request, run_id)
    # The tick says what was reviewed; the proposal must still be that when approved.
    ticked, (pairs, unmatched) = request.POST.get("reviewed", ""), _totals(proposal_figures(chosen))
    if ticked != f"{pairs}:{unmatched}":
        if not ticked:
            problem = _("Tick the box to confirm that you have reviewed the proposal.")
        else:
            problem = _(
                "The proposal changed since you reviewed it: it now has %(pairs)s pairs and "
                "%(unmatched)s unmatched students. Review it again before approving."
            ) % {"pairs": pairs, "unmatched": unmatched}
        return _run_page(request, chosen, problems=[problem], status=400)
    try:
        match_run_approve(run=chosen, by=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The proposal was approved: its pairs are active."))
    return redirect("console:match-run", run_id=chosen.pk)
