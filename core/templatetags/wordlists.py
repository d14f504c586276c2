"""Lists in a page's sentences, with the page's language's separators (core.wordlists)."""

from django import template

from core import wordlists

register = template.Library()


@register.filter
def listed(things, attribute: str = ""):
    """`{{ schools|listed:"name" }}`: each thing (or its `attribute`) joined with 、 or ", "."""
    return wordlists.listed(getattr(thing, attribute) if attribute else thing for thing in things)


@register.filter
def clauses(parts):
    """`{{ parts|clauses }}`: clauses joined with ； or "; "."""
    return wordlists.listed(parts, "clauses")


@register.simple_tag
def separator(kind: str = "words"):
    """`{% separator "clauses" %}` between items a loop writes with their own markup."""
    return wordlists.separator(kind)
