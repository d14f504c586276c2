"""What every page of the administrators' console (`/console/`) shares.

The console is for school and district administrators: whoever administers
at least one school (`schools_administered_by`, the selector the API's
scoping rests on) opens it, with those schools; everyone else is told the
page is not theirs (core.pages.role_page). A platform administrator works in
the Django admin, and `/` takes it there.
"""

from django.utils import timezone

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
