"""The weekly check (DESIGN §2.6): one compliance row per academic pairing and school week.

The calendar comes first, as plain functions of dates (no database):

- a term's **school weeks** are the ISO weeks (Monday to Sunday) that overlap
  the term, less its holiday weeks (`Term.holiday_weeks`, read the way
  `mentoring.workdays` reads them);
- a pairing counts from the week it started in to the week it ended in;
- only weeks that have **ended** are checked: a week is checked from the
  Monday after it, so the current week is never judged half-way;
- a week is **met** when the mentor logged at least `WEEKLY_TARGET` contact
  sessions (tutoring or counselling) in it; home visits are counted apart;
- the **missed streak** of a week is how many checked weeks in a row, up to
  and including it, were missed. Holiday weeks do not break a streak.

Then the writes, set-based: the check reads the pairings, the sessions
(aggregated per pairing, week and kind by the database) and the rows already
stored in a fixed number of queries, computes every row in Python, and writes
only the rows that changed in one upsert (INSERT ... ON CONFLICT DO UPDATE on
the unique pairing and ISO week), so that running it twice, or two workers
running it at once, never duplicates a row. Rows of weeks that no longer count
(a holiday week added later, a pairing that ended earlier) are deleted.

Reminders: for the last checked week, a missed week reminds the mentor and a
streak of two or more notifies the school's administrators. Each reminder has
a key unique per recipient, inserted with ON CONFLICT DO NOTHING, and e-mail
goes only to notifications claimed (row-locked, `emailed_at` set) by this run,
so no reminder is stored or mailed twice.
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mentoring.models import (
    Membership,
    Notification,
    NotificationKind,
    Pairing,
    PairingKind,
    PairingStatus,
    Role,
    SessionKind,
    Term,
    TutoringSession,
    WeeklyCompliance,
)
from mentoring.workdays import holiday_mondays, week_monday

logger = logging.getLogger(__name__)

ONE_WEEK = datetime.timedelta(days=7)
# Policy: every party-member teacher tutors a struggling student at least once a week.
WEEKLY_TARGET = 1
# Sessions that count towards the weekly target: time spent with the student.
CONTACT_KINDS = (SessionKind.TUTORING, SessionKind.COUNSELLING)
# Administrators hear of a pairing once it has missed this many weeks in a row.
ESCALATE_AFTER = 2
# A notification whose e-mail failed is retried by later checks for this long.
EMAIL_RETRY_PERIOD = datetime.timedelta(days=7)
REMINDER_KINDS = (NotificationKind.MISSED_WEEK, NotificationKind.MISSED_STREAK)
# Pairings whose weeks are checked: approved ones, including those ended during the term.
CHECKED_STATUSES = (PairingStatus.ACTIVE, PairingStatus.ENDED)


# --- The calendar: plain dates in, plain dates out. ----------------------------------------------


def school_weeks(
    start: datetime.date, end: datetime.date, holiday_weeks: Iterable[str | datetime.date] = ()
) -> list[datetime.date]:
    """The Mondays of the weeks overlapping `start`..`end`, holiday weeks left out."""
    holidays = holiday_mondays(holiday_weeks)
    weeks = []
    monday = week_monday(start)
    while monday <= end:
        if monday not in holidays:
            weeks.append(monday)
        monday += ONE_WEEK
    return weeks


def week_has_ended(monday: datetime.date, today: datetime.date) -> bool:
    return monday + ONE_WEEK <= today


def last_ended_week(today: datetime.date) -> datetime.date:
    """The Monday of the last week that has ended by `today` (the week before today's)."""
    return week_monday(today) - ONE_WEEK


def pairing_weeks(
    weeks: Sequence[datetime.date],
    started_on: datetime.date,
    ended_on: datetime.date | None,
    today: datetime.date,
) -> list[datetime.date]:
    """The school weeks a pairing is checked for by `today`: from its start to its end, ended."""
    first = week_monday(started_on)
    return [
        monday
        for monday in weeks
        if monday >= first
        and (ended_on is None or monday <= ended_on)
        and week_has_ended(monday, today)
    ]


@dataclass(frozen=True)
class WeekFigures:
    sessions: int = 0
    minutes: int = 0
    home_visits: int = 0


@dataclass(frozen=True)
class WeekResult:
    week_start: datetime.date
    sessions: int
    minutes: int
    home_visits: int
    target_sessions: int
    met: bool
    missed_streak: int


def week_results(
    weeks: Sequence[datetime.date],
    figures: dict[datetime.date, WeekFigures],
    target: int = WEEKLY_TARGET,
) -> list[WeekResult]:
    """One result per week, in order, with the streak of missed weeks carried along."""
    results = []
    streak = 0
    for monday in weeks:
        week = figures.get(monday, WeekFigures())
        met = week.sessions >= target
        streak = 0 if met else streak + 1
        results.append(
            WeekResult(
                week_start=monday,
                sessions=week.sessions,
                minutes=week.minutes,
                home_visits=week.home_visits,
                target_sessions=target,
                met=met,
                missed_streak=streak,
            )
        )
    return results


def week_label(monday: datetime.date) -> str:
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def parse_week(value: str) -> datetime.date:
    """The Monday of a week written `2026-W40` or as any ISO date inside it; ValueError if not."""
    value = value.strip()
    if "W" in value.upper():
        year, _sep, week = value.upper().partition("-W")
        return datetime.date.fromisocalendar(int(year), int(week), 1)
    return week_monday(datetime.date.fromisoformat(value))


# --- The check: reads and writes in a fixed number of queries. -----------------------------------


@dataclass
class CheckOutcome:
    term: str
    through: datetime.date | None
    pairings: int = 0
    weeks: int = 0
    met: int = 0
    written: int = 0
    deleted: int = 0
    reminders_due: int = 0
    emailed: int = 0

    def as_dict(self) -> dict:
        return {
            "term": self.term,
            "through": week_label(self.through) if self.through else None,
            "pairings": self.pairings,
            "weeks": self.weeks,
            "met": self.met,
            "missed": self.weeks - self.met,
            "written": self.written,
            "deleted": self.deleted,
            "reminders_due": self.reminders_due,
            "emailed": self.emailed,
        }


_PAIRING_FIELDS = (
    "pk",
    "started_on",
    "ended_on",
    "student_id",
    "student__name",
    "student__school_id",
    "student__school__name",
    "mentor_id",
    "mentor__user_id",
    "mentor__user__username",
    "mentor__user__first_name",
    "mentor__user__last_name",
)
_ROW_FIELDS = (
    "sessions",
    "minutes",
    "home_visits",
    "target_sessions",
    "met",
    "missed_streak",
    "school_id",
    "mentor_id",
)


def _checked_pairings(term: Term, *, school_ids=None, pairing_ids=None):
    pairings = Pairing.objects.filter(
        term=term,
        kind=PairingKind.ACADEMIC,
        status__in=CHECKED_STATUSES,
        started_on__isnull=False,
    )
    if school_ids is not None:
        pairings = pairings.filter(student__school_id__in=school_ids)
    if pairing_ids is not None:
        pairings = pairings.filter(pk__in=pairing_ids)
    return pairings


def week_figures(pairings, weeks: Sequence[datetime.date]):
    """{pairing id: {monday: WeekFigures}} from one aggregate query over the sessions."""
    figures: dict[int, dict[datetime.date, dict]] = {}
    if not weeks:
        return {}
    rows = (
        TutoringSession.objects.filter(
            pairing__in=pairings.values("pk"),
            date__gte=weeks[0],
            date__lt=weeks[-1] + ONE_WEEK,
        )
        .annotate(week=TruncWeek("date"))
        .values("pairing_id", "week", "kind")
        .annotate(n=Count("pk"), total=Sum("minutes"))
        .order_by()
    )
    for pairing_id, week, kind, n, total in rows.values_list(
        "pairing_id", "week", "kind", "n", "total"
    ):
        if isinstance(week, datetime.datetime):
            week = week.date()
        tally = figures.setdefault(pairing_id, {}).setdefault(
            week, {"sessions": 0, "minutes": 0, "home_visits": 0}
        )
        if kind in CONTACT_KINDS:
            tally["sessions"] += n
            tally["minutes"] += total or 0
        elif kind == SessionKind.HOME_VISIT:
            tally["home_visits"] += n
    return {
        pairing_id: {week: WeekFigures(**tally) for week, tally in weeks_of.items()}
        for pairing_id, weeks_of in figures.items()
    }


# The teacher's page reads this week's figures with the same rules.
_week_figures = week_figures


def _stored_rows(term: Term, pairings):
    """{(pairing id, monday): (row id, figures...)} of the rows already written."""
    stored = WeeklyCompliance.objects.filter(term=term, pairing__in=pairings.values("pk"))
    return {
        (row[1], row[2]): row
        for row in stored.values_list("pk", "pairing_id", "week_start", *_ROW_FIELDS)
    }


def compliance_check(
    *,
    term_id: int,
    today: datetime.date | None = None,
    school_ids: Sequence[int] | None = None,
    pairing_ids: Sequence[int] | None = None,
    remind: bool = True,
) -> CheckOutcome:
    """Write the compliance rows of every ended school week of the term's academic pairings.

    `school_ids` limits the check to pairings of students of those schools,
    `pairing_ids` to those pairings. With `remind`, the last ended week's
    misses are notified (see the module's docstring). Safe to run again and
    to run concurrently: the result is the same rows and the same reminders.
    """
    today = today or timezone.localdate()
    term = Term.objects.get(pk=term_id)
    weeks = [
        monday
        for monday in school_weeks(term.start_date, term.end_date, term.holiday_weeks)
        if week_has_ended(monday, today)
    ]
    outcome = CheckOutcome(term=term.code, through=weeks[-1] if weeks else None)
    pairings = _checked_pairings(term, school_ids=school_ids, pairing_ids=pairing_ids)
    pairing_rows = list(pairings.values_list(*_PAIRING_FIELDS).order_by("pk"))
    figures = week_figures(pairings, weeks)
    stored = _stored_rows(term, pairings)

    to_write: list[WeeklyCompliance] = []
    wanted: set[tuple[int, datetime.date]] = set()
    last_week: dict[int, WeekResult] = {}
    for row in pairing_rows:
        pairing_id, started_on, ended_on = row[0], row[1], row[2]
        school_id, mentor_id = row[5], row[7]
        counted = pairing_weeks(weeks, started_on, ended_on, today)
        results = week_results(counted, figures.get(pairing_id, {}))
        outcome.pairings += 1
        for result in results:
            outcome.weeks += 1
            outcome.met += result.met
            wanted.add((pairing_id, result.week_start))
            values = (
                result.sessions,
                result.minutes,
                result.home_visits,
                result.target_sessions,
                result.met,
                result.missed_streak,
                school_id,
                mentor_id,
            )
            old = stored.get((pairing_id, result.week_start))
            if old is not None and tuple(old[3:]) == values:
                continue
            iso = result.week_start.isocalendar()
            to_write.append(
                WeeklyCompliance(
                    pairing_id=pairing_id,
                    term_id=term.pk,
                    school_id=school_id,
                    mentor_id=mentor_id,
                    week_start=result.week_start,
                    iso_year=iso.year,
                    iso_week=iso.week,
                    **dict(zip(_ROW_FIELDS[:6], values[:6], strict=True)),
                )
            )
        if results and results[-1].week_start == outcome.through:
            last_week[pairing_id] = results[-1]

    stale = [row[0] for key, row in stored.items() if key not in wanted]
    with transaction.atomic():
        if stale:
            WeeklyCompliance.objects.filter(pk__in=stale).delete()
        if to_write:
            WeeklyCompliance.objects.bulk_create(
                to_write,
                update_conflicts=True,
                unique_fields=["pairing", "iso_year", "iso_week"],
                update_fields=[
                    "term",
                    "school",
                    "mentor",
                    "week_start",
                    *_ROW_FIELDS[:6],
                    "checked_at",
                ],
            )
    outcome.written, outcome.deleted = len(to_write), len(stale)

    if remind and outcome.through is not None:
        missed = [row for row in pairing_rows if row[0] in last_week and not last_week[row[0]].met]
        outcome.reminders_due = _remind(missed, last_week, outcome.through)
        outcome.emailed = notifications_send_pending()
    return outcome


def compliance_refresh_week(
    *, pairing_id: int, week_start: datetime.date, today: datetime.date | None = None
) -> CheckOutcome | None:
    """Bring a pairing's rows up to date after a session of `week_start`'s week changed.

    Only ended weeks have rows, so a change in the current week (or a later
    one) writes nothing. The whole pairing is recomputed because a week's
    streak depends on the weeks before it, but only rows that changed are
    written: that week and the streaks after it. No reminder is sent; those
    belong to the weekly check.
    """
    today = today or timezone.localdate()
    if not week_has_ended(week_monday(week_start), today):
        return None
    term_id = Pairing.objects.filter(pk=pairing_id).values_list("term_id", flat=True).first()
    if term_id is None:
        return None
    return compliance_check(term_id=term_id, today=today, pairing_ids=[pairing_id], remind=False)


def terms_to_check(today: datetime.date | None = None) -> list[int]:
    """Terms whose last ended week lies inside them: the ones the Monday check looks at."""
    monday = last_ended_week(today or timezone.localdate())
    return list(
        Term.objects.filter(
            start_date__lte=monday + datetime.timedelta(days=6), end_date__gte=monday
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Reminders -----------------------------------------------------------------------------------


def _mentor_name(row) -> str:
    # As User.get_full_name() would say it, or the username.
    return f"{row[10]} {row[11]}".strip() or row[9]


def _both_languages(render) -> tuple[str, str]:
    """Subject and body in Chinese and in English: the user model has no language of its own."""
    parts = []
    for code in ("zh-hans", "en"):
        with translation.override(code):
            parts.append(render())
    (zh_subject, zh_body), (en_subject, en_body) = parts
    subject = zh_subject if zh_subject == en_subject else f"{zh_subject} / {en_subject}"
    body = zh_body if zh_body == en_body else f"{zh_body}\n\n---\n\n{en_body}"
    return subject[:200], body


def _missed_week_text(row, week: datetime.date) -> tuple[str, str]:
    params = {
        "student": row[4],
        "week": week_label(week),
        "monday": week.isoformat(),
        "sunday": (week + datetime.timedelta(days=6)).isoformat(),
        "mentor": _mentor_name(row),
    }

    def render():
        return (
            _("No tutoring logged in week %(week)s") % params,
            _(
                "Dear %(mentor)s,\n\nno tutoring session with %(student)s was logged in week "
                "%(week)s (%(monday)s to %(sunday)s). If it took place, please log it; "
                "otherwise please meet your student this week."
            )
            % params,
        )

    return _both_languages(render)


def _streak_text(row, week: datetime.date, streak: int) -> tuple[str, str]:
    params = {
        "student": row[4],
        "school": row[6],
        "week": week_label(week),
        "mentor": _mentor_name(row),
        "n": streak,
    }

    def render():
        return (
            _("%(student)s: %(n)d weeks without tutoring") % params,
            _(
                "%(student)s (%(school)s) has had no tutoring session for %(n)d weeks in a row, "
                "up to week %(week)s. The mentor is %(mentor)s. Please follow up with them."
            )
            % params,
        )

    return _both_languages(render)


def _remind(missed_rows, last_week: dict[int, WeekResult], week: datetime.date) -> int:
    """Store the reminders of the missed week; a reminder already stored is left as it is."""
    label = week_label(week)
    notifications = []
    streak_rows = []
    for row in missed_rows:
        pairing_id, school_id = row[0], row[5]
        subject, body = _missed_week_text(row, week)
        notifications.append(
            Notification(
                recipient_id=row[8],
                kind=NotificationKind.MISSED_WEEK,
                key=f"missed_week:{pairing_id}:{label}",
                school_id=school_id,
                subject=subject,
                body=body,
                data={"pairing": pairing_id, "week": label, "student": row[3]},
            )
        )
        if last_week[pairing_id].missed_streak >= ESCALATE_AFTER:
            streak_rows.append(row)
    if streak_rows:
        administrators: dict[int, list[int]] = {}
        for school_id, user_id in Membership.objects.filter(
            role=Role.ADMINISTRATOR,
            user__is_active=True,
            school_id__in={row[5] for row in streak_rows},
        ).values_list("school_id", "user_id"):
            administrators.setdefault(school_id, []).append(user_id)
        for row in streak_rows:
            pairing_id, school_id = row[0], row[5]
            streak = last_week[pairing_id].missed_streak
            subject, body = _streak_text(row, week, streak)
            for user_id in administrators.get(school_id, []):
                notifications.append(
                    Notification(
                        recipient_id=user_id,
                        kind=NotificationKind.MISSED_STREAK,
                        key=f"missed_streak:{pairing_id}:{label}",
                        school_id=school_id,
                        subject=subject,
                        body=body,
                        data={
                            "pairing": pairing_id,
                            "week": label,
                            "student": row[3],
                            "streak": streak,
                        },
                    )
                )
    # The unique (recipient, key) constraint decides, inside the database,
    # which of two concurrent checks stores a reminder; the other's is ignored.
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    return len(notifications)


def notifications_send_pending(*, now: datetime.datetime | None = None) -> int:
    """E-mail the reminders not yet mailed, each once; answers how many were sent.

    The rows are claimed first (locked with SKIP LOCKED and marked mailed in
    one transaction), so a concurrent check skips them, and only then sent.
    If the mail server fails, the claim is undone for a later check to retry.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                emailed_at__isnull=True,
                kind__in=REMINDER_KINDS,
                created_at__gte=now - EMAIL_RETRY_PERIOD,
            )
            .exclude(recipient__email="")
            .values_list("pk", "recipient__email", "subject", "body")
            .order_by("pk")
        )
        if not claimed:
            return 0
        Notification.objects.filter(pk__in=[row[0] for row in claimed]).update(emailed_at=now)
    messages = [
        EmailMessage(subject=subject, body=body, to=[email], from_email=settings.DEFAULT_FROM_EMAIL)
        for _pk, email, subject, body in claimed
    ]
    try:
        with get_connection() as connection:
            sent = connection.send_messages(messages) or 0
    except Exception:
        logger.exception("Sending %d reminder e-mails failed; a later check retries.", len(claimed))
        Notification.objects.filter(pk__in=[row[0] for row in claimed], emailed_at=now).update(
            emailed_at=None
        )
        return 0
    return sent
