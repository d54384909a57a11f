"""The quote as a PDF (ReportLab): company name (and logo when a PNG is there), customer, lines, totals, terms.

Chinese is drawn with ReportLab's built-in CID font STSong-Light (Adobe-GB1): nothing is bundled, the PDF stays
small, and PDF readers supply the glyphs; its text extracts as Unicode (tests read it back with pypdf).
"""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..paths import STATIC_DIR

FONT = "STSong-Light"
LOGO = Path(STATIC_DIR) / "img" / "logo.png"  # an SVG cannot be drawn without svglib: a PNG only, if present


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def money(value) -> str:
    """1234567.5 -> "1,234,567.50" (amounts are already rounded to fen)."""
    return f"{Decimal(value):,.2f}"


def quantity(value) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def render_quote_pdf(quote, company_name: str, status_label: str = "") -> bytes:
    """The PDF bytes of one quote version (its lines loaded)."""
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22)
    company = ParagraphStyle("company", parent=base, fontSize=12, leading=16)

    def p(text, style=base):
        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)

    story = []
    heading = [p(company_name, company)]
    if LOGO.is_file():
        heading.insert(0, Image(str(LOGO), width=30 * mm, height=12 * mm, kind="proportional"))
    story += heading
    story += [Spacer(1, 3 * mm), p(_("Quotation") + "  " + quote.display_number, title), Spacer(1, 2 * mm)]

    contact = quote.contact.name if quote.contact else ""
    info = [
        [p(_("Customer")), p(quote.customer.name), p(_("Quote number")), p(quote.display_number)],
        [p(_("Contact")), p(contact), p(_("Quote date")), p(quote.quote_date.isoformat())],
        [p(_("Subject")), p(quote.title), p(_("Valid until")), p(quote.valid_until.isoformat())],
        [p(_("Sales representative")), p(quote.owner.display_name), p(_("Status")), p(status_label)],
    ]
    info_table = Table(info, colWidths=[26 * mm, 64 * mm, 26 * mm, 64 * mm])
    info_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                                    ("TEXTCOLOR", (2, 0), (2, -1), colors.grey)]))
    story += [info_table, Spacer(1, 4 * mm)]

    rows = [[p(_("No.")), p(_("Product / description")), p(_("Specification")), p(_("Unit")),
             p(_("Quantity"), right), p(_("Unit price"), right), p(_("Discount %"), right), p(_("Tax rate %"), right),
             p(_("Amount"), right)]]
    for number, line in enumerate(quote.lines, start=1):
        rows.append([p(number), p(line.description), p(line.specification, small), p(line.unit),
                     p(quantity(line.quantity), right), p(money(line.unit_price), right),
                     p(money(line.discount_percent) if line.discount_percent else "", right),
                     p(money(line.tax_rate), right), p(money(line.amount), right)])
    lines_table = Table(rows, colWidths=[9 * mm, 46 * mm, 30 * mm, 11 * mm, 16 * mm, 20 * mm, 15 * mm, 14 * mm,
                                         22 * mm], repeatRows=1)
    lines_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                     ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                                     ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [lines_table, Spacer(1, 3 * mm)]

    totals = [[p(_("Subtotal"), right), p(money(quote.subtotal), right)]]
    if quote.overall_discount_percent:
        totals.append([p(_("Overall discount %(percent)s%%", percent=money(quote.overall_discount_percent)), right),
                       p("-" + money(quote.discount_amount), right)])
    totals += [[p(_("Amount before tax"), right), p(money(quote.net_total), right)],
               [p(_("Tax"), right), p(money(quote.tax_amount), right)],
               [p(_("Grand total (CNY)"), right), p(money(quote.total), right)]]
    totals_table = Table(totals, colWidths=[150 * mm, 33 * mm])
    totals_table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]))
    story += [totals_table, Spacer(1, 5 * mm)]

    terms = [(_("Delivery"), quote.delivery_terms), (_("Payment terms"), quote.payment_terms),
             (_("Remarks"), quote.remarks)]
    for label, value in terms:
        if value:
            story.append(p(f"{label}: {value}"))
    story += [Spacer(1, 2 * mm), p(_("Prices in CNY; unit prices exclude tax."), small)]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                                 bottomMargin=14 * mm, title=f"{quote.display_number} {quote.title}",
                                 author=company_name)
    document.build(story)
    return buffer.getvalue()
