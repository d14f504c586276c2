"""`/console/weekly/`: weekly tutoring compliance of the term, per school and per mentor.

The figures are `compliance_summary`, what the API's `compliance/summary/`
answers the same administrator: per school the share of pair-weeks met,
sessions, minutes, home visits and students missing weeks in a row, and per
mentor the same (the mentors of the schools the administrator runs). No
student is named, so nothing is access-logged.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from mentoring.selectors.compliance import compliance_summary


@require_GET
@admin_page
def weekly(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    summary = (
        compliance_summary(user=request.user, term_id=term.pk, administered_only=True)
        if term
        else None
    )
    return render(
        request,
        TEMPLATES + "weekly.html",
        {"schools": schools, "terms": terms, "term": term, "summary": summary},
    )
