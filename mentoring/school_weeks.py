"""The weekly check's calendar: plain dates in, plain dates out (no database).

A term's school weeks are the ISO weeks (Monday to Sunday) that overlap it,
less its holiday weeks and less the weeks with no working day at all in the
State Council's calendar (the Spring Festival week; `mentoring.workdays`,
which falls back to Monday to Friday for a year the calendar does not know);
a pairing counts from the week it started in to the
week it ended in; only weeks that have ended are checked; a week is met when
at least `WEEKLY_TARGET` contact sessions were logged in it, and the missed
streak carries along the weeks. `mentoring.services.compliance` stores the
results.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from mentoring.workdays import holiday_mondays, is_working_day, week_monday

ONE_WEEK = datetime.timedelta(days=7)
# Policy: every party-member teacher tutors a struggling student at least once a week.
WEEKLY_TARGET = 1


def school_weeks(
    start: datetime.date, end: datetime.date, holiday_weeks: Iterable[str | datetime.date] = ()
) -> list[datetime.date]:
    """The Mondays of the weeks overlapping `start`..`end` that have a working day.

    A holiday week of the term has none; nor has a week the official calendar
    gives off whole. A week with one working day (a make-up Saturday after
    National Day) is a school week.
    """
    holidays = holiday_mondays(holiday_weeks)
    weeks = []
    monday = week_monday(start)
    while monday <= end:
        if any(is_working_day(monday + timedelta(days=n), holidays) for n in range(7)):
            weeks.append(monday)
        monday += ONE_WEEK
    return weeks


def is_holiday(
    day: datetime.date,
    start: datetime.date,
    end: datetime.date,
    holiday_weeks: Iterable[str | datetime.date] = (),
) -> bool:
    """Whether `day` is holiday for a term `start`..`end`: outside the term, or in a holiday week.

    Holiday sessions (summer contracting, a home visit in the winter break) are
    counted apart: they never meet a school week's target. A weekend inside a
    school week is not holiday: a Saturday lesson counts for its week.
    """
    if not start <= day <= end:
        return True
    return week_monday(day) in holiday_mondays(holiday_weeks)


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
    *,
    streak: int = 0,
) -> list[WeekResult]:
    """One result per week, in order, with the streak of missed weeks carried along.

    `streak` is the streak of the week before the first one (0 when it was met
    or there is none), so that a check can start from a week already stored.
    """
    results = []
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
