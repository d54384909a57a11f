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
