"""`/console/aid/awards/<id>/guardian-account/`: the guardian's bank account an award is paid into.

An administrator who may pay the award (`awards_visible_to`, the selector the
API's `awards/` and the payment service scope by) records or changes the
account of the award's student here, through `guardian_account_set`, the
service behind the API's `students/{id}/guardian-account/`: the form's own
errors and `guardian_account_problems` are shown together, and nothing is
written. The number goes in whole and is never shown again: the page shows
the masked form, and each showing of an account is recorded in the access log
as the API's read of it is.

The aid project's page (console.aid) offers a transfer only to a student
whose guardian's account is on record (`payment_methods_open`, the rule
`disbursement_pay` checks), showing the account masked beside it; the
helpers it calls for that live here, so that console.aid stays small.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from console.form_problems import add_service_errors, form_problems, service_call
from console.pages import TEMPLATES, admin_page
from core.errors import ValidationErrors
from donations.models import PaymentMethod
from donations.selectors.scoping import awards_visible_to
from donations.services.disbursements import payment_methods_open
from mentoring.models import AccessAction, GuardianAccount
from mentoring.services.access_log import access_record_request
from mentoring.services.guardian_accounts import (
    guardian_account_problems,
    guardian_account_set,
    students_sharing_account,
)

KIND = GuardianAccount._meta.model_name


class UnshownTextInput(forms.TextInput):
    """A text box that never sends back what was typed: a whole account number is not shown."""

    def format_value(self, value):
        return None


class GuardianAccountForm(forms.Form):
    """The fields of the API's PUT; the service judges what the form lets through."""

    holder_name = forms.CharField(label=gettext_lazy("Account holder"), max_length=50)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=100)
    account_number = forms.CharField(
        label=gettext_lazy("Account number"),
        max_length=60,
        help_text=gettext_lazy("12 to 30 digits; spaces and dashes are left out."),
        widget=UnshownTextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def field_for_error(self, name: str | None) -> str | None:
        return name if name in self.fields else None


def account_of(award) -> GuardianAccount | None:
    """The account of the award's student, read with the award (`student__guardian_account`)."""
    return getattr(award.student, "guardian_account", None)


def offer_methods(form, award) -> None:
    """Offer on the pay form only the methods open to the award's student.

    What the form accepts is unchanged: a posted method is judged by the service.
    """
    account = account_of(award)
    open_methods = payment_methods_open(has_guardian_account=account is not None)
    form.fields["method"].choices = [
        (value, label) for value, label in PaymentMethod.choices if value in open_methods
    ]
    if not form.is_bound:
        form.initial["method"] = open_methods[0]


def record_accounts_shown(request, awards) -> None:
    """The accounts shown (masked) on a page are read, as the API's detail records its read."""
    shown = [award.student_id for award in awards if getattr(award, "account", None)]
    if shown:
        access_record_request(request, action=AccessAction.LIST, kind=KIND, student_ids=shown)


def _award(request, award_id: int):
    # Another school's award and one that does not exist look the same (404).
    awards = awards_visible_to(request.user).select_related("student__guardian_account__updated_by")
    return get_object_or_404(awards.prefetch_related(None), pk=award_id)


def _back(award) -> str:
    """The award's row on its project's page, where it is paid."""
    url = reverse("console:aid-project", args=[award.project_id])
    return f"{url}?term={award.term_id}#award-{award.pk}"


def _page(request, award, *, form=None, problems=(), status: int = 200):
    account = account_of(award)
    context = {
        "award": award,
        "student": award.student,
        "account": account,
        "form": form or GuardianAccountForm(),
        "problems": problems,
        "back": _back(award),
    }
    if account is not None:
        context["sharing"] = len(students_sharing_account(account, seen_by=request.user))
        access_record_request(
            request,
            action=AccessAction.READ,
            kind=KIND,
            student_ids=[award.student_id],
            object_id=account.pk,
        )
    return render(request, TEMPLATES + "guardian_account.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def guardian_account(request, schools, award_id: int):
    award = _award(request, award_id)
    if request.method == "GET":
        return _page(request, award)
    form = GuardianAccountForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    errors = ValidationErrors()

    def run():
        if valid:
            return guardian_account_set(by=request.user, student=award.student, **data)
        # The service's checks of the fields the form let through, with the form's own.
        guardian_account_problems(
            errors,
            holder_name=data.get("holder_name"),
            bank_name=data.get("bank_name"),
            account_number=data.get("account_number"),
        )

    _account, status = service_call(errors, run)
    if valid and not errors:
        messages.success(
            request,
            _("%(student)s: the guardian's account is recorded.") % {"student": award.student.name},
        )
        return redirect(_back(award))
    add_service_errors(form, errors)
    # Nothing was written: the account shown is still the one read with the award.
    return _page(request, award, form=form, problems=form_problems(form), status=status)
