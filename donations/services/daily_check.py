"""The donations' morning check: pledges whose money is overdue, awards not paid in time."""

import datetime

from core.jobs import Progress
from donations.services.awards import awards_flag_late
from donations.services.pledges import pledges_mark_overdue


def donations_daily_check(*, today: datetime.date, progress: Progress) -> dict:
    """Mark the pledges overdue on `today`, then flag the awards late by then.

    Each step is safe to run again on the same day: a pledge's status is
    recomputed from its money, and an award is flagged (and its school's
    administrators notified) once.
    """
    overdue = pledges_mark_overdue(today=today)
    progress(50)
    late = awards_flag_late(today=today)
    progress(100)
    return {"overdue": overdue, "late_awards": late}
