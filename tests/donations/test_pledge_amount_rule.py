"""One home for what a pledge's instalment amount may be (donations.services.pledges)."""

from datetime import date
from decimal import Decimal

import pytest

from donations.models import PledgeKind
from donations.services.pledges import pledge_amount_problem, pledge_instalments_in_units


def test_items_are_whole_counts_and_money_is_yuan():
    assert pledge_amount_problem(PledgeKind.ITEMS, Decimal("3")) is None
    assert pledge_amount_problem(PledgeKind.ITEMS, Decimal("2.5"))
    assert pledge_amount_problem(PledgeKind.MONEY, Decimal("2.50")) is None


def test_a_fractional_count_is_never_converted_to_a_smaller_one():
    # 2.5 items were stored as 2 by int() on any path that skipped the check.
    with pytest.raises(ValueError):
        pledge_instalments_in_units(
            kind=PledgeKind.ITEMS,
            instalments=[{"due_on": date(2027, 1, 1), "amount": Decimal("2.5")}],
        )
    assert pledge_instalments_in_units(
        kind=PledgeKind.MONEY,
        instalments=[{"due_on": date(2027, 1, 1), "amount": Decimal("2.5")}],
    ) == [(date(2027, 1, 1), 250)]
