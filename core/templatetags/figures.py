"""`{{ n|grouped }}`: a count with its thousands grouped, 1851 → "1,851", as the term report
writes its figures (workers.reporting) and `{{ fen|yuan }}` writes money."""

from django import template

register = template.Library()


@register.filter
def grouped(value):
    """Whole numbers grouped by thousands; anything else (None, a text) shown as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
