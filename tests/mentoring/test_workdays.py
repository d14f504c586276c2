"""Working days of a public notice: Monday to Friday, holiday weeks skipped. No database."""

from datetime import date, timedelta

import pytest

from mentoring import workdays

# The default test term's holiday weeks: National Day week and the week after.
HOLIDAYS = ["2026-09-28", "2026-10-05"]


def test_five_day_notice_posted_on_a_monday_ends_that_friday():
    assert workdays.period_end(date(2026, 9, 14), 5) == date(2026, 9, 18)


def test_notice_posted_on_a_wednesday_runs_over_the_weekend():
    assert workdays.period_end(date(2026, 9, 16), 5) == date(2026, 9, 22)


def test_notice_posted_on_a_saturday_starts_counting_on_monday():
    assert workdays.period_end(date(2026, 9, 19), 5) == date(2026, 9, 25)


def test_holiday_weeks_are_skipped_as_a_whole():
    # Thursday 24 and Friday 25 September, then two holiday weeks, then 12 to 14 October.
    assert workdays.period_end(date(2026, 9, 24), 5, HOLIDAYS) == date(2026, 10, 14)


def test_notice_posted_inside_a_holiday_week_starts_after_it():
    assert workdays.period_end(date(2026, 9, 30), 5, HOLIDAYS) == date(2026, 10, 16)


def test_a_longer_district_period_counts_more_days():
    assert workdays.period_end(date(2026, 9, 14), 7) == date(2026, 9, 22)


def test_holiday_week_given_by_any_of_its_days_is_the_whole_week():
    assert workdays.holiday_mondays(["2026-10-01", date(2026, 10, 7)]) == {
        date(2026, 9, 28),
        date(2026, 10, 5),
    }


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 25), True),  # Friday
        (date(2026, 9, 26), False),  # Saturday
        (date(2026, 9, 27), False),  # Sunday
        (date(2026, 9, 29), False),  # Tuesday in a holiday week
        (date(2026, 10, 12), True),  # Monday after the holidays
    ],
)
def test_is_working_day(day, working):
    assert workdays.is_working_day(day, workdays.holiday_mondays(HOLIDAYS)) is working


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
