"""One roster cell at a time: text trimmed and checked, values read in the words of the template.

A cell that cannot be read raises `CellError`, whose message the import lists
against the row and column; nothing here touches the database.
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _

from mentoring import idnumbers
from mentoring.services.roster_columns import (
    BOARDING,
    COLUMNS,
    GENDERS,
    HARDSHIP_WORDS,
    LEVELS,
    LIST_SEPARATORS,
    MAX_LENGTHS,
    NOTHING_LISTED,
    SCORE_PREFIX,
    SUBJECT_WORDS,
    YES_NO,
    RosterColumn,
)
from mentoring.services.scores import score_problem
from mentoring.services.students import id_number_problem

FORMULA_STARTS = ("=", "+", "-", "@")
# Stripped from both ends of a text cell before it is checked and stored:
# spaces of every kind (Zs: U+3000, U+00A0, U+2000-U+200A, ...), line and
# paragraph separators, control characters (Cc) and format characters (Cf:
# U+200B-U+200F, U+2060, U+FEFF, ...).
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DIGIT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
SEPARATED_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
CHINESE_GRADES = dict(zip("一二三四五六七八九", range(1, 10), strict=True))
# Long digit runs in an echoed cell are masked: a misplaced ID number must not
# come back whole in an error message.
LONG_DIGITS = re.compile(r"\d{14,17}[\dXx]?")
MAX_INCOME_YUAN = Decimal("100000000")


class CellError(ValueError):
    pass


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not _trimmed(value))


def _shown(value: str) -> str:
    return LONG_DIGITS.sub(lambda match: idnumbers.mask(match.group()), value)[:40]


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# What _invisible found for each character seen, since a roster's cells start
# and end with the same few hundred characters; bounded, so that a file of
# every Unicode character cannot grow it without end.
_SEEN: dict[str, bool] = {}
_SEEN_MAX = 10_000


def _invisible(character: str) -> bool:
    found = _SEEN.get(character)
    if found is None:
        found = character.isspace() or unicodedata.category(character) in INVISIBLE_CATEGORIES
        if len(_SEEN) < _SEEN_MAX:
            _SEEN[character] = found
    return found


def _trimmed(text: str) -> str:
    """`text` without the whitespace, control and format characters at either end.

    `str.strip()` knows whitespace only: it keeps a zero-width space (U+200B),
    a byte order mark (U+FEFF) or a NUL in front of `=HYPERLINK(…)`, which a
    spreadsheet would still run.
    """
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def free_text(value, key: str) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else _as_text(value)
    # The check runs on the value that is stored, so that no invisible prefix
    # can carry a formula past it.
    text = _trimmed(text)
    if text.startswith(FORMULA_STARTS):
        raise CellError(
            _(
                "A cell may not start with =, +, - or @, even after spaces or invisible "
                "characters: spreadsheets would run it as a formula."
            )
        )
    if CONTROL_CHARACTERS.search(text) or "\n" in text or "\r" in text:
        raise CellError(_("The cell contains control characters or line breaks."))
    if len(text) > MAX_LENGTHS[key]:
        raise CellError(_("At most %(max)s characters are allowed.") % {"max": MAX_LENGTHS[key]})
    return text


def _choice(value, choices: dict):
    text = _as_text(value).strip()
    if text not in choices:
        raise CellError(_("Write one of: %(choices)s.") % {"choices": " / ".join(choices)})
    return choices[text]


def _optional_yes_no(value) -> bool:
    if is_blank(value):
        return False
    return _choice(value, YES_NO)


def _birth_date(value, *, today: date | None = None) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _as_text(value).strip()
        match = DIGIT_DATE.match(text) or SEPARATED_DATE.match(text)
        if not match:
            raise CellError(_("Write the date as YYYY-MM-DD or YYYYMMDD."))
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            raise CellError(_("This is not a date.")) from None
    if day > (today or timezone.localdate()):
        raise CellError(_("The birth date is in the future."))
    if day.year < 1990:
        raise CellError(_("The birth date is before 1990."))
    return day


def _id_number(value) -> str:
    if isinstance(value, float) or (isinstance(value, str) and "E+" in value.upper()):
        raise CellError(
            _(
                "The ID number was turned into a number and lost its last digits; "
                "format the column as text and type the number again."
            )
        )
    try:
        return idnumbers.validate(_as_text(value))
    except idnumbers.InvalidIdNumber as exc:
        raise CellError(id_number_problem(exc)) from None


def _grade(value) -> int:
    text = _as_text(value).strip().removesuffix("年级")
    if text in CHINESE_GRADES:
        return CHINESE_GRADES[text]
    if not text.isdigit() or not 1 <= int(text) <= 9:
        raise CellError(_("The grade is a whole number from 1 to 9."))
    return int(text)


def _household_size(value) -> int | None:
    if is_blank(value):
        return None
    text = _as_text(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 30:
        raise CellError(_("The household size is a whole number from 1 to 30."))
    return int(text)


def _income_fen(value) -> int | None:
    """Yuan to integer fen. Excel numbers arrive as floats; their shortest
    decimal form is what the user typed, so it is read as a Decimal from text."""
    if is_blank(value):
        return None
    text = _as_text(value).strip().replace(",", "")
    try:
        yuan = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Write the income as a number of yuan, e.g. 3200.50.")) from None
    if not yuan.is_finite():
        raise CellError(_("Write the income as a number of yuan, e.g. 3200.50."))
    if yuan < 0:
        raise CellError(_("The income cannot be negative."))
    if yuan >= MAX_INCOME_YUAN:
        raise CellError(_("The income is implausibly large."))
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise CellError(_("The income has at most two decimals (fen)."))
    return int(fen)


def _words(vocabulary: dict) -> Callable[[object], list]:
    """A reader of cells listing words of `vocabulary`, with the words' values and their
    order worked out once, not for every cell."""
    values = {word: choice.value for word, choice in vocabulary.items()}
    # A stable order, so that the same cell always gives the same value.
    rank = {value: index for index, value in enumerate(dict.fromkeys(values.values()))}

    def read(value) -> list:
        if is_blank(value):
            return []
        text = _as_text(value).strip()
        if text in NOTHING_LISTED:
            return []
        found, unknown = [], []
        for word in LIST_SEPARATORS.split(text):
            if not word:
                continue
            if word in values:
                if values[word] not in found:
                    found.append(values[word])
            else:
                unknown.append(_shown(word))
        if unknown:
            raise CellError(
                _("Unknown: %(words)s. Use the words listed in the template.")
                % {"words": "、".join(unknown)}
            )
        return sorted(found, key=rank.__getitem__)

    return read


def _score(value) -> Decimal | None:
    """An exam's score (mentoring.services.scores.score_problem); blank is None."""
    if is_blank(value):
        return None
    text = _as_text(value).strip()
    try:
        score = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Write the score as a number, e.g. 87.5.")) from None
    problem = score_problem(score)
    if problem:
        raise CellError(problem)
    return score


CELL_PARSERS = {
    "gender": lambda value: _choice(value, GENDERS),
    "birth_date": _birth_date,
    "id_number": _id_number,
    "level": lambda value: _choice(value, LEVELS),
    "grade": _grade,
    "boarding": lambda value: False if is_blank(value) else _choice(value, BOARDING),
    "household_size": _household_size,
    "income": _income_fen,
    "disabled": _optional_yes_no,
    "struggling": _optional_yes_no,
    "hardship": _words(HARDSHIP_WORDS),
    "weak_subjects": _words(SUBJECT_WORDS),
    **{column.key: _score for column in COLUMNS if column.key.startswith(SCORE_PREFIX)},
}


def cell_parser(column: RosterColumn, *, today: date) -> Callable[[object], object]:
    """The function that reads `column`'s cells, chosen once per file, not once per cell.

    `today` is the import's day, against which birth dates are checked, read
    once for the file rather than from the clock for every row.
    """
    if column.text:
        return partial(free_text, key=column.key)
    if column.key == "birth_date":
        return partial(_birth_date, today=today)
    return CELL_PARSERS[column.key]
