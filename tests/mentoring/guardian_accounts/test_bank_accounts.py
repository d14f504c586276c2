"""mentoring.bank_accounts: check, mask, hash and encrypt account numbers, without Django."""

import pytest
from cryptography.fernet import Fernet

from mentoring import bank_accounts

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
NUMBER = "6222021234567891234"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("6222 0212 3456 7891 234", NUMBER),
        ("6222-0212-3456-7891-234", NUMBER),
        ("1" * 12, "1" * 12),
        ("9" * 30, "9" * 30),
    ],
)
def test_validate_accepts_12_to_30_digits_with_spaces_or_dashes(raw, normalised):
    assert bank_accounts.validate(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "1" * 11, "1" * 31, "62220212345678912X", "６２２２０２１２３４５６"]
)
def test_validate_refuses_other_shapes(raw):
    with pytest.raises(bank_accounts.InvalidAccountNumber):
        bank_accounts.validate(raw)


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    return total % 10 == 0


def test_luhn_is_not_required():
    # Of two numbers differing in the last digit at most one passes Luhn; both are accepted.
    first, second = "6222021234567891234", "6222021234567891235"
    assert not (_luhn_ok(first) and _luhn_ok(second))
    assert bank_accounts.validate(first) == first
    assert bank_accounts.validate(second) == second


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("622202123456789", "**** **** **** 6789"),
        ("6222021234567891", "**** **** **** 7891"),
        (NUMBER, "**** **** **** **** 1234"),
        ("123456789012", "**** **** 9012"),
    ],
)
def test_mask_shows_only_the_last_four_digits(number, masked):
    assert bank_accounts.mask(number) == masked
    assert number[:-4] not in masked


def test_encryption_round_trip_and_the_ciphertext_holds_no_digits_of_the_number():
    token = bank_accounts.encrypt(NUMBER, keys=[KEY])
    assert NUMBER not in token and NUMBER[-8:] not in token
    assert bank_accounts.decrypt(token, keys=[KEY]) == NUMBER
    # Each encryption is fresh: the same number does not give the same token.
    assert bank_accounts.encrypt(NUMBER, keys=[KEY]) != token


def test_a_wrong_key_fails_loudly():
    token = bank_accounts.encrypt(NUMBER, keys=[KEY])
    with pytest.raises(bank_accounts.AccountKeyMismatch, match="BANGFU_ACCOUNT_KEYS"):
        bank_accounts.decrypt(token, keys=[OTHER_KEY])


def test_a_rotated_key_still_opens_numbers_written_with_the_old_one():
    token = bank_accounts.encrypt(NUMBER, keys=[KEY])
    assert bank_accounts.decrypt(token, keys=[OTHER_KEY, KEY]) == NUMBER


def test_keyed_hash_is_stable_keyed_and_apart_from_id_number_hashes():
    from mentoring import idnumbers

    first = bank_accounts.keyed_hash("6222 0212 3456 7891 234", key=b"k" * 32)
    assert first == bank_accounts.keyed_hash(NUMBER, key=b"k" * 32)
    assert first != bank_accounts.keyed_hash(NUMBER, key=b"j" * 32)
    assert first != idnumbers.keyed_hash(NUMBER, key=b"k" * 32)
