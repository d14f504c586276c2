"""`/console/weekly/`: weekly tutoring compliance of the term, per school and per mentor.

The figures are `term_tutoring_summary` (the supervisor's page and the API's
`compliance/summary/` read it too). The weeks are `compliance_summary`'s: per
school the share of pair-weeks met and students missing weeks in a row, and
per mentor the same (the mentors of the schools the administrator runs),
counted for the schools the administrator administers only. The sessions,
minutes and home visits beside them are the term's (`term_tutoring_figures`,
the term report's count): every pairing's, care pairings' home visits too,
which the weekly check does not count; a mentor with sessions and no checked
week is listed with its sessions.

Below them, the reminders the weekly check sent this term (`reminders_sent`):
per week and mentor, the student missed, whether the mentor was reminded and
the administrators told of a streak, with a link to the student's growth
archive. The reminders name students, so serving them is access-logged.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from mentoring.models import AccessAction
from mentoring.selectors.compliance import reminders_sent
from mentoring.selectors.tutoring import term_tutoring_summary
from mentoring.services.access_log import access_record_request


@require_GET
@admin_page
def weekly(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    summary = None
    if term is not None:
        summary = term_tutoring_summary(user=request.user, term_id=term.pk, administered_only=True)
    reminders = reminders_sent(user=request.user, term=term) if term else []
    if reminders:
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="notification",
            student_ids=sorted({row.student for row in reminders}),
        )
    return render(
        request,
        TEMPLATES + "weekly.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "summary": summary,
            "reminders": reminders,
        },
    )
