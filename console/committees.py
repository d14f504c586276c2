"""`/console/identification/committees/`: the schools' review committees of a term.

Lists the class review groups and school review committees of the schools
the administrator administers (`committees_visible_to`, what the API's
`review-committees/` lists) for the chosen term, with their members and how
many decisions each has recorded, in a fixed number of queries. A committee
is formed with `committee_create` (the API's `POST review-committees/`);
members join and leave through `committee_member_add` and
`committee_member_remove`. A refusal shows the page again with every bad
field named and writes nothing; another school's committee answers 404.
Members are the committee's adults, not students: nothing is access-logged.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from console.form_problems import field_label, named_problems, service_call
from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import ValidationErrors
from mentoring.models import CommitteeMember, CommitteeRole, ReviewStage
from mentoring.selectors.applications import committees_visible_to
from mentoring.services import review_committees as services

# Blank member rows of the form that forms a committee: enough for most groups.
MEMBER_ROWS = 7


class CommitteeForm(forms.Form):
    term = forms.IntegerField(label=field_label("term"), min_value=1)
    school = forms.IntegerField(label=field_label("school"), min_value=1)
    stage = forms.ChoiceField(label=field_label("stage"), choices=ReviewStage.choices)
    class_name = forms.CharField(label=field_label("class"), max_length=20, required=False)
    name = forms.CharField(label=field_label("name"), max_length=100)


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    role = forms.ChoiceField(label=field_label("role"), choices=CommitteeRole.choices)


class RemoveForm(forms.Form):
    member = forms.IntegerField(label=field_label("committee member"), min_value=1)


def _members(post) -> tuple[list[dict], list[str]]:
    """The named rows of the member table, and what is wrong with their roles."""
    rows, wrong = [], []
    names, roles = post.getlist("member_name"), post.getlist("member_role")
    for name, role in zip(names, roles + [""] * len(names), strict=False):
        if not name.strip():
            continue
        if role not in CommitteeRole.values:
            wrong.append(_("Choose the role of %(name)s.") % {"name": name.strip()})
        rows.append({"name": name, "role": role})
    return rows, wrong


def _named(form, errors: ValidationErrors) -> list[str]:
    labels = {"members": _("Members"), "member": field_label("committee member")}
    return named_problems(form, errors, labels)


def _page(request, schools, *, term_id=None, problems=(), status=200, posted=None):
    terms = terms_of(schools)
    if term_id is not None:
        request.GET = request.GET.copy()
        request.GET["term"] = str(term_id)
    term = chosen_term(request, terms)
    committees = []
    if term is not None:
        committees = list(
            committees_visible_to(request.user)
            .filter(school__in=schools, term=term)
            .select_related("school")
            .prefetch_related(Prefetch("members", queryset=CommitteeMember.objects.order_by("pk")))
            .annotate(decision_count=Count("decisions", distinct=True))
            .order_by("school__code", "stage", "class_name", "pk")
        )
    return render(
        request,
        TEMPLATES + "committees.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "keep": [],
            "committees": committees,
            "stages": ReviewStage.choices,
            "roles": CommitteeRole.choices,
            "member_rows": range(MEMBER_ROWS),
            "problems": problems,
            "posted": posted,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@admin_page
def committees(request, schools):
    if request.method == "GET":
        return _page(request, schools)
    form = CommitteeForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    members, wrong_roles = _members(request.POST)
    errors = ValidationErrors()
    for message in wrong_roles:
        errors.add("members", message)
    fields = {
        "school_id": data.get("school"),
        "term_id": data.get("term"),
        "stage": data.get("stage"),
        "class_name": data.get("class_name"),
        "name": data.get("name"),
        "members": members,
    }

    def run():
        if valid and not errors:
            return services.committee_create(by=request.user, **fields)
        services.committee_create_problems(errors, by=request.user, **fields)

    committee, status = service_call(errors, run)
    if not valid or errors:
        return _page(
            request,
            schools,
            term_id=data.get("term"),
            problems=_named(form, errors),
            status=status,
            posted=request.POST,
        )
    messages.success(request, _("%(name)s formed.") % {"name": committee.name})
    return redirect(_back(committee))


def _back(committee) -> str:
    return reverse("console:committees") + f"?term={committee.term_id}#committee-{committee.pk}"


def _change(request, schools, committee_id: int, form_class, change):
    # Another school's committee and one that does not exist look the same (404).
    committee = get_object_or_404(
        committees_visible_to(request.user).filter(school__in=schools), pk=committee_id
    )
    form = form_class(request.POST)
    valid = form.is_valid()
    errors = ValidationErrors()
    _changed, status = service_call(
        errors, lambda: change(committee, form.cleaned_data, valid, errors)
    )
    if not valid or errors:
        return _page(
            request,
            schools,
            term_id=committee.term_id,
            problems=_named(form, errors),
            status=status,
        )
    messages.success(request, _("%(name)s changed.") % {"name": committee.name})
    return redirect(_back(committee))


@require_POST
@admin_page
def member_add(request, schools, committee_id: int):
    def change(committee, data, valid, errors):
        if valid:
            services.committee_member_add(
                by=request.user, committee=committee, name=data["name"], role=data["role"]
            )
        else:
            services.committee_member_problems(
                errors,
                by=request.user,
                committee=committee,
                name=data.get("name"),
                role=data.get("role"),
            )

    return _change(request, schools, committee_id, MemberForm, change)


@require_POST
@admin_page
def member_remove(request, schools, committee_id: int):
    def change(committee, data, valid, errors):
        if valid:
            services.committee_member_remove(
                by=request.user, committee=committee, member_id=data["member"]
            )
        else:
            # Only who may change the committee is left to check without a member.
            services.committee_member_problems(errors, by=request.user, committee=committee)

    return _change(request, schools, committee_id, RemoveForm, change)
