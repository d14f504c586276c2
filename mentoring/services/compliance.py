"""The weekly check (DESIGN §2.6): one compliance row per academic pairing and school week.

The calendar comes first, as plain functions of dates (no database, in
`mentoring.school_weeks`):

- a term's **school weeks** are the ISO weeks (Monday to Sunday) that overlap
  the term, less its holiday weeks (`Term.holiday_weeks`, read the way
  `mentoring.workdays` reads them);
- a pairing counts from the week it started in to the week it ended in;
- only weeks that have **ended** are checked: a week is checked from the
  Monday after it, so the current week is never judged half-way;
- a week is **met** when the mentor logged at least `WEEKLY_TARGET` contact
  sessions (tutoring or counselling) in it; home visits are counted apart;
- sessions dated in the holiday (`mentoring.school_weeks.is_holiday`: a
  holiday week, or after the term for a pairing that continues over the
  holiday) never count for a week; the figures count them apart;
- the **missed streak** of a week is how many checked weeks in a row, up to
  and including it, were missed. Holiday weeks do not break a streak.

Then the writes, set-based: the check reads the pairings (each with its last
stored row, whose streak the next week continues), the sessions (aggregated
per pairing, day and kind by the database) and the rows already stored for
the weeks it computes, in a fixed number of queries; computes the rows in
Python; and writes only the rows that changed in one upsert (INSERT ... ON
CONFLICT DO UPDATE on the unique pairing and ISO week), so that running it
twice, or two workers running it at once, never duplicates a row. On
PostgreSQL only the calendar is Python's: one statement aggregates the
sessions, carries the streaks, upserts the rows that differ from the stored
ones and resolves their reminders (`CHECK_SQL`), with no row through Python. The Monday
check computes the weeks after each pairing's last stored row (normally the
one week just ended); a refresh after a session changed recomputes from that
session's week; the on-demand check recomputes the whole term and deletes rows
of weeks that no longer count (a holiday week added later, a pairing that
ended earlier).

Reminders (`mentoring.services.compliance_reminders`): for the last checked
week, a missed week reminds the mentor and a streak of two or more notifies
the school's administrators, again each week
the streak lasts (the key names the pairing and the week). A reminded week
that turns met (a session logged late, or moved into it) resolves its
reminders as its row is written, so they are no longer unread; one that
turns missed again is re-opened only by the next check that reminds (a
refresh reminds nobody, and re-opens nothing). Each reminder has
a key unique per recipient, inserted with ON CONFLICT DO NOTHING, so no
reminder is stored twice. The check does not e-mail them: it announces them
(`mentoring.signals.reminders_stored`), and their e-mails go out in a task of
their own after commit (`compliance_reminders.reminders_mail`), which sends
only the notifications it claims (row-locked, `emailed_at` set), so none is
mailed twice. Building and handing over a county's few thousand e-mails took
as long as the rows themselves; a mail server that is slow or away no longer
holds up, or fails, the check.
"""

import datetime
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from core.bulk import array_literal
from mentoring.models import (
    PAIRED_STATUSES,
    Pairing,
    PairingKind,
    SessionKind,
    Term,
    TutoringSession,
    WeeklyCompliance,
    person_name,
)
from mentoring.school_weeks import (
    ONE_WEEK,
    WEEKLY_TARGET,
    WeekFigures,
    WeekResult,
    last_ended_week,
    pairing_weeks,
    school_weeks,
    week_has_ended,
    week_label,
    week_results,
)
from mentoring.services.compliance_reminders import (
    REMINDER_KINDS,
    CheckedPairing,
    reminders_resolve,
    reminders_resolve_sql,
    reminders_store,
)
from mentoring.services.compliance_sql import CHECK_SQL, STALE_SQL
from mentoring.signals import reminders_stored
from mentoring.workdays import unknown_years, week_monday

logger = logging.getLogger(__name__)

# Sessions that count towards the weekly target: time spent with the student.
CONTACT_KINDS = (SessionKind.TUTORING, SessionKind.COUNSELLING)
# Pairings whose weeks are checked: approved ones, including those ended during the term.
CHECKED_STATUSES = PAIRED_STATUSES
# The terms (with their unknown years) whose calendar warning this process has given.
_CALENDAR_WARNED: set[tuple[str, tuple[int, ...]]] = set()


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
    # Years of the term the official calendar does not know yet: their school
    # weeks are the term's weeks less its holiday weeks alone (mentoring.workdays).
    calendar_unknown_years: tuple[int, ...] = ()

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
            "calendar_unknown_years": list(self.calendar_unknown_years),
        }


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
# The first key of the advisory lock that orders the checks of a term ("bangfu weekly").
_LOCK_NAMESPACE = 6_066_601
# Above this many pairings behind the others, the sessions are read for all of them.
_BEHIND_LIST_LIMIT = 1000


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


def _read_pairings(pairings, boundary: datetime.date) -> list[CheckedPairing]:
    """The pairings with what reminders need, and each one's last row stored before `boundary`."""
    seed = WeeklyCompliance.objects.filter(
        pairing=OuterRef("pk"), week_start__lt=boundary
    ).order_by("-week_start")
    rows = (
        pairings.annotate(
            seed_week=Subquery(seed.values("week_start")[:1]),
            seed_streak=Subquery(seed.values("missed_streak")[:1]),
        )
        .order_by("pk")
        .values_list(
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
            "seed_week",
            "seed_streak",
        )
    )
    return [
        CheckedPairing(
            pk=row[0],
            started_on=row[1],
            ended_on=row[2],
            student_id=row[3],
            student_name=row[4],
            school_id=row[5],
            school_name=row[6],
            mentor_id=row[7],
            mentor_user_id=row[8],
            # As User.get_full_name() would say it, or the username.
            mentor_name=person_name(row[10], row[11]) or row[9],
            seed_week=row[12],
            seed_streak=row[13] or 0,
        )
        for row in rows
    ]


def week_figures(pairings, weeks: Sequence[datetime.date], *, sessions=None):
    """{pairing id: {monday: WeekFigures}} from one aggregate query over the sessions.

    The database groups by pairing, week (its Monday, `TruncWeek` on
    PostgreSQL and SQLite alike) and kind: a fifth of the rows a grouping by
    day would send back for Python to fold.
    """
    if not weeks:
        return {}
    if sessions is None:
        # Days of a week outside the pairing's term (a Saturday of holiday work
        # after the term's last Friday) are holiday, counted apart.
        sessions = TutoringSession.objects.filter(
            pairing__in=pairings.values("pk"),
            date__gte=weeks[0],
            date__lt=weeks[-1] + ONE_WEEK,
        ).filter(date__gte=F("pairing__term__start_date"), date__lte=F("pairing__term__end_date"))
    counted = set(weeks)
    figures: dict[int, dict[datetime.date, list[int]]] = {}
    rows = (
        sessions.annotate(monday=TruncWeek("date"))
        .values("pairing_id", "monday", "kind")
        .annotate(n=Count("pk"), total=Sum("minutes"))
        .order_by()
        .values_list("pairing_id", "monday", "kind", "n", "total")
    )
    for pairing_id, monday, kind, n, total in rows:
        if monday not in counted:
            continue
        tally = figures.setdefault(pairing_id, {}).setdefault(monday, [0, 0, 0])
        if kind in CONTACT_KINDS:
            tally[0] += n
            tally[1] += total or 0
        elif kind == SessionKind.HOME_VISIT:
            tally[2] += n
    return {
        pairing_id: {monday: WeekFigures(*tally) for monday, tally in weeks_of.items()}
        for pairing_id, weeks_of in figures.items()
    }


# The columns of a row to write, in order (SQLite's check; PostgreSQL's writes in SQL).
_UPSERT_COLUMNS = [
    *("pairing_id", "term_id", "school_id", "mentor_id", "week_start", "iso_year", "iso_week"),
    *_ROW_FIELDS[:6],
]


def _upsert(rows: list[tuple]) -> None:
    """INSERT ... ON CONFLICT (pairing, ISO week) DO UPDATE of `rows` (tuples in the
    order of `_UPSERT_COLUMNS`) through the ORM: SQLite's check (see `_write_in_database`)."""
    if not rows:
        return
    names = _UPSERT_COLUMNS
    WeeklyCompliance.objects.bulk_create(
        [WeeklyCompliance(**dict(zip(names, row, strict=True))) for row in rows],
        update_conflicts=True,
        unique_fields=["pairing", "iso_year", "iso_week"],
        update_fields=[name.removesuffix("_id") for name in names[1:5] + names[7:]]
        + ["checked_at"],
    )


def compliance_check(
    *,
    term_id: int,
    today: datetime.date | None = None,
    school_ids: Sequence[int] | None = None,
    pairing_ids: Sequence[int] | None = None,
    since: datetime.date | None = None,
    remind: bool = True,
) -> CheckOutcome:
    """Write the compliance rows of the ended school weeks of the term's academic pairings.

    Which weeks: by default (the Monday check) the last ended week, and for
    each pairing every earlier week after the last row stored for it, so a
    missed Monday or a pairing new to the check is caught up, while the term's
    older rows are neither read nor written again. With `since`, every week
    from `since` on is recomputed (`since` = the term's first week: the whole
    term, which also removes rows of weeks that no longer count).

    `school_ids` limits the check to pairings of students of those schools,
    `pairing_ids` to those pairings. With `remind`, the last ended week's
    misses are notified and their e-mails announced (see the module's
    docstring). Safe to run again and to run concurrently: the result is the
    same rows and the same reminders.
    """
    today = today or timezone.localdate()
    term = Term.objects.get(pk=term_id)
    weeks = [
        monday
        for monday in school_weeks(term.start_date, term.end_date, term.holiday_weeks)
        if week_has_ended(monday, today)
    ]
    unknown = tuple(unknown_years(term.start_date, term.end_date))
    if unknown and (term.code, unknown) not in _CALENDAR_WARNED:
        # Once per term and process: the demo and a catch-up check the term
        # school by school, and the same sentence a dozen times hides the rest.
        # Every outcome still carries the years (`calendar_unknown_years`).
        _CALENDAR_WARNED.add((term.code, unknown))
        logger.warning(
            "Term %s: the official calendar does not know %s yet; the school weeks there "
            "are the term's weeks less its holiday weeks.",
            term.code,
            ", ".join(str(year) for year in unknown),
        )
    outcome = CheckOutcome(
        term=term.code, through=weeks[-1] if weeks else None, calendar_unknown_years=unknown
    )
    if not weeks:
        return outcome
    boundary = max(weeks[0], week_monday(since)) if since else weeks[-1]
    pairings = _checked_pairings(term, school_ids=school_ids, pairing_ids=pairing_ids)
    with transaction.atomic():
        _take_turns(term.pk)
        checked, last_week = _compute_and_write(term, weeks, today, boundary, pairings, outcome)
    if remind:
        missed = [p for p in checked if p.pk in last_week and not last_week[p.pk].met]
        outcome.reminders_due = reminders_store(missed, last_week, outcome.through)
        if outcome.reminders_due:
            # Their e-mails, and any a failed run left unsent, go out apart (see above).
            reminders_stored.send(sender=CheckOutcome, term_id=term.pk, week=outcome.through)
    return outcome


def _take_turns(term_id: int) -> None:
    """Checks and refreshes of one term take turns, each reading what the one before wrote.

    Without it, a refresh started by a session committed while a check was
    computing could write first and then be overwritten by the check's older
    figures. On PostgreSQL a transaction-level advisory lock per term orders
    them; SQLite's IMMEDIATE transactions already run one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, term_id])


def _compute_and_write(term, weeks, today, boundary, pairings, outcome):
    """The body of the check, inside its transaction: read, compute, write the rows."""
    checked = _read_pairings(pairings, boundary)

    # Each pairing's weeks to compute: after its last stored row before the boundary.
    windows: dict[int, list[datetime.date]] = {}
    for pairing in checked:
        counted = pairing_weeks(weeks, pairing.started_on, pairing.ended_on, today)
        seed = pairing.seed_week
        windows[pairing.pk] = [monday for monday in counted if seed is None or monday > seed]
    earliest = min((w[0] for w in windows.values() if w), default=boundary)
    if connection.vendor == "postgresql":
        last_week = _write_in_database(
            term, weeks, checked, windows, min(earliest, boundary), outcome
        )
        return checked, last_week
    behind = [pk for pk, window in windows.items() if window and window[0] < boundary]
    # Only the term's own days count for its weeks: holiday work after the
    # term is counted apart, even in the term's last week.
    sessions = TutoringSession.objects.filter(
        pairing__in=pairings.values("pk"),
        date__lt=weeks[-1] + ONE_WEEK,
        date__gte=term.start_date,
        date__lte=term.end_date,
    )
    if not behind or len(behind) > _BEHIND_LIST_LIMIT:
        sessions = sessions.filter(date__gte=earliest)
    else:
        sessions = sessions.filter(
            Q(date__gte=boundary) | Q(pairing_id__in=behind, date__gte=earliest)
        )
    figures = week_figures(pairings, weeks, sessions=sessions)
    stored = {
        (row[1], row[2]): row
        for row in WeeklyCompliance.objects.filter(
            term=term, pairing__in=pairings.values("pk"), week_start__gte=min(earliest, boundary)
        ).values_list("pk", "pairing_id", "week_start", *_ROW_FIELDS)
    }

    to_write: list[tuple] = []
    wanted: set[tuple[int, datetime.date]] = set()
    last_week: dict[int, WeekResult] = {}
    for pairing in checked:
        results = week_results(
            windows[pairing.pk], figures.get(pairing.pk, {}), streak=pairing.seed_streak
        )
        outcome.pairings += 1
        for result in results:
            outcome.weeks += 1
            outcome.met += result.met
            wanted.add((pairing.pk, result.week_start))
            values = (
                result.sessions,
                result.minutes,
                result.home_visits,
                result.target_sessions,
                result.met,
                result.missed_streak,
            )
            old = stored.get((pairing.pk, result.week_start))
            if old is not None and old[3:] == (*values, pairing.school_id, pairing.mentor_id):
                continue
            iso = result.week_start.isocalendar()
            to_write.append(
                (
                    pairing.pk,
                    term.pk,
                    pairing.school_id,
                    pairing.mentor_id,
                    result.week_start,
                    iso.year,
                    iso.week,
                    *values,
                )
            )
        if results and results[-1].week_start == outcome.through:
            last_week[pairing.pk] = results[-1]

    # A stored row in a pairing's window that the window no longer has is a
    # week that stopped counting; rows before the window are not looked at.
    seeds = {pairing.pk: pairing.seed_week for pairing in checked}
    stale = [
        row[0]
        for (pairing_id, monday), row in stored.items()
        if (pairing_id, monday) not in wanted
        and (seeds.get(pairing_id) is None or monday > seeds[pairing_id])
    ]
    if stale:
        WeeklyCompliance.objects.filter(pk__in=stale).delete()
    _upsert(to_write)
    # Index 4 is the week's Monday and 11 `met` in a row to write (see above).
    reminders_resolve([(row[0], row[4]) for row in to_write if row[11]])
    outcome.written, outcome.deleted = len(to_write), len(stale)
    return checked, last_week


def _write_in_database(term, weeks, checked, windows, bound, outcome):
    """The PostgreSQL check: compute and upsert every row in one statement (see `CHECK_SQL`).

    Only the calendar comes from Python (each pairing's window: its first and
    last week, a run of the term's school weeks). Answers the last week's
    results of the pairings that missed it, which the reminders need.
    """
    firsts = [windows[p.pk][0] if windows[p.pk] else None for p in checked]
    lasts = [windows[p.pk][-1] if windows[p.pk] else None for p in checked]
    # One literal per column, not a list quoted element by element (`array_literal`).
    arrays = {
        "ids": array_literal(p.pk for p in checked),
        "firsts": array_literal(firsts),
        "lasts": array_literal(lasts),
    }
    outcome.pairings = len(checked)
    with connection.cursor() as cursor:
        # The sorts and hashes of a county's term (400,000 pair-weeks) in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            STALE_SQL,
            {
                "ids": arrays["ids"],
                "firsts": arrays["firsts"],
                "lasts": arrays["lasts"],
                "seeds": array_literal(p.seed_week for p in checked),
                "term": term.pk,
                "bound": bound,
                "weeks": weeks,
            },
        )
        outcome.deleted = cursor.rowcount
        cursor.execute(
            CHECK_SQL.replace("{resolve}", reminders_resolve_sql("written")),
            {
                **arrays,
                "schools": array_literal(p.school_id for p in checked),
                "mentors": array_literal(p.mentor_id for p in checked),
                "streaks": array_literal(p.seed_streak for p in checked),
                "contact": list(CONTACT_KINDS),
                "home_visit": SessionKind.HOME_VISIT,
                "earliest": min((f for f in firsts if f), default=bound),
                "after": weeks[-1] + ONE_WEEK,
                "term_start": term.start_date,
                "term_end": term.end_date,
                "target": WEEKLY_TARGET,
                "weeks": weeks,
                "term": term.pk,
                "through": outcome.through,
                "now": timezone.now(),
                "kinds": list(REMINDER_KINDS),
            },
        )
        weeks_done, met, written, _resolved, missed = cursor.fetchone()
    outcome.weeks, outcome.met, outcome.written = weeks_done, met, written
    if isinstance(missed, str):
        missed = json.loads(missed)
    return {
        pk: WeekResult(
            week_start=outcome.through,
            sessions=sessions,
            minutes=minutes,
            home_visits=home_visits,
            target_sessions=WEEKLY_TARGET,
            met=False,
            missed_streak=streak,
        )
        for pk, sessions, minutes, home_visits, streak in missed
    }


def compliance_refresh_week(
    *, pairing_id: int, week_start: datetime.date, today: datetime.date | None = None
) -> CheckOutcome | None:
    """Bring a pairing's rows up to date after a session of `week_start`'s week changed.

    Only ended weeks have rows, so a change in the current week (or a later
    one) writes nothing. That week and the ones after it are recomputed (their
    streaks depend on it), continuing the streak stored before it; only rows
    that changed are written. No reminder is sent: those belong to the
    weekly check.
    """
    today = today or timezone.localdate()
    if not week_has_ended(week_monday(week_start), today):
        return None
    term_id = Pairing.objects.filter(pk=pairing_id).values_list("term_id", flat=True).first()
    if term_id is None:
        return None
    return compliance_check(
        term_id=term_id,
        today=today,
        pairing_ids=[pairing_id],
        since=week_monday(week_start),
        remind=False,
    )


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
