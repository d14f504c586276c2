"""`{{ fen|yuan }}`: an amount of integer fen shown as yuan with two places (core.money)."""

from django import template

from core.money import yuan as yuan_text

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return "" if fen is None else yuan_text(int(fen))
