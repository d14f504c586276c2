"""Resident ID numbers (居民身份证号码, GB 11643-1999): check, hash, mask.

Plain functions, no Django: the key for the hash is passed in. Bangfu never
stores or shows a whole ID number; it keeps `id_hash` to match lists and find
duplicate aid, and `id_masked` to show people which number is meant.
"""

import hashlib
import hmac
import re
from datetime import date

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_DIGITS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """`code` says what is wrong: "shape", "date" or "check_digit"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def normalize(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_DIGITS[total % 11]


def validate(raw: str) -> str:
    """The normalised number, or InvalidIdNumber saying what is wrong with it."""
    number = normalize(raw)
    if not _SHAPE.match(number):
        raise InvalidIdNumber("must be 18 characters: 17 digits and a digit or X", "shape")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("the birth date inside the number is not a date", "date") from None
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("the check digit is wrong", "check_digit")
    return number


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def keyed_hash(number: str, *, key: bytes) -> str:
    """HMAC-SHA256 of the normalised number: the same number always gives the same hash."""
    return hmac.new(key, normalize(number).encode(), hashlib.sha256).hexdigest()


def mask(number: str) -> str:
    """All but the last four characters hidden: `**************123X`."""
    number = normalize(number)
    return "*" * (len(number) - 4) + number[-4:]


def with_check_digit(first17: str) -> str:
    """A valid number from its first 17 digits (for test and demo data)."""
    return first17 + check_digit(first17)
