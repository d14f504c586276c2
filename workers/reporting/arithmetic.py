"""Small sums and roundings the term report's figures share: plain numbers in, strings out.

No Django and no float: averages and changes are Decimal, rounded half-up.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def average(total: int, count: int, places: Decimal = TENTH) -> str | None:
    """total ÷ count rounded half-up to `places`; None for no count. A negative average that
    rounds to zero is "0.0", never "-0.0"."""
    if not count:
        return None
    value = (Decimal(total) / Decimal(count)).quantize(places, rounding=ROUND_HALF_UP)
    return str(value.copy_abs() if value.is_zero() else value)


def change(current, previous):
    """The difference current - previous of two figures (ints or decimal strings); None if unknown.

    Shares compare in percentage points; money strings keep two places.
    """
    if current is None or previous is None:
        return None
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    difference = Decimal(str(current)) - Decimal(str(previous))
    return str(difference.quantize(CENT, rounding=ROUND_HALF_UP))


def add_up(target: dict, row: dict, names) -> None:
    """Add the row's figures `names` into `target` (a missing or None figure counts 0)."""
    for name in names:
        target[name] = target.get(name, 0) + (row.get(name) or 0)
