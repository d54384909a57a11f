"""A report's tables as Excel (openpyxl: one sheet per table, numbers as numbers) and CSV (UTF-8 with BOM so
Excel opens the Chinese right; the tables one after another, each under its title)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..charts.render import MONEY, PERCENT
from .model import ReportResult

NUMBER_FORMATS = {MONEY: "#,##0.00", PERCENT: "0.0", "count": "#,##0", "days": "#,##0.0"}
INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def _cell(value):
    if isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number, exactly
    return value


def to_xlsx(title: str, result: ReportResult) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used = set()
    for table in result.tables:
        name = table.title.translate(INVALID_SHEET_CHARS)[:31] or table.key
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([column.label for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        rows = table.rows + ([table.total] if table.total else [])
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            if column.unit in NUMBER_FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = NUMBER_FORMATS[column.unit]
            sheet.column_dimensions[letter].width = max(12, min(40, 2 * len(column.label) + 4))
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    if not result.tables:
        book.create_sheet(title[:31] or "report")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(result: ReportResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, table in enumerate(result.tables):
        if number:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([column.label for column in table.columns])
        for row in table.rows + ([table.total] if table.total else []):
            writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
