"""Money arithmetic shared by opportunity lines, quotes and (later) contracts: exact Decimal, rounded to fen."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
HUNDRED = Decimal(100)


def to_fen(value) -> Decimal:
    """Round half up to 0.01 元 (四舍五入到分)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price, discount_percent=0) -> Decimal:
    """quantity × unit price × (1 − discount %), rounded once, at the end, to fen."""
    gross = Decimal(quantity) * Decimal(unit_price)
    return to_fen(gross * (HUNDRED - Decimal(discount_percent or 0)) / HUNDRED)


def tax_included(net, tax_rate_percent) -> Decimal:
    """The tax on a net amount at a rate in percent (e.g. 13 for 13% VAT), rounded to fen."""
    return to_fen(Decimal(net) * Decimal(tax_rate_percent or 0) / HUNDRED)


def percent_off(amount, percent) -> Decimal:
    """`amount` less `percent` % of it, rounded to fen (e.g. an overall discount applied to one line's net)."""
    return to_fen(Decimal(amount) * (HUNDRED - Decimal(percent or 0)) / HUNDRED)


def discount_between(reference, net) -> Decimal:
    """How many percent `net` is below `reference` (100 × (1 − net / reference)), to 0.01 %, half up; 0 when the
    reference is not positive or net is above it."""
    reference, net = Decimal(reference), Decimal(net)
    if reference <= 0 or net >= reference:
        return Decimal("0.00")
    return (HUNDRED * (reference - net) / reference).quantize(FEN, rounding=ROUND_HALF_UP)


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_UNITS = ("仟", "佰", "拾", "")
_CAPITAL_SECTIONS = ("", "万", "亿", "万亿")
CAPITAL_LIMIT = Decimal(10) ** 16  # Money columns hold 18 digits, 2 of them decimals


def _capital_section(value: int) -> str:
    """1..9999 in capital numerals: inner zeros as one 零 (1005 -> 壹仟零伍), trailing zeros dropped."""
    digits = (value // 1000, value // 100 % 10, value // 10 % 10, value % 10)
    text, zero = "", False
    for digit, unit in zip(digits, _CAPITAL_UNITS):
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _CAPITAL_DIGITS[digit] + unit
    return text


def _capital_integer(value: int) -> str:
    sections = []
    while value:
        sections.append(value % 10000)
        value //= 10000
    text, zero = "", False
    for index in reversed(range(len(sections))):
        section = sections[index]
        if section == 0:
            zero = zero or bool(text)
            continue
        # a gap (a zero section, or a section below 1000 after a higher one) is read as one 零
        if text and (zero or section < 1000):
            text += "零"
        text += _capital_section(section) + _CAPITAL_SECTIONS[index]
        zero = False
    return text


def chinese_capital(amount) -> str:
    """中文大写金额 as written on contracts and cheques (the People's Bank's rules for 大写 amounts), after rounding
    half up to the fen: Decimal("1234.56") -> "壹仟贰佰叁拾肆元伍角陆分", 100 -> "壹佰元整",
    100000.05 -> "壹拾万元零伍分", 0 -> "零元整", 0.5 -> "伍角", -3 -> "负叁元整".

    "整" follows an amount that ends at 元 only; a zero 角 between 元 and a non-zero 分 is read as 零; zeros
    ending the 万 or 亿 section before a non-zero 仟 (1001000), where the rules allow one 零 or none, are left
    unread (壹佰万壹仟元整), while a gap before a lower digit reads as one 零 (1000100: 壹佰万零壹佰元整); 10 is
    "壹拾" (never a bare 拾, which could be altered). Floats are taken by their shortest repr (0.1 is 0.10, not
    0.1000000000000000055...). Raises ValueError for a non-number or an amount of 10^16 or more."""
    if isinstance(amount, bool):
        raise ValueError("not an amount")
    if isinstance(amount, float):
        amount = repr(amount)
    try:
        value = Decimal(amount) if not isinstance(amount, str) else Decimal(amount.strip().replace(",", ""))
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    value = to_fen(value)
    if abs(value) >= CAPITAL_LIMIT:
        raise ValueError(f"too large for capital numerals: {amount!r}")
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    integer, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = _capital_integer(integer) + "元" if integer else ""
    if jiao == 0 and fen == 0:
        return sign + (text or "零元") + "整"
    if jiao:
        text += _CAPITAL_DIGITS[jiao] + "角"
    elif integer:
        text += "零"
    if fen:
        text += _CAPITAL_DIGITS[fen] + "分"
    return sign + text
