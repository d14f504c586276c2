"""Money as Bangfu keeps it: integer fen (分) in the database, yuan with two places outside.

Pure arithmetic, no Django and never float: the API (core.serializers.YuanField),
the services' messages and the term report all convert here.
"""

from decimal import Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def yuan(fen: int) -> str:
    """Integer fen as yuan with two places: 2_800_000 → '28000.00', 31250 → '312.50'; no float."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_grouped(fen: int) -> str:
    """Integer fen as yuan with two places and thousands grouped: 120_000 → '1,200.00'."""
    return f"{yuan_amount(fen):,.2f}"


def yuan_amount(fen: int) -> Decimal:
    """Integer fen as a Decimal of yuan with two places: 31250 → Decimal('312.50')."""
    return (Decimal(fen) * CENT).quantize(CENT)


def fen(amount: str | Decimal) -> int:
    """Yuan with at most two decimals (a report's string, or a serializer's Decimal) as
    integer fen: '312.50' → 31250."""
    return int(Decimal(amount) * HUNDRED)
