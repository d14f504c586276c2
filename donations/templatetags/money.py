"""`{{ fen|yuan }}`: an amount of integer fen shown as yuan with two places, thousands grouped.

Grouped as the console and the admin show money (core.money.yuan_grouped:
120_000 → "1,200.00"), so one amount reads the same on every page.
"""

from django import template

from core.money import yuan_grouped

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return "" if fen is None else yuan_grouped(int(fen))
