"""`/console/weekly/`: weekly tutoring compliance of the term, per school and per mentor.

The weeks are `compliance_summary`, what the API's `compliance/summary/`
answers the same administrator: per school the share of pair-weeks met and
students missing weeks in a row, and per mentor the same (the mentors of the
schools the administrator runs), counted for the schools the administrator
administers only. The sessions, minutes and home visits beside them are the
term's (`term_tutoring_figures`, the term report's count): every pairing's,
care pairings' home visits too, which the weekly check does not count; a
mentor with sessions and no checked week is listed with its sessions.

Below them, the reminders the weekly check sent this term (`reminders_sent`):
per week and mentor, the student missed, whether the mentor was reminded and
the administrators told of a streak, with a link to the student's growth
archive. The reminders name students, so serving them is access-logged.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from mentoring.models import AccessAction, Mentor
from mentoring.selectors.compliance import compliance_summary, reminders_sent
from mentoring.selectors.tutoring import FIGURES, term_tutoring_figures
from mentoring.services.access_log import access_record_request


def _with_term_figures(summary: dict, figures: dict) -> dict:
    """The summary with the term's sessions, minutes and home visits in place of the weeks'."""
    none = dict.fromkeys(FIGURES, 0)
    summary["totals"].update(figures["total"])
    for row in summary["by_school"]:
        row.update(figures["by_school"].get(row["school"], none))
    listed = set()
    for row in summary["by_mentor"]:
        row.update(figures["by_mentor"].get(row["mentor"], none))
        listed.add(row["mentor"])
    unlisted = [pk for pk in figures["by_mentor"] if pk not in listed]
    if unlisted:
        for mentor in Mentor.objects.filter(pk__in=unlisted).select_related("user"):
            summary["by_mentor"].append(
                {
                    "mentor": mentor.pk,
                    "mentor_name": mentor.user.display_name,
                    "mentor_kind": mentor.kind,
                    "met_percent": None,
                    "pair_weeks": 0,
                    "pair_weeks_met": 0,
                    "students_with_streak": 0,
                    **figures["by_mentor"][mentor.pk],
                }
            )
    return summary


@require_GET
@admin_page
def weekly(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    summary = None
    if term is not None:
        summary = _with_term_figures(
            compliance_summary(user=request.user, term_id=term.pk, administered_only=True),
            term_tutoring_figures(
                term=term,
                schools=[school for school in schools if school.district_id == term.district_id],
            ),
        )
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
