"""A contract's figures from its lines, exact in Decimal, by the quote's convention (quotes/calc.py), so that a
contract made from an accepted quote has the quote's grand total to the fen:

1. line amount = quantity × unit price (before tax) × (1 − line discount %), rounded half up to the fen once;
2. each line's net = line amount × (1 − overall discount %), rounded per line; net total = Σ nets;
3. each line's tax = line net × tax rate %, rounded per line (as a VAT invoice computes it); tax = Σ taxes;
4. the contract amount = net total + tax (价税合计, tax included).

A contract without lines has its amount entered (tax included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..core.money import line_amount, percent_off, tax_included

ZERO = Decimal("0.00")


@dataclass
class LineFigures:
    amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.net_amount + self.tax_amount


@dataclass
class ContractFigures:
    lines: list[LineFigures] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_amount: Decimal = ZERO
    net_total: Decimal = ZERO
    tax_amount: Decimal = ZERO
    total: Decimal = ZERO


def compute(lines, overall_discount_percent) -> ContractFigures:
    """Figures of lines (objects with quantity, unit_price, discount_percent, tax_rate) and an overall discount."""
    overall = Decimal(overall_discount_percent or 0)
    figures = ContractFigures()
    for line in lines:
        amount = line_amount(line.quantity, line.unit_price, line.discount_percent)
        net = percent_off(amount, overall)
        figures.lines.append(LineFigures(amount, net, tax_included(net, line.tax_rate)))
    figures.subtotal = sum((f.amount for f in figures.lines), ZERO)
    figures.net_total = sum((f.net_amount for f in figures.lines), ZERO)
    figures.discount_amount = figures.subtotal - figures.net_total
    figures.tax_amount = sum((f.tax_amount for f in figures.lines), ZERO)
    figures.total = figures.net_total + figures.tax_amount
    return figures


def apply(contract) -> ContractFigures:
    """Store each line's amount, and the amount of a contract that has lines (one without keeps its own)."""
    figures = compute(contract.lines, contract.overall_discount_percent)
    for line, line_figures in zip(contract.lines, figures.lines):
        line.amount = line_figures.amount
    if contract.lines:
        contract.amount = figures.total
    return figures
