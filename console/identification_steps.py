"""The queue's steps that rest on a record: the investigation and a committee's decision.

`POST /console/identification/<id>/investigate/` records the class teacher's
investigation with its home visit (`applications.investigation_record`, the
`submitted → investigated` step); `POST …/<id>/committee-decision/` records
the class review group's or the school committee's decision
(`review_committees.committee_decide`, which takes the review step or
rejects). Each asks first whether the step may be taken (the API's
`check_may_investigate`, `check_may_decide`: out of order 409, a role that
may not 403), then checks the form and the service's own rules together, so
one answer names every bad field. A refusal shows the queue again with its
reason, access-logged like any refused step of the queue; nothing is written.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.form_problems import field_label, named_problems
from console.identification import _actionable, _refused, _shown_again
from console.pages import admin_page
from core.errors import DomainError, FieldErrors, ValidationErrors
from mentoring.models import CommitteeOutcome
from mentoring.services import applications as investigations
from mentoring.services import review_committees as committees
from mentoring.services.assessment_rules import ACTION_NAMES, Action

TEXT = investigations.MAX_TEXT_LENGTH


class InvestigateForm(forms.Form):
    investigated_on = forms.DateField(label=field_label("investigated on"))
    investigators = forms.CharField(label=field_label("investigated by"), max_length=200)
    findings = forms.CharField(label=field_label("findings"), max_length=TEXT)
    visited_on = forms.DateField(label=field_label("home visit on"), required=False)
    visit_session = forms.IntegerField(
        label=field_label("home-visit session"), min_value=1, required=False
    )


class IdListField(forms.Field):
    """Ids ticked in a list of checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            invalid = forms.IntegerField.default_error_messages["invalid"]
            raise forms.ValidationError(invalid, code="invalid") from None

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class CommitteeDecisionForm(forms.Form):
    committee = forms.IntegerField(label=field_label("committee"), min_value=1)
    decided_on = forms.DateField(label=field_label("decided on"))
    members_present = IdListField(label=field_label("members present"))
    outcome = forms.ChoiceField(label=field_label("outcome"), choices=CommitteeOutcome.choices)
    votes_for = forms.IntegerField(label=field_label("votes for"), min_value=0, required=False)
    votes_against = forms.IntegerField(
        label=field_label("votes against"), min_value=0, required=False
    )
    votes_abstaining = forms.IntegerField(
        label=field_label("abstentions"), min_value=0, required=False
    )
    tier = forms.CharField(label=field_label("Tier"), max_length=30, required=False)
    # Required only when not agreed: the service's rule (committee_decision_problems).
    note = forms.CharField(label=field_label("note"), max_length=TEXT, required=False)


def _investigation_problems(errors, assessment, data, _stage):
    investigations.investigation_problems(
        errors,
        assessment=assessment,
        investigated_on=data.get("investigated_on"),
        investigators=data.get("investigators"),
        findings=data.get("findings"),
        visited_on=data.get("visited_on"),
        visit_session_id=data.get("visit_session"),
    )


def _investigate(user, assessment, data):
    investigations.investigation_record(
        by=user,
        assessment=assessment,
        investigated_on=data["investigated_on"],
        investigators=data["investigators"],
        findings=data["findings"],
        visited_on=data["visited_on"],
        visit_session_id=data["visit_session"],
    )


def _decision_problems(errors, assessment, data, stage):
    committees.committee_decision_problems(
        errors,
        assessment=assessment,
        stage=stage,
        committee_id=data.get("committee"),
        decided_on=data.get("decided_on"),
        members_present=data.get("members_present"),
        outcome=data.get("outcome"),
        votes=(data.get("votes_for"), data.get("votes_against"), data.get("votes_abstaining")),
        tier=_proposed_tier(data),
        note=data.get("note"),
    )


def _proposed_tier(data) -> str | None:
    """The tier the form proposes: only an agreeing decision proposes one (the school
    review's); the select, which shows the application's tier, is not read otherwise."""
    if data.get("outcome") == CommitteeOutcome.AGREED:
        return data.get("tier")
    return ""


def _decide(user, assessment, data):
    committees.committee_decide(
        by=user,
        assessment=assessment,
        committee_id=data["committee"],
        decided_on=data["decided_on"],
        members_present=data["members_present"],
        outcome=data["outcome"],
        votes_for=data["votes_for"],
        votes_against=data["votes_against"],
        votes_abstaining=data["votes_abstaining"],
        tier=_proposed_tier(data),
        note=data["note"],
    )


# Each step: its form, the check that it may be taken at all (answering the stage a
# decision is for), the service's checks of the fields, and the service that records it.
STEPS = {
    Action.INVESTIGATE: (
        InvestigateForm,
        lambda user, assessment: investigations.check_may_investigate(
            by=user, assessment=assessment
        ),
        _investigation_problems,
        _investigate,
    ),
    Action.COMMITTEE_DECISION: (
        CommitteeDecisionForm,
        lambda user, assessment: committees.check_may_decide(by=user, assessment=assessment),
        _decision_problems,
        _decide,
    ),
}


def _take(request, schools, assessment_id: int, action: str):
    form_class, may, problems, record = STEPS[action]
    # A foreign assessment and one that does not exist look the same (404).
    assessment = get_object_or_404(_actionable(request.user), pk=assessment_id)
    # A refusal shows the queue again as it was posted from, this row's form open.
    back = _shown_again(request, assessment, action)
    form = form_class(request.POST)
    errors = ValidationErrors()
    try:
        stage = may(request.user, assessment)
        valid = form.is_valid()
        # The service's checks of the fields the form read, with the form's own errors.
        problems(errors, assessment, form.cleaned_data, stage)
        if valid and not errors:
            record(request.user, assessment, form.cleaned_data)
    except FieldErrors as error:
        errors.add_error(error)
    except DomainError as error:
        return _refused(request, schools, assessment, str(error.message), error.status_code)
    if form.errors or errors:
        return _refused(request, schools, assessment, "; ".join(named_problems(form, errors)), 400)
    messages.success(
        request,
        _("%(student)s: %(action)s done.")
        % {"student": assessment.student.name, "action": ACTION_NAMES[action]},
    )
    return redirect(back or reverse("console:identification") + f"?term={assessment.term_id}")


@require_POST
@admin_page
def investigate(request, schools, assessment_id: int):
    return _take(request, schools, assessment_id, Action.INVESTIGATE)


@require_POST
@admin_page
def committee_decision(request, schools, assessment_id: int):
    return _take(request, schools, assessment_id, Action.COMMITTEE_DECISION)
