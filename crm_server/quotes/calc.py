"""A quote's totals and effective discount, exact in Decimal.

Rounding order (each step rounds half up to the fen, 0.01 元; unit prices are before tax):
1. line amount = quantity × unit price × (1 − line discount %), rounded once;
2. subtotal = Σ line amounts (already in fen, so exact);
3. each line's net = line amount × (1 − overall discount %), rounded per line (the overall discount is
   spread over the lines because lines may carry different tax rates); net total = Σ line nets;
   overall discount amount = subtotal − net total;
4. each line's tax = line net × tax rate %, rounded per line (as a VAT invoice computes it); tax = Σ line taxes;
5. grand total = net total + tax.

Effective discount of a line = how far its net (after the line and the overall discount) is below quantity ×
reference price (the price-list price of the product at the quote date; for a free line its own unit price),
in %, to 0.01 % half up. The quote's effective discount is its largest line's: one deep discount cannot hide
behind other lines. That figure is compared with the owner's role limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..core.money import discount_between, line_amount, percent_off, tax_included, to_fen

ZERO = Decimal("0.00")


@dataclass
class LineFigures:
    amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    effective_discount: Decimal


@dataclass
class QuoteFigures:
    lines: list[LineFigures] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_amount: Decimal = ZERO
    net_total: Decimal = ZERO
    tax_amount: Decimal = ZERO
    total: Decimal = ZERO
    max_discount_percent: Decimal = ZERO


def compute(lines, overall_discount_percent) -> QuoteFigures:
    """Figures for lines with quantity, unit_price, discount_percent, tax_rate and list_price (objects or any
    object with those attributes) and an overall discount in %."""
    overall = Decimal(overall_discount_percent or 0)
    figures = QuoteFigures()
    for line in lines:
        amount = line_amount(line.quantity, line.unit_price, line.discount_percent)
        net = percent_off(amount, overall)
        tax = tax_included(net, line.tax_rate)
        reference = to_fen(Decimal(line.quantity) * Decimal(line.list_price or line.unit_price))
        figures.lines.append(LineFigures(amount, net, tax, discount_between(reference, net)))
    figures.subtotal = sum((f.amount for f in figures.lines), ZERO)
    figures.net_total = sum((f.net_amount for f in figures.lines), ZERO)
    figures.discount_amount = figures.subtotal - figures.net_total
    figures.tax_amount = sum((f.tax_amount for f in figures.lines), ZERO)
    figures.total = figures.net_total + figures.tax_amount
    figures.max_discount_percent = max((f.effective_discount for f in figures.lines), default=ZERO)
    return figures


def apply(quote) -> QuoteFigures:
    """Compute and store the figures on a quote and its lines."""
    figures = compute(quote.lines, quote.overall_discount_percent)
    for line, line_figures in zip(quote.lines, figures.lines):
        line.amount = line_figures.amount
        line.net_amount = line_figures.net_amount
        line.tax_amount = line_figures.tax_amount
    quote.subtotal = figures.subtotal
    quote.discount_amount = figures.discount_amount
    quote.net_total = figures.net_total
    quote.tax_amount = figures.tax_amount
    quote.total = figures.total
    quote.max_discount_percent = figures.max_discount_percent
    return figures
