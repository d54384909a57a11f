"""中文大写金额: the figures written in capital numerals, by the People's Bank's rules for 大写 amounts."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm_server.core.money import chinese_capital


@pytest.mark.parametrize("amount, expected", [
    # the examples of the brief
    (Decimal("1234.56"), "壹仟贰佰叁拾肆元伍角陆分"),
    (100, "壹佰元整"),
    (100000.05, "壹拾万元零伍分"),
    (0, "零元整"),
    # fractions only: no 零元 before them
    (Decimal("0.05"), "伍分"),
    (Decimal("0.50"), "伍角"),
    (Decimal("0.55"), "伍角伍分"),
    # a zero 角 between 元 and 分 is read as 零; a zero 分 after 角 needs nothing
    (Decimal("1.05"), "壹元零伍分"),
    (Decimal("10.05"), "壹拾元零伍分"),
    (Decimal("1.50"), "壹元伍角"),
    (Decimal("1230.45"), "壹仟贰佰叁拾元肆角伍分"),
    # ten is 壹拾, never a bare 拾
    (10, "壹拾元整"),
    (15, "壹拾伍元整"),
    (110, "壹佰壹拾元整"),
    # inner zeros read as one 零, trailing zeros dropped
    (101, "壹佰零壹元整"),
    (1005, "壹仟零伍元整"),
    (1050, "壹仟零伍拾元整"),
    (1500, "壹仟伍佰元整"),
    (10005, "壹万零伍元整"),
    (10050, "壹万零伍拾元整"),
    (100500, "壹拾万零伍佰元整"),
    (105000, "壹拾万伍仟元整"),
    (1010000, "壹佰零壹万元整"),
    # zeros ending the 万 section before a non-zero 仟: the rules allow one 零 or none; we write none
    (1001000, "壹佰万壹仟元整"),
    (1000100, "壹佰万零壹佰元整"),
    (12345678, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元整"),
    (100000000, "壹亿元整"),
    (100010000, "壹亿零壹万元整"),
    (100000001, "壹亿零壹元整"),
    (Decimal("2000000000.10"), "贰拾亿元壹角"),
    (10 ** 12 + 5, "壹万亿零伍元整"),
    (Decimal("9999999999999999.99"),
     "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # negative amounts (a refund)
    (-3, "负叁元整"),
    (Decimal("-0.01"), "负壹分"),
    # text as typed, with thousands separators
    ("1,000.10", "壹仟元壹角"),
    (" 88 ", "捌拾捌元整"),
])
def test_capital_numerals(amount, expected):
    assert chinese_capital(amount) == expected


def test_rounding_half_up_to_the_fen():
    assert chinese_capital(Decimal("0.005")) == "壹分"
    assert chinese_capital(Decimal("0.004")) == "零元整"
    assert chinese_capital(Decimal("99.995")) == "壹佰元整"
    # a float is read by its shortest repr: 0.285 is 0.285, not 0.28499999999999998
    assert chinese_capital(0.285) == "贰角玖分"
    assert chinese_capital(1.1) == "壹元壹角"


@pytest.mark.parametrize("bad", ["abc", "", None, float("nan"), float("inf"), Decimal("1E16"), True])
def test_not_an_amount(bad):
    with pytest.raises(ValueError):
        chinese_capital(bad)


def test_every_digit_and_unit_appears_once_in_a_full_number():
    text = chinese_capital(Decimal("1234567890.12"))
    assert text == "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"
    for digit in "壹贰叁肆伍陆柒捌玖":
        assert digit in text
