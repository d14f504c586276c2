"""What a mentor's own page reads: the mentor, their active mentees, their reminders.

Every read here starts from the mentor, so a pairing of another mentor is
simply not found: the page answers 404 and reveals nothing about it. An
administrator who is also a mentor sees only their own mentees here; the
school's other pairings are for the API.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, OuterRef, QuerySet, Subquery, When

from core.permissions import is_active_account
from mentoring import school_weeks as calendar
from mentoring.models import (
    Mentor,
    Notification,
    NotificationKind,
    Pairing,
    PairingKind,
    PairingStatus,
    StudentRecord,
    SubjectScore,
    TutoringSession,
    User,
    WeeklyCompliance,
)
from mentoring.selectors.scoping import MENTORING_ROLES
from mentoring.services import compliance
from mentoring.workdays import week_monday


def mentor_of(user: User) -> Mentor | None:
    """The user's mentor profile, if they hold a role that mentors; else None."""
    if not is_active_account(user):
        return None
    return (
        Mentor.objects.filter(user=user, active=True, user__memberships__role__in=MENTORING_ROLES)
        .select_related("user")
        .first()
    )


def _with_grade_and_class(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    # The student's grade and class in the pairing's term, read in the same
    # query, so the list costs one query however many mentees there are.
    record = StudentRecord.objects.filter(student=OuterRef("student"), term=OuterRef("term"))
    return pairings.annotate(
        level=Subquery(record.values("level")[:1]),
        grade=Subquery(record.values("grade")[:1]),
        class_name=Subquery(record.values("class_name")[:1]),
    )


def active_pairings_of(mentor: Mentor) -> QuerySet[Pairing]:
    """The mentor's active pairings, with the student and the term, by student name."""
    pairings = Pairing.objects.filter(mentor=mentor, status=PairingStatus.ACTIVE).select_related(
        "student", "term"
    )
    return _with_grade_and_class(pairings).order_by("student__name", "kind", "pk")


def current_first(pairings: list[Pairing], *, today: date) -> list[Pairing]:
    """The pairings with the current term's first; each told apart from the rest by its flags.

    A mentor may hold two pairings of one student of the same kind: this
    term's, and one of the next term arranged ahead (the summer contracting of
    `workers.demo_summer`). `other_term` says the pairing's term is not today's
    and `starts_later` that it has not begun, so its card names its term and
    its first day instead of looking like a copy of the other card.
    """
    for pairing in pairings:
        pairing.other_term = not pairing.term.contains(today)
        pairing.starts_later = pairing.started_on is not None and pairing.started_on > today
    return sorted(pairings, key=lambda pairing: (pairing.other_term, pairing.starts_later))


def active_pairing_of(mentor: Mentor, pairing_id: int) -> Pairing | None:
    """One of the mentor's active pairings, or None for any other id."""
    return active_pairings_of(mentor).filter(pk=pairing_id).first()


def recent_sessions(pairing: Pairing, *, limit: int = 10) -> list[TutoringSession]:
    """The pairing's latest sessions, each with `holiday` set when dated in the holiday."""
    sessions = list(pairing.sessions.order_by("-date", "-pk")[:limit])
    for session in sessions:
        session.holiday = pairing.term.is_holiday(session.date)
    return sessions


def term_scores(pairing: Pairing) -> list[SubjectScore]:
    """The mentee's scores in the pairing's term, by subject."""
    return list(
        SubjectScore.objects.filter(
            record__student_id=pairing.student_id, record__term_id=pairing.term_id
        ).order_by("subject")
    )


def last_session_subject(pairing: Pairing) -> str:
    """The subject of the pairing's latest session that had one, or ""."""
    subject = (
        pairing.sessions.exclude(subject="")
        .order_by("-date", "-pk")
        .values_list("subject", flat=True)
        .first()
    )
    return subject or ""


def notifications_of(user: User, *, limit: int = 50) -> list[Notification]:
    """The user's latest notifications, unread first (a resolved one is not unread)."""
    unread_first = Case(When(Notification.UNREAD, then=0), default=1)
    notifications = Notification.objects.filter(recipient=user)
    return list(notifications.order_by(unread_first, "-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class Reminder:
    """A notification as the mentor's page shows it.

    A missed week of one of the mentor's own pairings is told from its data,
    in the page's language: the student (a link to the mentee while the
    pairing is active) and the week as dates. Anything else keeps the
    subject and text it was stored with.
    """

    notification: Notification
    student_name: str = ""
    week_start: date | None = None
    pairing_id: int | None = None  # the mentee's page, while the pairing is active

    @property
    def week_end(self) -> date | None:
        return self.week_start + calendar.ONE_WEEK - timedelta(days=1) if self.week_start else None


def reminders_of(user: User, mentor: Mentor, *, limit: int = 50) -> list[Reminder]:
    """The user's latest notifications for the mentor's page, in three queries however many."""
    notifications = notifications_of(user, limit=limit)
    pairing_ids = {
        notification.data.get("pairing")
        for notification in notifications
        if notification.kind == NotificationKind.MISSED_WEEK
    } - {None}
    own = dict(
        Pairing.objects.filter(pk__in=pairing_ids, mentor=mentor).values_list("pk", "student__name")
    )
    active = set(active_pairings_of(mentor).filter(pk__in=own).values_list("pk", flat=True))
    reminders = []
    for notification in notifications:
        pairing_id = notification.data.get("pairing")
        week = notification.data.get("week")
        if notification.kind != NotificationKind.MISSED_WEEK or pairing_id not in own or not week:
            reminders.append(Reminder(notification))
            continue
        try:
            week_start = calendar.parse_week(str(week))
        except ValueError:
            reminders.append(Reminder(notification))
            continue
        reminders.append(
            Reminder(
                notification,
                student_name=own[pairing_id],
                week_start=week_start,
                pairing_id=pairing_id if pairing_id in active else None,
            )
        )
    return reminders


def unread_notification_count(user: User) -> int:
    return Notification.objects.filter(Notification.UNREAD, recipient=user).count()


# Why a week is not counted (WeekStatus.not_counted).
NO_TARGET, HOLIDAY, OUTSIDE = "no_target", "holiday", "outside"


@dataclass(frozen=True)
class WeekStatus:
    """This week of one pairing as the page shows it.

    `not_counted` says why the weekly check does not count this week, or is
    empty when it does: a holiday week, a pairing without a weekly target
    (care and sponsorship), or a week outside the term or the pairing.
    """

    week_start: date
    not_counted: str
    sessions: int
    target: int
    met: bool
    home_visits: int = 0


def week_status(pairings: list[Pairing], *, today: date) -> dict[int, WeekStatus]:
    """This week's status of each pairing, in two queries however many pairings there are.

    The weekly check's stored row wins when there is one. The check writes
    rows only for weeks that have ended, so the current week is normally
    computed here, by the check's own rules (`mentoring.services.compliance`:
    its school weeks, which sessions count, the target), as the check will
    judge it once the week is over. The page and the check cannot disagree.
    """
    monday = week_monday(today)
    iso = monday.isocalendar()
    ids = [pairing.pk for pairing in pairings]
    stored = {
        row.pairing_id: row
        for row in WeeklyCompliance.objects.filter(
            pairing_id__in=ids, iso_year=iso.year, iso_week=iso.week
        )
    }
    figures = compliance.week_figures(Pairing.objects.filter(pk__in=ids), [monday])
    week_over = monday + calendar.ONE_WEEK
    statuses = {}
    for pairing in pairings:
        term = pairing.term
        school_weeks = calendar.school_weeks(term.start_date, term.end_date, term.holiday_weeks)
        checked = calendar.pairing_weeks(
            school_weeks, pairing.started_on, pairing.ended_on, week_over
        )
        if pairing.kind != PairingKind.ACADEMIC:
            not_counted = NO_TARGET
        elif term.contains(today) and monday not in school_weeks:
            not_counted = HOLIDAY
        elif monday not in checked:
            not_counted = OUTSIDE
        else:
            not_counted = ""
        row = stored.get(pairing.pk)
        if row is None:
            week = figures.get(pairing.pk, {}).get(monday, calendar.WeekFigures())
            (row,) = calendar.week_results([monday], {monday: week})
        statuses[pairing.pk] = WeekStatus(
            week_start=monday,
            not_counted=not_counted,
            sessions=row.sessions,
            target=row.target_sessions,
            met=row.met,
            home_visits=row.home_visits,
        )
    return statuses
