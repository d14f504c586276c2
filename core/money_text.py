"""Money as people read it, in their language: "1,200.00 元", or "1,200.00 yuan" in English.

The arithmetic is core.money's (integer fen, never float); this adds only the
unit's word, so the admin's columns and the records' names read alike.
"""

from django.utils.translation import gettext

from core.money import yuan_grouped


def yuan_text(fen: int) -> str:
    """Integer fen as grouped yuan with its unit: 120_000 → "1,200.00 元" ("1,200.00 yuan")."""
    return gettext("%(amount)s yuan") % {"amount": yuan_grouped(fen)}
