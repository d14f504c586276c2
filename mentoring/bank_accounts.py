"""Guardians' bank account numbers: check, encrypt, hash, mask.

Plain functions, no Django: keys are passed in (settings.GUARDIAN_ACCOUNT_KEYS
and settings.ID_HASH_KEY, read by mentoring.services.guardian_accounts). A
whole account number is never stored or shown: the database keeps it
encrypted (Fernet: AES-128-CBC with an HMAC-SHA256 tag, from the maintained
`cryptography` package), with a masked form to show people which account is
meant and a keyed hash to find the same account on several students.
"""

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MIN_DIGITS = 12
MAX_DIGITS = 30
_SHAPE = re.compile(rf"^[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}$")
# The hash of an account number must never equal that of an ID number made of
# the same characters, so each kind of number is hashed under its own prefix.
_HASH_PREFIX = b"guardian-bank-account:"


class InvalidAccountNumber(ValueError):
    pass


class AccountKeyMismatch(RuntimeError):
    """A stored number does not open with the configured keys: a wrong or lost key.

    Raised, never answered with a blank or a guess, so that a payment list is
    not produced with missing numbers.
    """


def normalize(raw: str) -> str:
    """Digits as typed on a bank card or passbook, without spaces or dashes."""
    return re.sub(r"[\s-]", "", raw or "")


def validate(raw: str) -> str:
    """The normalised number, or InvalidAccountNumber.

    Chinese bank cards and passbook accounts run from 12 to 30 digits and
    only some carry a Luhn check digit, so none is required.
    """
    number = normalize(raw)
    if not _SHAPE.match(number):
        raise InvalidAccountNumber(f"must be {MIN_DIGITS} to {MAX_DIGITS} digits")
    return number


def mask(number: str) -> str:
    """The last four digits, the rest as groups of four stars: `**** **** **** 1234`."""
    number = normalize(number)
    hidden = len(number) - 4
    groups = ["****"] * -(-hidden // 4)
    return " ".join([*groups, number[-4:]])


def keyed_hash(number: str, *, key: bytes) -> str:
    """HMAC-SHA256 of the normalised number: the same account always gives the same hash."""
    return hmac.new(key, _HASH_PREFIX + normalize(number).encode(), hashlib.sha256).hexdigest()


def cipher(keys: list[str]) -> MultiFernet:
    """The first key encrypts; every key decrypts (so keys can be rotated)."""
    if not keys:
        raise ValueError("at least one key is needed")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt(number: str, *, keys: list[str]) -> str:
    return cipher(keys).encrypt(normalize(number).encode()).decode()


def decrypt(token: str, *, keys: list[str]) -> str:
    try:
        return cipher(keys).decrypt(token.encode()).decode()
    except InvalidToken:
        raise AccountKeyMismatch(
            "a guardian's account number does not decrypt with the configured "
            "BANGFU_ACCOUNT_KEYS: the key is wrong, or the one it was written with is missing"
        ) from None
