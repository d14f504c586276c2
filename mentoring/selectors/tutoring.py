"""The term's sessions and home visits: one count for the term report, the console and the API.

Every activity a mentor logged for a pairing of the term, whatever the
pairing's kind (academic tutoring or care and sponsorship) and whatever the
week (holidays included), is a session; its minutes add up; a session of
kind `home_visit` is also a home visit. The weekly check's rows
(`WeeklyCompliance`) count academic pairings in school weeks only, for the
weekly target, so they are not the term's figures: a care pairing's home
visits are in the report and must be on the console too.

One aggregate query, grouped by school, party branch and mentor, whatever
the number of sessions.
"""

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from mentoring.models import Mentor, School, SessionKind, Term, TutoringSession, User
from mentoring.selectors.compliance import compliance_figures, summary_counted

FIGURES = ("sessions", "minutes", "home_visits")


def _rows(sessions: QuerySet[TutoringSession]) -> list[dict]:
    return list(
        sessions.values(
            school=F("pairing__student__school_id"),
            branch=F("pairing__mentor__party_branch"),
            mentor=F("pairing__mentor_id"),
        )
        .annotate(
            sessions=Count("pk"),
            minutes=Coalesce(Sum("minutes"), Value(0)),
            home_visits=Count("pk", filter=Q(kind=SessionKind.HOME_VISIT)),
        )
        .order_by()
    )


def term_tutoring_rows(*, term: Term, school_ids: list[int]) -> list[dict]:
    """Sessions, minutes and home visits of `term` in the schools (their students'),
    one plain row per school, party branch and mentor."""
    return _rows(
        TutoringSession.objects.filter(pairing__term=term, pairing__student__school__in=school_ids)
    )


def _add(target: dict, row: dict) -> None:
    for name in FIGURES:
        target[name] = target.get(name, 0) + (row[name] or 0)


def term_tutoring_figures(*, term: Term, schools: list[School]) -> dict:
    """The term's figures in `schools`: `total`, `by_school` (school id → figures, every
    school listed) and `by_mentor` (mentor id → figures, mentors with a session only)."""
    total = dict.fromkeys(FIGURES, 0)
    by_school = {school.pk: dict.fromkeys(FIGURES, 0) for school in schools}
    by_mentor: dict[int, dict] = {}
    for row in term_tutoring_rows(term=term, school_ids=list(by_school)):
        _add(total, row)
        _add(by_school[row["school"]], row)
        _add(by_mentor.setdefault(row["mentor"], dict.fromkeys(FIGURES, 0)), row)
    return {"total": total, "by_school": by_school, "by_mentor": by_mentor}


def term_tutoring_summary(
    *, user: User, term_id: int, school_id: int | None = None, administered_only: bool = False
) -> dict:
    """`compliance_summary` with the term's sessions, minutes and home visits for the weeks'.

    The weeks met and the streaks are the weekly check's; the sessions, minutes
    and home visits beside them are the term's, counted as `term_tutoring_figures`
    counts them (the term report's count) over what the summary counts: its
    schools, and a mentor's own pairings elsewhere. Every page and answer that
    shows them reads this: the administrators' weekly page, the supervisor's page
    and the API's `compliance/summary/`. A mentor's figures count the sessions of
    the schools whose rows the user reads one by one (and the user's own).
    Mentors with sessions and no checked week are listed only for
    `administered_only` (the mentors of the schools the user runs): a supervisor
    reads per school, never a mentor.
    """
    counted = summary_counted(
        user=user, term_id=term_id, school_id=school_id, administered_only=administered_only
    )
    summary = compliance_figures(counted)
    none = dict.fromkeys(FIGURES, 0)
    total = dict(none)
    by_school: dict[int, dict] = {}
    by_mentor: dict[int, dict] = {}
    for row in _rows(counted.sessions):
        _add(total, row)
        _add(by_school.setdefault(row["school"], dict(none)), row)
        if counted.reads_mentor(row["school"], row["mentor"]):
            _add(by_mentor.setdefault(row["mentor"], dict(none)), row)
    summary["totals"].update(total)
    for row in summary["by_school"]:
        row.update(by_school.get(row["school"], none))
    listed = set()
    for row in summary["by_mentor"]:
        row.update(by_mentor.get(row["mentor"], none))
        listed.add(row["mentor"])
    unlisted = [pk for pk in by_mentor if pk not in listed]
    if administered_only and unlisted:
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
                    **by_mentor[mentor.pk],
                }
            )
    return summary
