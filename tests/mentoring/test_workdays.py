"""Working days of a public notice: the State Council's calendar, the term's holiday weeks
skipped whole, and Monday to Friday for a year the calendar does not know. No database.

November 2026 has no public holiday: there the official calendar is Monday to
Friday and the tests of the arithmetic read plainly. The official days of
National Day 2026 are looked up in `chinese_calendar` itself.
"""

from datetime import date, timedelta

import chinese_calendar
import pytest

from mentoring import school_weeks, workdays

# Two holiday weeks of a term, in a month without public holidays.
HOLIDAYS = ["2026-11-16", "2026-11-23"]
# The default test term's holiday weeks: National Day week and the week after.
TERM_HOLIDAYS = ["2026-09-28", "2026-10-05"]
# A year no calendar will know while this code runs.
UNKNOWN_YEAR = 2099


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_five_day_notice_posted_on_a_monday_ends_that_friday():
    assert workdays.period_end(date(2026, 11, 2), 5) == date(2026, 11, 6)


def test_notice_posted_on_a_wednesday_runs_over_the_weekend():
    assert workdays.period_end(date(2026, 11, 4), 5) == date(2026, 11, 10)


def test_notice_posted_on_a_saturday_starts_counting_on_monday():
    assert workdays.period_end(date(2026, 11, 7), 5) == date(2026, 11, 13)


def test_holiday_weeks_are_skipped_as_a_whole():
    # Thursday 12 and Friday 13 November, then two holiday weeks, then 30 November to 2 December.
    assert workdays.period_end(date(2026, 11, 12), 5, HOLIDAYS) == date(2026, 12, 2)


def test_notice_posted_inside_a_holiday_week_starts_after_it():
    assert workdays.period_end(date(2026, 11, 18), 5, HOLIDAYS) == date(2026, 12, 4)


def test_a_longer_district_period_counts_more_days():
    assert workdays.period_end(date(2026, 11, 2), 7) == date(2026, 11, 10)


def test_holiday_week_given_by_any_of_its_days_is_the_whole_week():
    assert workdays.holiday_mondays(["2026-10-01", date(2026, 10, 7)]) == {
        date(2026, 9, 28),
        date(2026, 10, 5),
    }


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 13), True),  # Friday
        (date(2026, 11, 14), False),  # Saturday
        (date(2026, 11, 15), False),  # Sunday
        (date(2026, 11, 17), False),  # Tuesday in a holiday week
        (date(2026, 11, 30), True),  # Monday after the holidays
    ],
)
def test_is_working_day(day, working):
    assert workdays.is_working_day(day, workdays.holiday_mondays(HOLIDAYS)) is working


# The State Council's calendar


@pytest.fixture
def national_day():
    """National Day 2026 as the package has it: the days off, and the weekend days worked."""
    around = days(date(2026, 9, 19), date(2026, 10, 18))
    off = [
        day for day in around if chinese_calendar.get_holiday_detail(day) == (True, "National Day")
    ]
    make_up = [day for day in around if day.weekday() >= 5 and chinese_calendar.is_workday(day)]
    return off, make_up


def test_national_day_2026_is_off_and_its_make_up_saturday_is_worked(national_day):
    off, make_up = national_day

    assert off == days(date(2026, 10, 1), date(2026, 10, 7))
    assert date(2026, 10, 10) in make_up
    assert not any(workdays.is_working_day(day, frozenset()) for day in off)
    assert all(workdays.is_working_day(day, frozenset()) for day in make_up)


def test_five_working_days_across_national_day_end_on_the_make_up_saturday(national_day):
    off, make_up = national_day
    # Tuesday 29 September: 29 and 30 September, 8 and 9 October, then Saturday 10 October.
    end = workdays.period_end(date(2026, 9, 29), 5)

    assert end == date(2026, 10, 10)
    assert end in make_up
    assert workdays.working_days_between(date(2026, 9, 29), end) == 5
    assert workdays.unknown_years(date(2026, 9, 29), end) == []
    assert workdays.working_days_between(off[0], off[-1]) == 0


def test_a_notice_posted_on_the_holiday_starts_after_it(national_day):
    off, _make_up = national_day

    assert workdays.period_end(off[0], 1) == date(2026, 10, 8)


def test_a_weekday_holiday_inside_an_ordinary_week_is_not_a_working_day():
    # Mid-autumn festival, Friday 25 September 2026, in no holiday week of the term.
    assert chinese_calendar.is_holiday(date(2026, 9, 25))
    assert workdays.period_end(date(2026, 9, 24), 2) == date(2026, 9, 28)


def test_the_terms_holiday_weeks_still_win_over_a_make_up_day():
    # The term gives the week of 5 October off whole: its make-up Saturday is not worked there.
    holidays = workdays.holiday_mondays(TERM_HOLIDAYS)

    assert not workdays.is_working_day(date(2026, 10, 10), holidays)
    assert workdays.period_end(date(2026, 9, 24), 5, TERM_HOLIDAYS) == date(2026, 10, 15)


def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday():
    new_year = date(UNKNOWN_YEAR, 1, 1)  # a Thursday, and New Year's Day
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(new_year)

    assert workdays.official_workday(new_year) is None
    assert workdays.is_working_day(new_year, frozenset())
    assert workdays.period_end(new_year, 5) == date(UNKNOWN_YEAR, 1, 7)
    assert workdays.unknown_years(new_year, date(UNKNOWN_YEAR, 1, 7)) == [UNKNOWN_YEAR]


def test_the_fallback_still_skips_the_terms_holiday_weeks():
    holidays = [f"{UNKNOWN_YEAR}-01-05"]

    assert workdays.period_end(date(UNKNOWN_YEAR, 1, 1), 5, holidays) == date(UNKNOWN_YEAR, 1, 14)


def test_unknown_years_names_only_the_years_the_calendar_lacks():
    assert workdays.unknown_years(date(2026, 12, 28), date(2026, 12, 31)) == []
    assert workdays.unknown_years(date(2098, 12, 28), date(UNKNOWN_YEAR, 1, 4)) == [2098, 2099]


# The weekly check's school weeks


def test_a_week_the_calendar_gives_off_whole_is_no_school_week():
    # Spring Festival 2026: Monday 16 to Sunday 22 February has no working day.
    assert not any(
        chinese_calendar.is_workday(day) for day in days(date(2026, 2, 16), date(2026, 2, 22))
    )

    weeks = school_weeks.school_weeks(date(2026, 2, 9), date(2026, 3, 1))

    assert weeks == [date(2026, 2, 9), date(2026, 2, 23)]


def test_a_week_with_only_its_make_up_day_worked_is_a_school_week():
    # National Day 2026: the week of 5 October has 8, 9 and 10 October worked.
    weeks = school_weeks.school_weeks(date(2026, 9, 28), date(2026, 10, 11))

    assert weeks == [date(2026, 9, 28), date(2026, 10, 5)]
    # The term's own holiday weeks are still left out whole.
    assert school_weeks.school_weeks(date(2026, 9, 28), date(2026, 10, 11), TERM_HOLIDAYS) == []


def test_school_weeks_of_an_unknown_year_are_the_terms_weeks():
    start = date(UNKNOWN_YEAR, 2, 2)  # a Monday
    weeks = school_weeks.school_weeks(start, start + timedelta(days=27), [f"{UNKNOWN_YEAR}-02-09"])

    assert weeks == [start, start + timedelta(days=14), start + timedelta(days=21)]


@pytest.mark.parametrize("start", [date(2026, 9, 1) + timedelta(days=n) for n in range(60)])
def test_every_period_holds_exactly_its_number_of_working_days(start):
    end = workdays.period_end(start, 5, HOLIDAYS)

    assert workdays.working_days_between(start, end, HOLIDAYS) == 5
    assert workdays.is_working_day(end, workdays.holiday_mondays(HOLIDAYS))


def test_working_days_between_an_end_before_the_start_is_zero():
    assert workdays.working_days_between(date(2026, 9, 18), date(2026, 9, 14)) == 0


def test_a_period_needs_at_least_one_day():
    with pytest.raises(ValueError, match="at least one"):
        workdays.period_end(date(2026, 9, 14), 0)


def test_malformed_holiday_week_is_refused():
    with pytest.raises(ValueError):
        workdays.holiday_mondays(["2026-13-01"])
