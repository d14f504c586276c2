"""The weekly check's word about a year the official calendar does not know: said once."""

import datetime

from mentoring.services.compliance import compliance_check
from workers.factories import TermFactory


def test_the_unknown_calendar_is_said_once_however_often_the_term_is_checked(db, caplog):
    # The demo checks a term school by school: the warning came 13 times (issue 17).
    term = TermFactory(
        code="2098-autumn",
        school_year="2098-2099",
        start_date=datetime.date(2098, 9, 1),
        end_date=datetime.date(2098, 12, 31),
        holiday_weeks=[],
    )

    with caplog.at_level("WARNING", logger="mentoring.services.compliance"):
        outcomes = [
            compliance_check(term_id=term.pk, today=datetime.date(2098, 10, 12)) for _ in range(3)
        ]

    assert [outcome.calendar_unknown_years for outcome in outcomes] == [(2098,)] * 3
    warnings = [record for record in caplog.records if "2098-autumn" in record.getMessage()]
    assert len(warnings) == 1
