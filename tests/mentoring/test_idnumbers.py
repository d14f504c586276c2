"""GB 11643 ID numbers: checked, hashed with a key, masked; no database."""

from datetime import date

import pytest

from mentoring import idnumbers

VALID = "11010519491231002X"  # the standard's own example


def test_the_standards_example_is_valid_and_normalised():
    assert idnumbers.validate(" 11010519491231002x ") == VALID
    assert idnumbers.birth_date(VALID) == date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "18 characters"),
        ("110105194913310028", "not a date"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(raw, problem):
    with pytest.raises(idnumbers.InvalidIdNumber, match=problem):
        idnumbers.validate(raw)


def test_hash_depends_on_the_key_and_not_on_spelling():
    a = idnumbers.keyed_hash(VALID, key=b"k1")
    assert a == idnumbers.keyed_hash(VALID.lower(), key=b"k1")
    assert a != idnumbers.keyed_hash(VALID, key=b"k2")
    assert VALID not in a and len(a) == 64


def test_mask_shows_only_the_last_four():
    assert idnumbers.mask(VALID) == "**************002X"


def test_with_check_digit_makes_valid_numbers():
    assert idnumbers.with_check_digit("11010519491231002") == VALID
