"""core.money and YuanField: fen inside, yuan with two places outside, never float."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from core.money import fen, yuan, yuan_amount
from core.serializers import StrictSerializer, YuanField


@pytest.mark.parametrize(
    ("amount_fen", "text"),
    [(0, "0.00"), (5, "0.05"), (31250, "312.50"), (2_800_000, "28000.00"), (-5, "-0.05")],
)
def test_fen_and_yuan_convert_both_ways_exactly(amount_fen, text):
    assert yuan(amount_fen) == text
    assert yuan_amount(amount_fen) == Decimal(text)
    assert str(yuan_amount(amount_fen)) == text
    assert fen(text) == amount_fen
    assert fen(Decimal(text)) == amount_fen


class Payment(StrictSerializer):
    amount = YuanField(max_digits=12, min_value=Decimal("0.01"))
    parts = serializers.ListField(child=YuanField(max_digits=12), required=False)
    tip = YuanField(max_digits=12, min_value=Decimal("0"), default=Decimal("0"))


def test_yuan_field_takes_yuan_and_gives_fen():
    payment = Payment(data={"amount": "312.50", "parts": ["300.00", "12.5"]})
    assert payment.is_valid(), payment.errors
    assert payment.validated_data == {"amount": 31250, "parts": [30000, 1250], "tip": 0}


def test_yuan_field_checks_its_limits_in_yuan_before_converting():
    payment = Payment(data={"amount": "0.00", "parts": ["1.005"]})
    assert not payment.is_valid()
    assert [error.code for error in payment.errors["amount"]] == ["min_value"]
    assert [error.code for error in payment.errors["parts"][0]] == ["max_decimal_places"]


def test_yuan_field_shows_fen_as_yuan_with_two_places():
    class Shown(serializers.Serializer):
        amount = YuanField(source="amount_fen", read_only=True)

    assert Shown({"amount_fen": 31250}).data == {"amount": "312.50"}
    assert Shown({"amount_fen": 0}).data == {"amount": "0.00"}
