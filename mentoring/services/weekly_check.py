"""The weekly check as its background job runs it: which terms, and which weeks, in what order.

The check itself, its calendar and its writes are `mentoring.services.compliance`.
"""

import datetime
from collections.abc import Sequence

from core.jobs import Progress
from mentoring.services.compliance import compliance_check, compliance_refresh_week, terms_to_check


def compliance_check_terms(
    *,
    day: datetime.date,
    term_id: int | None = None,
    school_ids: Sequence[int] | None = None,
    since: datetime.date | None = None,
    progress: Progress,
) -> dict:
    """The check of `day`: one term's (on demand), else every term the Monday check covers.

    `since` (on demand, the whole term): every week from then is recomputed,
    which also repairs rows of weeks that no longer count; else only the new
    weeks. Progress counts the terms checked.
    """
    term_ids = [term_id] if term_id else terms_to_check(day)
    outcomes = []
    for done, term in enumerate(term_ids, start=1):
        outcome = compliance_check(term_id=term, today=day, school_ids=school_ids, since=since)
        outcomes.append(outcome.as_dict())
        progress(done * 100 // len(term_ids))
    return {"day": day.isoformat(), "terms": outcomes}


def compliance_refresh_weeks(
    *,
    pairing_id: int,
    weeks: Sequence[datetime.date],
    today: datetime.date,
    progress: Progress,
) -> dict:
    """Refresh a pairing's rows of `weeks` and of the weeks after them, their streaks included.

    One refresh from the earliest week covers the later ones.
    """
    outcome = compliance_refresh_week(pairing_id=pairing_id, week_start=min(weeks), today=today)
    progress(100)
    return {"pairing": pairing_id, **(outcome.as_dict() if outcome else {})}
