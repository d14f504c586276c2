"""The term report counts complaints: received in the term, answered by their due day or not."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from oversight.models import Complaint, ComplaintStatus
from oversight.selectors import complaint_rows
from workers.factories import SchoolFactory, TermFactory, UserFactory
from workers.reporting.collect import term_rows
from workers.reporting.figures import compose
from workers.reporting.tables import complaints as complaints_section

BEIJING = ZoneInfo("Asia/Shanghai")


def _complaint(district, school, received, due, answered_on=None, by=None):
    by = by or UserFactory()
    fields = {}
    if answered_on is not None:
        fields = {
            "status": ComplaintStatus.ANSWERED,
            "answer": "已答复",
            "answered_by": by,
            # 23:30 in Beijing (15:30 UTC): the day it was answered, there.
            "answered_at": datetime.combine(answered_on, datetime.min.time(), BEIJING)
            + timedelta(hours=23, minutes=30),
        }
    return Complaint.objects.create(
        district=district,
        school=school,
        received_on=received,
        channel="phone",
        anonymous=True,
        subject="s",
        details="d",
        answer_due_on=due,
        recorded_by=by,
        **fields,
    )


def test_complaints_are_counted_per_school_and_for_the_district(district, db):
    by = UserFactory()
    a, b = SchoolFactory(district=district), SchoolFactory(district=district)
    today = timezone.localdate()
    term = TermFactory(
        district=district,
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=30),
    )
    day = today - timedelta(days=50)
    _complaint(
        district, a, day, day + timedelta(days=20), answered_on=day + timedelta(days=20), by=by
    )
    _complaint(
        district, a, day, day + timedelta(days=20), answered_on=day + timedelta(days=21), by=by
    )
    _complaint(district, a, day, today + timedelta(days=5))  # open, not yet due
    _complaint(district, b, day, today - timedelta(days=1))  # open past its due day
    _complaint(district, None, day, today - timedelta(days=1))  # the district's own
    _complaint(district, a, term.start_date - timedelta(days=1), term.start_date)  # before the term

    school_rows = complaint_rows(
        district=district,
        school_ids=[a.pk],
        start=term.start_date,
        end=term.end_date,
        with_district=False,
    )
    assert school_rows == [
        {
            "school": a.pk,
            "received": 3,
            "answered_in_time": 1,
            "answered_late": 1,
            "open": 1,
            "overdue": 0,
        }
    ]
    data = compose(term_rows(term=term, schools=[a, b], scope="district"))
    assert data["complaints"]["total"] == {
        "received": 5,
        "answered_in_time": 1,
        "answered_late": 1,
        "open": 1,
        "overdue": 2,
    }
    assert data["complaints"]["schools"]["district"]["overdue"] == 1
    table = complaints_section(data).tables[0]
    assert [row[1] for row in table.rows] == [3, 1, 1, 5]


def test_a_report_built_before_complaints_were_recorded_has_no_complaints_section():
    assert complaints_section({"complaints": None}) is None
    raw_without = {"schools": [], "tiers": []}
    from workers.reporting.figures import _complaints

    assert _complaints(raw_without, {}) is None


def test_the_due_day_counts_in_beijing_time(district, db):
    by = UserFactory()
    school = SchoolFactory(district=district)
    due = date(2026, 11, 20)
    _complaint(district, school, due - timedelta(days=10), due, answered_on=due, by=by)
    rows = complaint_rows(
        district=district,
        school_ids=[school.pk],
        start=due - timedelta(days=30),
        end=due,
        with_district=False,
    )
    assert rows[0]["answered_in_time"] == 1 and rows[0]["answered_late"] == 0
