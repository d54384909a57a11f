"""The contract as a PDF (ReportLab) from its template: the text with its merge fields filled in and the product
table with the totals and the amount in capital numerals. Chinese is drawn with the built-in CID font STSong-Light
(as quotes/pdf.py does): nothing is bundled, and the text extracts as Unicode (tests read it back with pypdf)."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..core.money import chinese_capital
from ..quotes.pdf import _font, money, quantity
from . import calc


def _lines_table(contract, p, base, right):
    figures = calc.compute(contract.lines, contract.overall_discount_percent)
    rows = [[p(_("No."), base), p(_("Product / description"), base), p(_("Specification"), base), p(_("Unit"), base),
             p(_("Quantity"), right), p(_("Unit price"), right), p(_("Discount %"), right),
             p(_("Tax rate %"), right), p(_("Amount"), right)]]
    for number, line in enumerate(contract.lines, start=1):
        rows.append([p(number, base), p(line.description, base), p(line.specification, base), p(line.unit, base),
                     p(quantity(line.quantity), right), p(money(line.unit_price), right),
                     p(money(line.discount_percent) if line.discount_percent else "", right),
                     p(money(line.tax_rate), right), p(money(line.amount), right)])
    totals = []
    if contract.lines:
        totals.append((_("Subtotal"), money(figures.subtotal)))
        if contract.overall_discount_percent:
            totals.append((_("Overall discount %(percent)s%%", percent=money(contract.overall_discount_percent)),
                           "-" + money(figures.discount_amount)))
        totals += [(_("Amount before tax"), money(figures.net_total)), (_("Tax"), money(figures.tax_amount))]
    totals.append((_("Contract amount (CNY, tax included)"), money(contract.amount)))
    totals.append((_("In capital numerals"), chinese_capital(contract.amount)))
    first_total = len(rows)
    for label, value in totals:
        rows.append([p(label, right), "", "", "", "", "", "", "", p(value, right)])
    table = Table(rows, colWidths=[8 * mm, 40 * mm, 26 * mm, 10 * mm, 15 * mm, 19 * mm, 14 * mm, 14 * mm,
                                   28 * mm], repeatRows=1)
    style = [("GRID", (0, 0), (-1, first_total - 1), 0.4, colors.grey),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("LINEABOVE", (0, first_total), (-1, first_total), 0.4, colors.grey)]
    for row in range(first_total, len(rows)):
        style.append(("SPAN", (0, row), (7, row)))
    table.setStyle(TableStyle(style))
    return table


def render_contract_pdf(contract, blocks, company_name: str) -> bytes:
    """The PDF bytes of a contract (lines loaded) from its rendered template blocks (services.rendered_blocks)."""
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=16)
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11)
    right = ParagraphStyle("right", parent=cell, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER)

    def p(text, style=base):
        return Paragraph(escape(str(text if text is not None else "")), style)

    story = [p(contract.title, title), Spacer(1, 4 * mm)]
    for block in blocks:
        if block.kind == "lines":
            story += [Spacer(1, 1 * mm), _lines_table(contract, p, cell, right), Spacer(1, 2 * mm)]
            continue
        for line in block.text.strip("\n").split("\n"):
            story.append(p(line) if line.strip() else Spacer(1, 3 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=f"{contract.number} {contract.title}",
                                 author=company_name)
    document.build(story)
    return buffer.getvalue()
