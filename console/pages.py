"""What every page of the administrators' console (`/console/`) shares.

The console is for school and district administrators: whoever administers
at least one school (`schools_administered_by`, the selector the API's
scoping rests on) opens it, with those schools; everyone else is told the
page is not theirs (core.pages.role_page). A platform administrator works in
the Django admin, and `/` takes it there.
"""

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from core.errors import ValidationErrors
from core.pages import role_page
from mentoring.models import School, Term
from mentoring.selectors.accounts import schools_administered_by

TEMPLATES = "console/admin/"


def administered(user) -> list[School]:
    return list(schools_administered_by(user).select_related("district").order_by("code"))


# School and district administrators only.
admin_page = role_page(administered, refused=TEMPLATES + "not_an_administrator.html")


def terms_of(schools: list[School]) -> list[Term]:
    """The terms of the schools' districts that have begun, newest first."""
    districts = {school.district_id for school in schools}
    today = timezone.localdate()
    return list(
        Term.objects.filter(district__in=districts, start_date__lte=today).order_by(
            "-start_date", "pk"
        )
    )


def chosen_term(request, terms: list[Term]) -> Term | None:
    """The term named by `?term=` (its id) among `terms`, else the newest."""
    chosen = request.GET.get("term", "")
    return next((t for t in terms if str(t.pk) == chosen), terms[0] if terms else None)


def field_label(words: str):
    """A model field's own name (translated once), written as a form's label."""
    return capfirst(gettext_lazy(words))


def named_problems(form, errors: ValidationErrors, labels: dict | None = None) -> list[str]:
    """Every refused field with its label: the form's errors and the service's together.

    The service names fields as the form does; `labels` names the ones only the
    service knows.
    """
    found: dict[str, list] = {name: list(problems) for name, problems in form.errors.items()}
    for name, problems in errors.errors.items():
        found.setdefault(name, []).extend(problems)
    out = []
    for name, problems in found.items():
        label = form.fields[name].label if name in form.fields else (labels or {}).get(name, "")
        out.extend(f"{label}: {problem}" if label else str(problem) for problem in problems)
    return out
