"""Words listed in a sentence, with the separators of the page's language.

Chinese lists words with 、 and joins clauses with ；, English with ", " and "; ":
a Chinese mark in an English sentence (English、Mathematics) or an ASCII one in a
Chinese sentence (已提醒帮扶人; 已告知管理员) reads as a mistake.
"""

from django.utils.translation import get_language

SEPARATORS = {
    # Words of one list: 英语、数学 / English, Mathematics.
    "words": ("、", ", "),
    # Clauses of one sentence: 已提醒帮扶人；已告知管理员 / Mentor reminded; administrators told.
    "clauses": ("；", "; "),
}


def separator(kind: str = "words") -> str:
    """The separator of `kind` ("words" or "clauses") in the page's language."""
    chinese, english = SEPARATORS[kind]
    return chinese if (get_language() or "").startswith("zh") else english


def listed(words, kind: str = "words") -> str:
    """The words joined with the page's separator of `kind`."""
    return separator(kind).join(str(word) for word in words)
