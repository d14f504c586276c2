"""Working-day arithmetic for public notices (公示期), deadlines and the weekly check.

Plain functions, no Django: the holiday weeks are passed in as the term keeps
them (ISO dates of the Monday of each week off, "YYYY-MM-DD").

A working day is a day the State Council's calendar says is one, in a week
that is not one of the term's holiday weeks:

- the official calendar (the `chinese_calendar` package) knows the public
  holidays and the make-up working days (调休): National Day 2026 is off from
  1 to 7 October and Saturday 10 October is worked;
- the term's holiday weeks are the school's own breaks, typed by hand (the
  winter break, a week the county closes the schools), skipped whole.

The package knows the years the State Council has published. For a year it
does not know yet (it raises NotImplementedError) a working day is Monday to
Friday outside the holiday weeks, as the term alone says; `unknown_years`
names those years, so that a caller can say its dates rest on the fallback.
"""

from collections.abc import Iterable
from datetime import date, timedelta

import chinese_calendar

_ONE_DAY = timedelta(days=1)


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def holiday_mondays(holiday_weeks: Iterable[str | date]) -> frozenset[date]:
    """The Mondays of the holiday weeks.

    A date that is not a Monday stands for the week it falls in, so a week
    entered by any of its days is still skipped as a whole.
    """
    mondays = set()
    for week in holiday_weeks:
        day = week if isinstance(week, date) else date.fromisoformat(week)
        mondays.add(week_monday(day))
    return frozenset(mondays)


def official_workday(day: date) -> bool | None:
    """What the State Council's calendar says of `day`; None for a year it does not know yet."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def unknown_years(start: date, end: date) -> list[int]:
    """The years of `start`..`end` the official calendar does not know (their days fall back)."""
    return [
        year
        for year in range(start.year, end.year + 1)
        if official_workday(date(year, 1, 1)) is None
    ]


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    """A working day of the official calendar (Monday to Friday in a year it does not know),
    outside the term's holiday weeks (`holidays`, their Mondays)."""
    if week_monday(day) in holidays:
        return False
    official = official_workday(day)
    return day.weekday() < 5 if official is None else official


def next_working_day(day: date, holidays: frozenset[date]) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, holidays):
        day += _ONE_DAY
    return day


def period_end(start: date, working_days: int, holiday_weeks: Iterable[str | date] = ()) -> date:
    """The last day of a period of `working_days` working days that begins on `start`.

    `start` counts as the first day when it is a working day; a notice posted on
    a Saturday or in a holiday week starts counting on the next working day.
    A five-day notice posted on a Monday of an ordinary week ends that Friday.
    """
    if working_days < 1:
        raise ValueError("a period has at least one working day")
    holidays = holiday_mondays(holiday_weeks)
    day = next_working_day(start, holidays)
    for _ in range(working_days - 1):
        day = next_working_day(day + _ONE_DAY, holidays)
    return day


def working_days_between(start: date, end: date, holiday_weeks: Iterable[str | date] = ()) -> int:
    """How many working days lie in `start`..`end`, both included (0 when end < start)."""
    holidays = holiday_mondays(holiday_weeks)
    count = 0
    day = start
    while day <= end:
        if is_working_day(day, holidays):
            count += 1
        day += _ONE_DAY
    return count
