"""Exporting customers to an Excel workbook (.xlsx), with Chinese column headers, audited."""
from __future__ import annotations

import datetime as dt
import tempfile
import zoneinfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select

from ..core import audit
from ..core.models import User
from ..extensions import db
from .services import KINDS

# (header, value of a customer) in the order of the sheet's columns.
COLUMNS = (
    (_l("Customer name"), lambda c: c.name),
    (_l("Short name"), lambda c: c.short_name),
    (_l("Type"), lambda c: str(KINDS.get(c.kind, c.kind))),
    (_l("Industry"), lambda c: c.industry.label if c.industry else None),
    (_l("Source"), lambda c: c.source.label if c.source else None),
    (_l("Level"), lambda c: c.level.label if c.level else None),
    (_l("Status"), lambda c: c.status.label if c.status else None),
    (_l("Credit rating"), lambda c: c.credit_rating),
    (_l("Province"), lambda c: c.province),
    (_l("City"), lambda c: c.city),
    (_l("District"), lambda c: c.district),
    (_l("Address"), lambda c: c.address),
    (_l("Phone"), lambda c: c.phone),
    (_l("E-mail"), lambda c: c.email),
    (_l("Website"), lambda c: c.website),
    (_l("Unified social credit code"), lambda c: c.credit_code),
    (_l("Tags"), lambda c: ", ".join(tag.name for tag in c.tags) or None),
    (_l("Owner"), lambda c: c.owner.display_name if c.owner else None),
    (_l("Owner since"), lambda c: c.owner_since),
    (_l("Last follow-up"), lambda c: c.last_followup_at),
    (_l("Next follow-up"), lambda c: c.next_followup_at),
    (_l("Last deal"), lambda c: c.last_deal_at),
    (_l("Created"), lambda c: c.created_at),
    (_l("Updated"), lambda c: c.updated_at),
    (_l("Remarks"), lambda c: c.remarks),
)
WIDTHS = {0: 32, 11: 36, 15: 22, 16: 20, 24: 40}
BATCH = 500
EXPORT_LANGUAGE = "zh_CN"  # the sheet is for Chinese colleagues and systems, whatever the user's UI language


def _local(value, tz: zoneinfo.ZoneInfo):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc).astimezone(tz).replace(tzinfo=None, microsecond=0)
    return value


def export_customers(actor: User, stmt: Select):
    """Write the customers `stmt` selects (already scoped and ordered) to a workbook in a temporary file, and
    audit the export with its row count. Returns (file positioned at 0, row count). Only flushes."""
    tz = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    workbook = Workbook(write_only=True)
    with force_locale(EXPORT_LANGUAGE):
        sheet = workbook.create_sheet(_("Customers"))
        headers = [str(header) for header, _value in COLUMNS]
    for index, width in WIDTHS.items():
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    # Read in batches so a large export does not hold every customer in memory at once.
    for customer in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        row = []
        for _header, value in COLUMNS:
            cell_value = _local(value(customer), tz)
            cell = WriteOnlyCell(sheet, value=cell_value)
            if isinstance(cell_value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            row.append(cell)
        sheet.append(row)
        count += 1
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    audit.record(actor, "customer.exported", None, {"count": [None, count]},
                 label=_("%(n)d customers", n=count))
    db.session.flush()
    return output, count


def export_filename() -> str:
    today = dt.datetime.now(zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)).date()
    return f"customers-{today:%Y%m%d}.xlsx"
