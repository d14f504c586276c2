"""The families' application page, `/apply/`: open to anyone who holds a school's code.

A family types the code the school printed (or opens the link `/apply/<code>/`),
then the application: the child as they name it, the applicant, the
circumstances and the written commitment. It is stored as a pending
application for the class teacher to confirm
(`mentoring.services.applications.application_submit_public`).

The page never shows a child's data: it reads nothing from the roster, and
after sending it shows a thank-you with nothing the family typed. A code that
opens nothing answers 404 with the same page for a wrong, closed or
malformed code. Codes that open nothing and applications sent are counted
per address (`public_page_refusal`), and past the limit the page answers 429.
Server-rendered, CSRF-protected, Chinese first (the site's default language).
"""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, FieldErrors, ValidationErrors
from core.http import client_ip
from core.money import fen
from mentoring.models import ApplicantRelation, HardshipKind
from mentoring.selectors.applications import open_code
from mentoring.services import applications as services
from mentoring.services.roster_columns import LEVEL_GRADES

TEMPLATES = "mentoring/apply/"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Application code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class PublicApplicationForm(forms.Form):
    """Turns the posted text into values; the rules are `public_application_problems`."""

    child_name = forms.CharField(label=gettext_lazy("Child's name"), max_length=50)
    grade = forms.TypedChoiceField(
        label=gettext_lazy("Grade"), choices=[(g, str(g)) for g in range(1, 10)], coerce=int
    )
    class_name = forms.CharField(
        label=gettext_lazy("Class"),
        max_length=20,
        help_text=gettext_lazy("As the school names it, e.g. 3班."),
    )
    guardian_name = forms.CharField(label=gettext_lazy("Your name"), max_length=50)
    guardian_relation = forms.ChoiceField(
        label=gettext_lazy("You are the child's"), choices=ApplicantRelation.choices
    )
    guardian_phone = forms.RegexField(
        label=gettext_lazy("Your phone"),
        regex=r"^[0-9+\- ]{7,20}$",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"invalid": gettext_lazy("Give a phone number the school can call.")},
    )
    hardship_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("The family's circumstances"),
        choices=HardshipKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    income_per_capita = forms.DecimalField(
        label=gettext_lazy("Yearly income per person (yuan)"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        decimal_places=2,
        help_text=gettext_lazy("The household's yearly income divided by the people in it."),
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )
    circumstances = forms.CharField(
        label=gettext_lazy("Describe the family's situation"),
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    committed = forms.BooleanField(
        label=gettext_lazy("I make this commitment"),
        required=False,
    )

    def __init__(self, *args, level: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the grades of the school's level (a primary school's 1 to 6).
        grades = LEVEL_GRADES.get(level, range(1, 10))
        self.fields["grade"].choices = [(g, str(g)) for g in grades]


def _refused(request, message: str, status: int):
    return render(request, TEMPLATES + "refused.html", {"refusal": message}, status=status)


def _bad_code(request, address):
    services.public_attempt_record(address=address, accepted=False)
    return _refused(
        request, _("This application code opens nothing. Check it with the school."), 404
    )


@never_cache
@require_http_methods(["GET", "POST"])
def code_entry(request):
    """The page where a family types the code; a good code leads to the application form."""
    address = client_ip(request)
    form = CodeForm(request.POST or None)
    refusal = services.public_page_refusal(address=address, submitting=False)
    if refusal:
        return render(
            request, TEMPLATES + "code.html", {"form": CodeForm(), "refusal": refusal}, status=429
        )
    if request.method == "POST" and form.is_valid():
        code = open_code(form.cleaned_data["code"])
        if code is not None:
            return redirect("apply:form", code=code.code)
        services.public_attempt_record(address=address, accepted=False)
        form.add_error("code", _("This application code opens nothing. Check it with the school."))
    status = 400 if request.method == "POST" else 200
    return render(request, TEMPLATES + "code.html", {"form": form}, status=status)


def _context(code, form, refusal=None):
    return {
        "form": form,
        "school": code.school,
        "term_label": code.term.label,
        "commitment_text": services.COMMITMENT_TEXT,
        "refusal": refusal,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def application_form(request, code):
    address = client_ip(request)
    refusal = services.public_page_refusal(address=address, submitting=request.method == "POST")
    if refusal:
        return _refused(request, refusal, 429)
    found = open_code(code)
    if found is None:
        return _bad_code(request, address)
    if request.method == "GET":
        form = PublicApplicationForm(level=found.school.level)
        return render(request, TEMPLATES + "form.html", _context(found, form))
    form = PublicApplicationForm(request.POST, level=found.school.level)
    form.is_valid()
    fields = form.cleaned_data
    errors = ValidationErrors()
    services.public_application_problems(
        errors,
        child_name=fields.get("child_name"),
        grade=fields.get("grade"),
        class_name=fields.get("class_name"),
        guardian_name=fields.get("guardian_name"),
        guardian_phone=fields.get("guardian_phone"),
        hardship_kinds=fields.get("hardship_kinds"),
        circumstances=fields.get("circumstances"),
        committed=fields.get("committed"),
        level=found.school.level,
    )
    for name, messages in errors.errors.items():
        for message in messages:
            if name not in form.errors or message not in form.errors[name]:
                form.add_error(name, message)
    if not form.errors:
        income = fields.get("income_per_capita")
        try:
            services.application_submit_public(
                code=found,
                child_name=fields["child_name"],
                grade=fields["grade"],
                class_name=fields["class_name"],
                guardian_name=fields["guardian_name"],
                guardian_relation=fields["guardian_relation"],
                guardian_phone=fields["guardian_phone"],
                hardship_kinds=fields["hardship_kinds"],
                income_per_capita_fen=None if income is None else fen(income),
                circumstances=fields["circumstances"],
                committed=fields["committed"],
            )
        except FieldErrors as error:
            for name, messages in error.errors.items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
        except DomainError as error:
            # The code was closed while the family typed.
            return _refused(request, error.message, error.status_code)
        else:
            services.public_attempt_record(address=address, accepted=True, submitted=True)
            return redirect("apply:done")
    return render(request, TEMPLATES + "form.html", _context(found, form), status=400)


@never_cache
@require_http_methods(["GET"])
def done(request):
    return render(request, TEMPLATES + "done.html")
