"""Money arithmetic of quotes, checked against figures computed by hand (see crm_server/quotes/calc.py)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from crm_server.core.money import discount_between, line_amount, percent_off, tax_included, to_fen
from crm_server.quotes.calc import compute


@dataclass
class Row:
    quantity: D
    unit_price: D
    discount_percent: D = D("0")
    tax_rate: D = D("13")
    list_price: D | None = None


def test_rounding_half_up_to_fen():
    assert to_fen(D("0.005")) == D("0.01")
    assert to_fen(D("0.004999")) == D("0.00")
    assert to_fen("2.675") == D("2.68")           # a float would give 2.67
    assert to_fen(D("1.115")) == D("1.12")
    assert to_fen(D("-0.005")) == D("-0.01")       # half away from zero


def test_line_amount_rounds_once_at_the_end():
    assert line_amount(D("3"), D("19.99"), D("15")) == D("50.97")     # 59.97 × 0.85 = 50.9745
    assert line_amount(D("1"), D("0.01"), D("50")) == D("0.01")       # 0.005 → 0.01
    assert line_amount(D("0.5"), D("0.01"), D("0")) == D("0.01")      # 0.005 → 0.01
    assert line_amount(D("0.33"), D("0.03"), D("0")) == D("0.01")     # 0.0099
    # The amount is rounded once, not the discounted unit price: 0.105 → 0.11, not 7 × (0.015 → 0.02) = 0.14.
    assert line_amount(D("7"), D("0.03"), D("50")) == D("0.11")


def test_tax_and_percent_helpers():
    assert tax_included(D("0.50"), D("1")) == D("0.01")        # 0.005
    assert tax_included(D("11435.11"), D("13")) == D("1486.56")  # 1486.5643
    assert percent_off(D("999.99"), D("2.5")) == D("974.99")   # 974.99025
    assert percent_off(D("100.00"), None) == D("100.00")
    assert discount_between(D("200.00"), D("170.00")) == D("15.00")
    assert discount_between(D("300.00"), D("299.99")) == D("0.00")  # 0.00333 %
    assert discount_between(D("3.00"), D("2.00")) == D("33.33")
    assert discount_between(D("0"), D("5")) == D("0.00")
    assert discount_between(D("100"), D("120")) == D("0.00")


def test_quote_totals_by_hand():
    lines = [Row(D("10"), D("1234.56"), D("5"), D("13")), Row(D("3"), D("333.33"), D("0"), D("6"))]
    figures = compute(lines, D("2.5"))
    # line amounts: 12,345.60 × 0.95 = 11,728.32; 3 × 333.33 = 999.99
    assert [f.amount for f in figures.lines] == [D("11728.32"), D("999.99")]
    assert figures.subtotal == D("12728.31")
    # the overall 2.5 % per line: 11,435.112 → 11,435.11; 974.99025 → 974.99
    assert [f.net_amount for f in figures.lines] == [D("11435.11"), D("974.99")]
    assert figures.net_total == D("12410.10")
    assert figures.discount_amount == D("318.21")
    # tax per line: 1,486.5643 → 1,486.56; 58.4994 → 58.50
    assert [f.tax_amount for f in figures.lines] == [D("1486.56"), D("58.50")]
    assert figures.tax_amount == D("1545.06")
    assert figures.total == D("13955.16")
    # effective discount: 1 − 11,435.11 / 12,345.60 = 7.375016 % → 7.38; 1 − 974.99 / 999.99 = 2.500025 % → 2.50
    assert [f.effective_discount for f in figures.lines] == [D("7.38"), D("2.50")]
    assert figures.max_discount_percent == D("7.38")


def test_effective_discount_against_the_reference_price():
    # Sold at 90 instead of the price-list 100, with a further 5 % off: 1 − 85.50 / 100 = 14.50 %
    figures = compute([Row(D("1"), D("90"), D("5"), D("13"), list_price=D("100"))], D("0"))
    assert figures.lines[0].amount == D("85.50")
    assert figures.max_discount_percent == D("14.50")


def test_empty_quote_is_zero():
    figures = compute([], D("10"))
    assert figures.total == D("0.00") and figures.max_discount_percent == D("0.00")
