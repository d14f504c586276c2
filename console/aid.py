"""`/console/aid/`: the term's aid projects, their allocation, awards, payments and late awards.

Every figure and row is read by the selector the API reads for the same
administrator, and every action is the API's service:

- the projects and their figures are `term_money`, the selector the console's
  home sums: the projects of the term's district (`projects_visible_to`, the
  API's `projects/`) that concern the administrator's schools; per project
  the term's funds allocated and arrived (its funding; the district's,
  labelled so and left out of the totals, when the project is shared with
  other schools, as the term report counts them), awarded and paid (the
  awards and payments of the administrator's own schools), each a sum
  grouped by project, so the page's queries do not grow with the rows;
- allocating is `allocate`, the API's `projects/{id}/allocate/`; the project's
  allocations are `allocations_of_project` and who was left out, and why, is
  `allocations_left_out_names` (only the administrator's own schools' students,
  named), as the API's `allocations/` answers;
- paying an instalment is `disbursement_pay`, the API's `disbursements/`: the
  form's own errors and `disbursement_pay_problems` are shown together, and
  nothing is written. The form carries a key made when it was shown, and the
  payment runs under it as the API's `Idempotency-Key` (core.idempotency.once):
  a second click of the same form replays the first answer and pays nothing;
- late awards are those the daily check (`awards_flag_late`) marked late and
  still unpaid.

Pages that name students record the read in the access log as the API's
`awards/` and `allocations/` do. Each award shows its student's guardian's
account masked (a read recorded too), and the pay form offers a transfer only
where one is on record (console.guardian_accounts, where it is recorded).
"""

import uuid

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from rest_framework.response import Response

from console.form_problems import (
    about_student,
    add_service_errors,
    form_problems,
    list_as_posted,
    service_call,
)
from console.guardian_accounts import account_of, offer_methods, record_accounts_shown
from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import ValidationErrors
from core.idempotency import MAX_KEY_LENGTH, once, request_fingerprint
from core.money import CENT, fen, yuan_amount
from core.money_text import yuan_text
from donations.models import MAX_INSTALMENTS, AwardStatus, Disbursement, FundSource, PaymentMethod
from donations.money_words import AMOUNTS
from donations.selectors.allocations import allocations_left_out_names, allocations_of_project
from donations.selectors.scoping import awards_visible_to, projects_visible_to
from donations.selectors.term_money import term_money
from donations.services.allocation import allocate, allocate_problems
from donations.services.disbursements import disbursement_pay, disbursement_pay_problems
from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request
from mentoring.services.identification import tier_name

AWARD_ROWS = 200
LATE_ROWS = 100
# The awards a project's page lists: all, or one state.
SHOWN = {
    "unpaid": Q(status=AwardStatus.AWARDED),
    "paid": Q(status=AwardStatus.PAID),
    "late": Q(status=AwardStatus.AWARDED, late_since__isnull=False),
    "cancelled": Q(status=AwardStatus.CANCELLED),
}
SHOWN_NAMES = {
    "unpaid": gettext_lazy("Not paid in full"),
    "paid": gettext_lazy("Paid"),
    "late": gettext_lazy("Late"),
    "cancelled": gettext_lazy("Cancelled"),
}
# The idempotency scope of the console's payments (the API's is "disbursements").
PAY_SCOPE = "console-disbursements"


class PayForm(forms.Form):
    """One instalment's payment: the fields of the API's `disbursements/`, with a key."""

    instalment = forms.IntegerField(
        label=gettext_lazy("Instalment"), min_value=1, max_value=MAX_INSTALMENTS
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=PaymentMethod.choices)
    paid_on = forms.DateField(
        label=gettext_lazy("Paid on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference"), max_length=100, required=False
    )
    signed_by_student = forms.BooleanField(
        label=gettext_lazy("Signed by the student"), required=False
    )
    signed_by_guardian = forms.BooleanField(
        label=gettext_lazy("Signed by the guardian"), required=False
    )
    key = forms.CharField(max_length=MAX_KEY_LENGTH, required=False, widget=forms.HiddenInput)

    def field_for_error(self, name: str | None) -> str | None:
        """The form field on which a service error about `name` is shown."""
        return name if name in self.fields else None


class SchoolIdsField(forms.Field):
    """A list of school ids; which of them the administrator runs is the service's check."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        values = value or []
        if not all(str(v).isdigit() for v in values):
            raise forms.ValidationError(_("Choose schools from the list."))
        return [int(v) for v in values]


class AllocateForm(forms.Form):
    term = forms.IntegerField(label=gettext_lazy("Term"))
    schools = SchoolIdsField(label=gettext_lazy("Schools"), required=False)

    def field_for_error(self, name: str | None) -> str | None:
        return name if name in self.fields else None


def _projects(user, schools):
    """The projects the API lists to `user`, of the districts of the schools they run."""
    districts = {school.district_id for school in schools}
    return projects_visible_to(user).filter(district__in=districts)


def _figures(row) -> dict:
    """One project's figures as the page shows them, from `term_money`'s row."""
    return {
        # Each source's share of the term's funding: a provincial project may
        # be part county money, so the project's own source alone would mislead.
        "sources": [
            (FundSource(source).label, yuan_text(fen))
            for source, fen in row.allocated_by_source.items()
        ],
        "allocated": yuan_text(row.allocated),
        "arrived": yuan_text(row.received),
        # Allocated and arrived are the district's, shared with other schools (or
        # awarded to none yet): labelled so, and left out of the schools' totals
        # (as in the report).
        "shared": row.shared,
        "shared_note": (
            (
                _("the district's, not yet awarded")
                if row.unawarded
                else _("the district's, shared with other schools")
            )
            if row.shared
            else ""
        ),
        "awards": row.awards,
        "awarded": yuan_text(row.awarded),
        "paid": yuan_text(row.paid),
        "late": row.late,
    }


def _totals(money) -> dict:
    """The schools' totals, as the console's home and the term report count them."""
    return {name: yuan_text(sum(sums[name] for sums in money.groups.values())) for name in AMOUNTS}


def _late_awards(user, schools, term) -> list:
    return list(
        awards_visible_to(user)
        .filter(
            term=term,
            student__school__in=schools,
            status=AwardStatus.AWARDED,
            late_since__isnull=False,
        )
        .order_by("late_since", "project__code", "student__school__code", "pk")[:LATE_ROWS]
    )


def _record_awards(request, awards: list) -> None:
    """Awards served name their students, as the API's `awards/` list does: recorded."""
    if awards:
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="award",
            student_ids=[award.student_id for award in awards],
        )


@require_GET
@admin_page
def projects(request, schools):
    user = request.user
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    rows, late, totals, whole_district = [], [], None, False
    if term is not None:
        money = term_money(user, term=term, school_ids=[school.pk for school in schools])
        for row in money.projects:
            row.project.figures = _figures(row)
            rows.append(row.project)
        totals = _totals(money)
        whole_district = money.whole_district
        late = _late_awards(user, schools, term)
        for award in late:
            award.amount = yuan_text(award.amount_fen)
        _record_awards(request, late)
    return render(
        request,
        TEMPLATES + "aid.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "projects": rows,
            "totals": totals,
            "whole_district": whole_district,
            "late": late,
            "late_truncated": len(late) == LATE_ROWS,
        },
    )


def _project(request, schools, project_id: int):
    # A project of a district the administrator does not work in is not found (404).
    return get_object_or_404(_projects(request.user, schools), pk=project_id)


def _project_page(
    request,
    schools,
    project,
    term,
    *,
    problems=(),
    paying=None,
    allocating=None,
    status: int = 200,
):
    user = request.user
    terms = [t for t in terms_of(schools) if t.district_id == project.district_id]
    own = [school for school in schools if school.district_id == project.district_id]
    shown = request.GET.get("show", "")
    if shown not in SHOWN:
        shown = ""
    # Where the pay forms come back to: the page as shown (its term and state).
    page_next = _back(project.pk, term.pk if term else "") + (f"&show={shown}" if shown else "")
    context = {
        "schools": own,
        "terms": terms,
        "term": term,
        "project": project,
        "problems": problems,
        "shown": shown,
        "shows": [(code, SHOWN_NAMES[code]) for code in SHOWN],
        "keep": [("show", shown)] if shown else [],
        "methods": PaymentMethod.choices,
        "today": timezone.localdate(),
        "allocate_form": allocating or AllocateForm(),
        "page_next": page_next,
        # Drawn in answer to a refused payment: the address bar shows the page at the
        # award (console/shown_at.js), so that a reload reads, never posts again.
        "shown_at": f"{page_next}#award-{paying[0]}" if paying else "",
    }
    if term is None:
        return render(request, TEMPLATES + "aid_project.html", context, status=status)
    money = term_money(
        user, term=term, school_ids=[school.pk for school in own], project_id=project.pk
    )
    context["figures"] = _figures(money.projects[0])

    # The project's allocations of the term, with who was left out and why.
    allocations = [a for a in allocations_of_project(user=user, project=project) if a.term == term]
    names = allocations_left_out_names(user=user, allocations=allocations)
    school_names = {school.pk: school.name for school in own}
    for allocation in allocations:
        allocation.amount = yuan_text(allocation.amount_fen)
        allocation.shown_left_out = [
            row
            | {
                "student_name": names["names"].get(row["student"], ""),
                "school_name": school_names.get(row["school"], ""),
                "tier_name": tier_name(project.district, row["tier"]),
            }
            for row in allocation.left_out
            if row["school"] in names["schools"]
        ]

    awards = awards_visible_to(user).filter(project=project, term=term, student__school__in=own)
    counts = dict(awards.values_list("status").annotate(n=Count("pk")).order_by())
    late_count = awards.filter(SHOWN["late"]).count()
    if shown:
        awards = awards.filter(SHOWN[shown])
    awards = list(
        awards.select_related("student__guardian_account")
        .prefetch_related(
            Prefetch(
                "disbursements",
                queryset=Disbursement.objects.filter(reversal__isnull=True),
                to_attr="standing",
            )
        )
        .order_by("student__school__code", "student__name", "pk")[:AWARD_ROWS]
    )
    for award in awards:
        _award_rows(award, paying)
    served = sorted(names["names"])
    if served:
        access_record_request(
            request, action=AccessAction.LIST, kind="allocation", student_ids=served
        )
    _record_awards(request, awards)
    record_accounts_shown(request, awards)
    context.update(
        {
            "allocations": allocations,
            "latest": allocations[0] if allocations else None,
            "awards": awards,
            "awards_truncated": len(awards) == AWARD_ROWS,
            "counts": {
                "all": sum(counts.values()),
                "unpaid": counts.get(AwardStatus.AWARDED, 0),
                "paid": counts.get(AwardStatus.PAID, 0),
                "late": late_count,
                "cancelled": counts.get(AwardStatus.CANCELLED, 0),
            },
        }
    )
    return render(request, TEMPLATES + "aid_project.html", context, status=status)


def _award_rows(award, paying) -> None:
    """The award's instalments with their payments, and the form to pay the next unpaid one."""
    paid = {d.instalment: d for d in award.standing}
    award.account = account_of(award)
    award.amount = yuan_text(award.amount_fen)
    award.paid_amount = yuan_text(award.paid_fen)
    award.instalments = [
        {"number": row.number, "amount": yuan_text(row.amount_fen), "paid": paid.get(row.number)}
        for row in award.plan.all()
    ]
    unpaid = [row for row in award.plan.all() if row.number not in paid]
    award.pay_form, award.pay_open = None, False
    if award.status != AwardStatus.AWARDED or not unpaid:
        return
    if paying is not None and paying[0] == award.pk:
        award.pay_form, award.pay_open = paying[1], True
    else:
        award.pay_form = PayForm(
            initial={
                "instalment": unpaid[0].number,
                "amount": yuan_amount(unpaid[0].amount_fen),
                "paid_on": timezone.localdate(),
                # Made when the form is shown: a second click of it is the same payment.
                "key": uuid.uuid4().hex,
            },
            auto_id=f"pay-{award.pk}-%s",
        )
    offer_methods(award.pay_form, award)
    chosen = str(award.pay_form["instalment"].value())
    award.instalment_choices = [
        (row.number, yuan_text(row.amount_fen), str(row.number) == chosen) for row in unpaid
    ]


@require_GET
@admin_page
def project(request, schools, project_id: int):
    chosen = _project(request, schools, project_id)
    terms = [t for t in terms_of(schools) if t.district_id == chosen.district_id]
    return _project_page(request, schools, chosen, chosen_term(request, terms))


def _back(project_id: int, term_id: int | str, anchor: str = "") -> str:
    url = reverse("console:aid-project", args=[project_id]) + f"?term={term_id}"
    return url + (f"#{anchor}" if anchor else "")


def _term_of(request, schools, project, term_id):
    terms = [t for t in terms_of(schools) if t.district_id == project.district_id]
    return next((t for t in terms if t.pk == term_id), None) or chosen_term(request, terms)


@require_POST
@admin_page
def allocate_project(request, schools, project_id: int):
    chosen = _project(request, schools, project_id)
    form = AllocateForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    errors = ValidationErrors()

    def run():
        if valid:
            return allocate(
                by=request.user, project=chosen, term_id=data["term"], school_ids=data["schools"]
            )
        # The service's checks of the fields the form read, with the form's own errors.
        allocate_problems(
            errors,
            by=request.user,
            project=chosen,
            term_id=data.get("term"),
            school_ids=data.get("schools"),
        )

    allocation, status = service_call(errors, run)
    if not valid or errors:
        add_service_errors(form, errors)
        return _project_page(
            request,
            schools,
            chosen,
            _term_of(request, schools, chosen, data.get("term")),
            problems=form_problems(form),
            allocating=form,
            status=status,
        )
    messages.success(
        request,
        ngettext(
            "Allocated: %(awarded)s student awarded %(amount)s; %(left)s left out.",
            "Allocated: %(awarded)s students awarded %(amount)s; %(left)s left out.",
            allocation.awarded,
        )
        % {
            "awarded": allocation.awarded,
            "amount": yuan_text(allocation.amount_fen),
            "left": len(allocation.left_out),
        },
    )
    return redirect(_back(chosen.pk, allocation.term_id, "allocation"))


@require_POST
@admin_page
def pay(request, schools, award_id: int):
    # Another school's award and one that does not exist look the same (404).
    award = get_object_or_404(awards_visible_to(request.user), pk=award_id)
    # The page as the form was posted from (its state shown), drawn again after a refusal.
    back = list_as_posted(request, reverse("console:aid-project", args=[award.project_id]))
    form = PayForm(request.POST, auto_id=f"pay-{award.pk}-%s")
    valid = form.is_valid()
    data = form.cleaned_data
    amount = data.get("amount")
    fields = {
        "award_id": award.pk,
        "instalment": data.get("instalment"),
        "amount_fen": fen(amount) if amount is not None else None,
        "method": data.get("method"),
        "paid_on": data.get("paid_on"),
        "bank_reference": data.get("bank_reference"),
        "signed_by_student": data.get("signed_by_student"),
        "signed_by_guardian": data.get("signed_by_guardian"),
    }
    errors = ValidationErrors()

    def run():
        if valid:
            return _pay_once(request, data["key"], fields)
        # The service's checks of the fields the form read, with the form's own errors.
        disbursement_pay_problems(errors, by=request.user, **fields)

    _paid, status = service_call(errors, run)
    if valid and not errors:
        messages.success(
            request,
            _("%(student)s: instalment %(number)s paid.")
            % {"student": award.student.name, "number": data["instalment"]},
        )
        if back:
            return redirect(f"{back}#award-{award.pk}")
        return redirect(_back(award.project_id, award.term_id, f"award-{award.pk}"))
    add_service_errors(form, errors)
    project = _project(request, schools, award.project_id)
    term = _term_of(request, schools, project, award.term_id)
    return _project_page(
        request,
        schools,
        project,
        term,
        problems=[about_student(award.student, problem) for problem in form_problems(form)],
        paying=(award.pk, form),
        status=status,
    )


def _pay_once(request, key: str, fields: dict) -> None:
    """Pay, once per form shown: under its key, a repeated post replays the first answer."""

    def run():
        disbursement = disbursement_pay(by=request.user, **fields)
        return Response({"id": disbursement.pk}, status=201)

    if not key:
        run()
        return
    body = request.POST.copy()
    body.pop("csrfmiddlewaretoken", None)
    once(
        user=request.user,
        scope=PAY_SCOPE,
        key=key,
        fingerprint=request_fingerprint(body),
        run=run,
    )
