"""What the console's forms share when a service refuses them: labels and named problems."""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from core.errors import ValidationErrors


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
