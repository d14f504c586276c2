"""What every page of the administrators' console (`/console/`) shares.

The console is for school and district administrators: whoever administers
at least one school (`schools_administered_by`, the selector the API's
scoping rests on) opens it, with those schools; everyone else is told the
page is not theirs (core.pages.role_page). A platform administrator works in
the Django admin, and `/` takes it there.
"""

from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

from core.codes import parse
from core.pages import role_page
from mentoring.models import School, Term
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.terms import terms_in_use

TEMPLATES = "console/admin/"


def administered(user) -> list[School]:
    return list(schools_administered_by(user).select_related("district").order_by("code"))


# School and district administrators only.
admin_page = role_page(administered, refused=TEMPLATES + "not_an_administrator.html")


def terms_of(schools: list[School]) -> list[Term]:
    """The terms of the schools' districts that have begun or hold records, newest first."""
    districts = {school.district_id for school in schools}
    return list(terms_in_use(districts=districts, today=timezone.localdate()))


def _current(terms: list[Term]) -> Term | None:
    """The newest term that has begun; a coming term is shown only when asked for."""
    today = timezone.localdate()
    return next((term for term in terms if term.start_date <= today), terms[0] if terms else None)


def chosen_term(request, terms: list[Term]) -> Term | None:
    """The term named by `?term=` among `terms`, else the newest that has begun.

    `?term=` takes the term's id or its code (`2026-autumn`), read as the
    API reads them (`core.codes.parse`: digits are an id). A term that is not
    among `terms` (unknown, another district's, or a code two of them share)
    shows the current one instead, with a notice saying so: never an error.
    """
    default = _current(terms)
    asked = request.GET.get("term", "")
    if not asked.strip() or default is None:
        return default
    try:
        key = parse(asked)
    except ValueError:
        key = asked
    field = "pk" if isinstance(key, int) else "code"
    matches = [term for term in terms if getattr(term, field) == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        notice = _("Several of your terms have the code “%(term)s”; showing %(shown)s.")
    else:
        notice = _("None of your terms is “%(term)s”; showing %(shown)s.")
    messages.warning(
        request, notice % {"term": asked.strip(), "shown": default.label}, fail_silently=True
    )
    return default
