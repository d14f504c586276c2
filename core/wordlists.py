"""Words listed in a sentence, with the separator of the page's language."""

from django.utils.translation import get_language


def listed(words) -> str:
    """English、Mathematics is Chinese punctuation in an English sentence: 、 in Chinese only."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(str(word) for word in words)
