"""What the console's forms share when a service refuses them: the refusal gathered with the
form's own errors, labels, and the problems named for the page."""

from urllib.parse import urlsplit

from django.http import QueryDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, FieldErrors, ValidationErrors


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


def service_call(errors: ValidationErrors, call):
    """Run a page's service step, `call()`; answers (what it returned, the page's status).

    What the service refuses joins `errors`, so that the page names it with the
    form's own errors: field errors (400), or a refusal of the whole request
    with its own status (403, 409...), named on its field when it has one.
    """
    try:
        return call(), 400
    except FieldErrors as error:
        errors.add_error(error)
        return None, 400
    except DomainError as error:
        errors.add(error.field or "__all__", error.message)
        return None, error.status_code


def add_service_errors(form, errors: ValidationErrors) -> None:
    """A service's errors onto the form, each on its field.

    The form's `field_for_error(name)` says which of its fields shows an error
    about `name` (None: the form as a whole).
    """
    for field, found in errors.errors.items():
        for message in found:
            form.add_error(form.field_for_error(field), str(message))


def form_problems(form) -> list[str]:
    """Every error of the form, each with its field's label, for the page's list of problems."""
    return named_problems(form, ValidationErrors())


def list_as_posted(request, path: str) -> str:
    """The list a refused form was posted from, so that it is drawn again as it was.

    A list's forms post `next`, the list's URL as shown (its filters). When
    that is this site's page at `path`, `request.GET` becomes its query, so
    that the list's own GET code draws the same filters, and the URL is
    answered; otherwise (no `next`, or another page) the list unfiltered, "".
    """
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    parts = urlsplit(back if safe else "")
    shown = safe and parts.path == path
    request.GET = QueryDict(parts.query if shown else "", mutable=True)
    return back if shown else ""


def about_student(student, problem) -> str:
    """A refusal named with the student it is about: the list it is shown on has many."""
    return _("%(student)s: %(problem)s") % {"student": student.name, "problem": problem}
