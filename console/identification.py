"""`/console/identification/`: the identification queue by state, each next step in one click.

The queue is `assessments_visible_to` (what the API's `assessments/` lists to
the same administrator) in `assessment_list`'s fixed number of queries, and the
buttons on each row are exactly `allowed_actions` for the administrator's roles
in the student's school today: nothing is offered that the workflow would
refuse. Each button posts to the service the API's action calls
(`assessment_review`, `assessment_publicize`, `objection_answer`,
`assessment_approve`, `assessment_reject`); a refusal (an action out of
order, a notice still running, an objection unanswered) is shown with its
message and status, and nothing is written. Rows under public notice show the
notice's days and every objection with its answer.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console.form_problems import about_student, list_as_posted
from console.identification_choices import step_choices
from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError, FieldErrors
from mentoring.models import AccessAction, AssessmentStatus, Objection, RecheckChange, Role
from mentoring.selectors.identification import (
    assessment_list,
    assessments_visible_to,
    roles_by_school,
)
from mentoring.services import identification as services
from mentoring.services.access_log import access_record_request

PAGE_ROWS = 200
STATES = [
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.INVESTIGATED,
    AssessmentStatus.CLASS_REVIEWED,
    AssessmentStatus.SCHOOL_REVIEWED,
    AssessmentStatus.PROPOSED,
    AssessmentStatus.PUBLICIZED,
    AssessmentStatus.APPROVED,
    AssessmentStatus.REJECTED,
]


class ReviewForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Findings or minutes"), max_length=4000)
    tier = forms.CharField(label=gettext_lazy("Tier"), max_length=30, required=False)


class PublicizeForm(forms.Form):
    notice_starts_on = forms.DateField(label=gettext_lazy("Notice starts on"), required=False)


class ApproveForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=4000, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=4000)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Answer"), max_length=4000)


def _review(user, assessment, data, _objection):
    services.assessment_review(by=user, assessment=assessment, note=data["note"], tier=data["tier"])


def _publicize(user, assessment, data, _objection):
    services.assessment_publicize(
        by=user, assessment=assessment, starts_on=data["notice_starts_on"]
    )


def _answer(user, assessment, data, objection):
    services.objection_answer(
        by=user, assessment=assessment, objection=objection, answer=data["answer"]
    )


def _approve(user, assessment, data, _objection):
    services.assessment_approve(by=user, assessment=assessment, note=data["note"])


def _reject(user, assessment, data, _objection):
    services.assessment_reject(by=user, assessment=assessment, reason=data["reason"])


# Each action the page offers: its form and the service the API's action calls.
ACTIONS = {
    services.Action.REVIEW: (ReviewForm, _review),
    services.Action.PUBLICIZE: (PublicizeForm, _publicize),
    services.Action.ANSWER: (AnswerForm, _answer),
    services.Action.APPROVE: (ApproveForm, _approve),
    services.Action.REJECT: (RejectForm, _reject),
}


def _queue(request, schools, *, problem: str = "", status: int = 200):
    user = request.user
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    state = request.GET.get("state", "")
    if state not in STATES:
        state = ""
    visible = assessments_visible_to(user).filter(student__school__in=schools)
    if term is not None:
        visible = visible.filter(term=term)
    counts = dict(visible.values_list("status").annotate(n=Count("pk")).order_by())
    rows = assessment_list(visible.filter(status=state) if state else visible).prefetch_related(
        Prefetch(
            "objections",
            queryset=Objection.objects.order_by("filed_at", "pk"),
            to_attr="all_objections",
        )
    )
    rows = list(rows.order_by("student__school__code", "grade", "class_name", "pk")[:PAGE_ROWS])
    roles = roles_by_school(user)
    today = timezone.localdate()
    for row in rows:
        held = set(roles.get(row.student.school_id, ()))
        if user.is_superuser:
            held.add(Role.ADMINISTRATOR)
        row.actions = services.allowed_actions(
            assessment=row,
            roles=held,
            today=today,
            unanswered_objections=bool(row.unanswered_objections),
        )
        row.tier_label = services.tier_name(row.term.district, row.tier) if row.tier else ""
        row.tiers = [
            (code, services.tier_name(row.term.district, code))
            for code in services.tier_choices(row.term.district)
        ]
    # What the investigate and committee-decision forms offer (console/identification_steps.py).
    refused = getattr(request, "refused_step", None)
    step_choices(rows, refused=refused)
    for row in rows:
        # The school review proposes a tier (`review_tier_problem`): the application's
        # own, or none, chosen then; a re-check of a student who left proposes none.
        row.proposes_tier = (
            row.status == AssessmentStatus.CLASS_REVIEWED and row.change != RecheckChange.LEFT
        )
        row.tier_chosen = row.posted.get("tier", "") if row.posted_action else row.tier
        row.pk_text = str(row.pk)
    if rows:
        # Names are served, as by the API's list: recorded in the access log,
        # also when a refused step shows the queue again with its problem.
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="assessment",
            student_ids=[row.student_id for row in rows],
        )
    queue_next = (
        reverse("console:identification")
        + "?"
        + urlencode({"term": term.pk if term else "", **({"state": state} if state else {})})
    )
    return render(
        request,
        TEMPLATES + "identification.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "state": state,
            "states": [(s, s.label, counts.get(s, 0)) for s in STATES],
            "total": sum(counts.values()),
            "rows": rows,
            "truncated": len(rows) == PAGE_ROWS,
            "keep": [("state", state)] if state else [],
            "problem": problem,
            "today": today,
            # What a date input takes (its value and max): ISO, whatever the language.
            "today_iso": today.isoformat(),
            # Where every step's form comes back to: the queue as shown, never the URL
            # of a refused step (a POST-only URL, which a later click would GET).
            "queue_next": queue_next,
            # Drawn in answer to a refused step: the address bar shows the queue at the
            # refused row (console/shown_at.js), so that a reload reads, never posts again.
            "shown_at": f"{queue_next}#assessment-{refused[0]}" if refused else "",
        },
        status=status,
    )


@require_GET
@admin_page
def queue(request, schools):
    return _queue(request, schools)


@require_POST
@admin_page
def act(request, schools, assessment_id: int, action: str):
    # A foreign assessment and one that does not exist look the same (404).
    assessment = get_object_or_404(_actionable(request.user), pk=assessment_id)
    return _perform(request, schools, assessment, action, None)


@require_POST
@admin_page
def answer(request, schools, objection_id: int):
    objection = get_object_or_404(
        Objection.objects.filter(assessment__in=_actionable(request.user)), pk=objection_id
    )
    return _perform(request, schools, objection.assessment, services.Action.ANSWER, objection)


def _actionable(user):
    return assessments_visible_to(user).select_related("student__school", "term__district")


def _perform(request, schools, assessment, action: str, objection):
    form_class, perform = ACTIONS[action]
    form = form_class(request.POST)
    back = _shown_again(request, assessment, action)
    if not form.is_valid():
        named = "; ".join(
            f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
        )
        return _refused(request, schools, assessment, named, 400)
    try:
        perform(request.user, assessment, form.cleaned_data, objection)
    except FieldErrors as error:
        named = " ".join(str(m) for found in error.errors.values() for m in found)
        return _refused(request, schools, assessment, named, error.status_code)
    except DomainError as error:
        return _refused(request, schools, assessment, str(error.message), error.status_code)
    messages.success(
        request,
        _("%(student)s: %(action)s done.")
        % {"student": assessment.student.name, "action": services.ACTION_NAMES[action]},
    )
    return redirect(back or reverse("console:identification") + f"?term={assessment.term_id}")


def _shown_again(request, assessment, action: str) -> str:
    """Ready the queue to be drawn again after a refused step, as the form was posted from.

    The queue's filters are those of its posted `next` (`list_as_posted`), in the
    assessment's term; its row shows the refused form open with what was typed.
    Answers the queue's URL to go back to after a step taken ("" when not posted).
    """
    back = list_as_posted(request, reverse("console:identification"))
    request.GET["term"] = str(assessment.term_id)
    request.refused_step = (assessment.pk, action, request.POST)
    return back


def _refused(request, schools, assessment, problem: str, status: int):
    """The queue again, its problem named with the student: the queue shows many."""
    return _queue(
        request, schools, problem=about_student(assessment.student, problem), status=status
    )
