"""Working-day arithmetic for public notices (公示期), with the term's holiday weeks.

Plain functions, no Django: the holiday weeks are passed in as the term keeps
them (ISO dates of the Monday of each week off, "YYYY-MM-DD").

A working day is Monday to Friday in a week that is not a holiday week. Public
holidays that fall inside an ordinary week are not modelled: the term records
its holidays by whole weeks, which is how schools plan them (National Day week,
the winter break).
"""

from collections.abc import Iterable
from datetime import date, timedelta

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


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and week_monday(day) not in holidays


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
