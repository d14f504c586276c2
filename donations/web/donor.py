"""The donor's page (`/donor/`): pledge in a form, follow the pledges, see what the gifts did.

Server-rendered, Chinese first, behind the session login and CSRF. Views are
thin: the pledges are `pledges_visible_to` narrowed to the donor's own, the
outcomes `donor_outcomes` (students named only with their guardian's consent),
and a pledge is made and cancelled by the same services as the API, every
error shown at once on the field it names, nothing written.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, FieldErrors, ValidationErrors
from core.pages import SignOutView, role_page
from donations.models import AidProject, Donor
from donations.selectors.scoping import pledges_visible_to
from donations.selectors.totals import donor_outcomes
from donations.services import pledges as services
from donations.web.donor_forms import PledgeForm

# Anyone signs in at `/`, which brings a donor here.
LOGIN_URL = "start"
TEMPLATES = "donations/donor/"
# The id of the page's banner (the teacher page's base), where a saved pledge lands.
SAVED_ANCHOR = "messages"


LogoutView = SignOutView


def _donor_of(user) -> Donor | None:
    return Donor.objects.filter(user=user).select_related("district").first()


# Signed-in users with a donor profile only; anyone else is told the page is not theirs.
donor_page = role_page(_donor_of, refused=TEMPLATES + "not_a_donor.html", login_url=LOGIN_URL)


def _projects(donor):
    return AidProject.objects.filter(district=donor.district_id).order_by("name")


def _home(
    request, donor, *, form=None, cancelling=None, cancel_error="", cancel_reason="", status=200
):
    pledges = pledges_visible_to(request.user).filter(donor=donor).order_by("-created_at", "-pk")
    return render(
        request,
        TEMPLATES + "home.html",
        {
            "donor": donor,
            "pledges": pledges,
            "outcomes": donor_outcomes(donor),
            "form": form or PledgeForm(projects=_projects(donor), initial=_initial()),
            "cancelling": cancelling,
            "cancel_error": cancel_error,
            "cancel_reason": cancel_reason,
        },
        status=status,
    )


def _initial() -> dict:
    return {"kind": "money", "schedule": "once"}


@donor_page
def home(request, donor):
    return _home(request, donor)


@require_POST
@donor_page
def pledge_new(request, donor):
    form = PledgeForm(request.POST, projects=_projects(donor))
    valid = form.is_valid()
    data = form.cleaned_data
    errors = ValidationErrors()
    kind = data.get("kind")
    # No instalment given is the form's own error already: the service is not asked again.
    instalments = (
        services.pledge_instalments_in_units(kind=kind, instalments=data["instalments"])
        if kind and data.get("instalments")
        else None
    )
    fields = {
        "kind": kind,
        "schedule": data.get("schedule"),
        "project_id": data.get("project"),
        "purpose": data.get("purpose"),
        "item_name": data.get("item_name"),
        "item_unit": data.get("item_unit"),
    }
    try:
        if valid:
            services.pledge_create(
                by=request.user,
                donor_id=donor.pk,
                instalments=instalments,
                note=data["note"],
                **fields,
            )
        else:
            # The service's checks of the fields the form read, with the form's own errors.
            services.pledge_create_problems(
                errors, by=request.user, donor_id=donor.pk, instalments=instalments, **fields
            )
    except FieldErrors as error:
        errors.add_error(error)
    except DomainError as error:
        errors.add(error.field or "__all__", error.message)
    if valid and not errors:
        messages.success(request, _("Thank you: your pledge is recorded."))
        return redirect(f"{reverse('donor:home')}#{SAVED_ANCHOR}")
    for field, field_messages in errors.errors.items():
        for message in field_messages:
            form.add_error(form.field_for_error(field), str(message))
    return _home(request, donor, form=form, status=400)


@require_POST
@donor_page
def pledge_cancel(request, donor, pledge_id: int):
    pledge = pledges_visible_to(request.user).filter(donor=donor, pk=pledge_id).first()
    if pledge is None:
        return render(request, TEMPLATES + "not_found.html", status=404)
    reason = request.POST.get("reason", "")
    try:
        services.pledge_cancel(by=request.user, pledge=pledge, reason=reason)
    except DomainError as error:
        # Shown on the pledge's card, not atop the page; the form posted to
        # `…/cancel/#pledge-<id>`, so the browser shows that card.
        return _home(
            request,
            donor,
            cancelling=pledge.pk,
            cancel_error=error.message,
            cancel_reason=reason,
            status=error.status_code,
        )
    messages.success(request, _("The pledge is cancelled."))
    return redirect(f"{reverse('donor:home')}#{SAVED_ANCHOR}")
