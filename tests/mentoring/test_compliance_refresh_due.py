"""mentoring.selectors.compliance_refresh: which checked weeks a session change concerns."""

import pytest

from mentoring.selectors.compliance_refresh import RefreshDue, compliance_refresh_due
from tests.mentoring.test_compliance import TODAY, W37, W38, D, checked, clock, scene  # noqa: F401
from workers.factories import PairingFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_the_ended_weeks_of_the_days_each_once_in_order_with_the_rows_school(
    checked,  # noqa: F811
):
    days = [D(2026, 9, 16), D(2026, 9, 8), D(2026, 9, 10)]

    due = compliance_refresh_due(pairing_id=checked.pairing.pk, days=days, today=TODAY)

    assert due == RefreshDue(weeks=[W37, W38], school_id=checked.pairing.student.school_id)


def test_a_day_of_the_current_week_concerns_no_row(checked):  # noqa: F811
    assert compliance_refresh_due(pairing_id=checked.pairing.pk, days=[TODAY], today=TODAY) is None


def test_ended_weeks_the_check_has_not_reached_concern_no_row(scene, clock):  # noqa: F811
    due = compliance_refresh_due(pairing_id=scene.pairing.pk, days=[D(2026, 9, 16)], today=TODAY)

    assert due is None


def test_another_pairings_rows_of_the_week_do_not_count(checked, school_a):  # noqa: F811
    newcomer = PairingFactory(
        student=StudentFactory(school=school_a), term=checked.term, started_on=W37
    )

    due = compliance_refresh_due(pairing_id=newcomer.pk, days=[D(2026, 9, 16)], today=TODAY)

    assert due is None
    assert compliance_refresh_due(
        pairing_id=checked.pairing.pk, days=[D(2026, 9, 16)], today=TODAY
    ) == RefreshDue(weeks=[W38], school_id=school_a.pk)
