"""Which stored compliance weeks a change to a pairing's sessions concerns.

A session logged, edited or deleted (`mentoring.signals.session_changed`)
changes the figures of its week. Only weeks already checked have rows: the
current week, and ended weeks the Monday check has not reached, have none,
and the weekly check computes them when it runs. Whoever refreshes the rows
in the background asks here first, and refreshes only what this answers.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from mentoring.models import WeeklyCompliance
from mentoring.services.compliance import week_has_ended
from mentoring.workdays import week_monday


@dataclass(frozen=True)
class RefreshDue:
    # The Mondays of the ended weeks the change touched, in order.
    weeks: list[datetime.date]
    # The school of the pairing's rows: its administrators follow the refresh.
    school_id: int


def compliance_refresh_due(
    *, pairing_id: int, days: Iterable[datetime.date], today: datetime.date
) -> RefreshDue | None:
    """The ended weeks of `days` whose rows a refresh must recompute; None when there are none.

    None too when the pairing has no row in any of those weeks: the check
    has not reached them, and will count the change when it does.
    """
    weeks = sorted({week_monday(day) for day in days if week_has_ended(week_monday(day), today)})
    if not weeks:
        return None
    school_id = (
        WeeklyCompliance.objects.filter(pairing_id=pairing_id, week_start__in=weeks)
        # Any of the pairing's rows names its school: ordered by the key, not by the
        # model's default, which joined the term, school, mentor and pairing for nothing.
        .order_by("pk")
        .values_list("school_id", flat=True)
        .first()
    )
    if school_id is None:
        return None
    return RefreshDue(weeks=weeks, school_id=school_id)
