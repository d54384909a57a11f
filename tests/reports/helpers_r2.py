"""Fixtures of the money and forecast report tests: a team in two branches, contracts, instalments, payments and
allocations written directly with the models (the figures below are computed by hand from these rows), quotas and
opportunities for the forecast, and readers of the report page, its exports and its chart images."""
from __future__ import annotations

import datetime as dt
import io
import re
import struct
import warnings
from decimal import Decimal

from openpyxl import load_workbook

from crm_server.contracts.models import ACTIVE, DRAFT, EXECUTED, EXPIRED, TERMINATED, Contract
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.opportunities.models import LOST, OPEN, WON
from crm_server.payments.models import CONFIRMED, PENDING, Instalment, Payment, PaymentAllocation
from tests import factories
from tests.forecast.helpers import make_opportunity, make_pipeline, set_quota

D = dt.date
TODAY = D(2026, 4, 15)  # the site's today in the money report tests (aging is as of this day)
PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def clear_report_cache(app) -> None:
    """The report cache lives as long as the app (the whole session): empty it, so that no figure of an earlier
    test with the same filters and scope key is served."""
    cache = app.extensions.get("crm_report_cache")
    if cache is not None:
        cache.clear()


def make_people():
    """上海总部: 华东一部 (王经理, 李芳; the director sits there too), 华东二部 (张伟, the director's report);
    广州分公司: 华南组 (陈静)."""
    shanghai = factories.make_branch("上海总部")
    guangzhou = factories.make_branch("广州分公司")
    east = factories.make_department("华东一部", branch=shanghai)
    west = factories.make_department("华东二部", branch=shanghai)
    south = factories.make_department("华南组", branch=guangzhou)
    director = factories.make_user("sales_director", display_name="周总监", department=east)
    manager = factories.make_user("sales_manager", display_name="王经理", department=east, manager=director)
    li = factories.make_user("sales", display_name="李芳", department=east, manager=manager)
    zhang = factories.make_user("sales", display_name="张伟", department=west, manager=director)
    chen = factories.make_user("sales", display_name="陈静", department=south, manager=director)
    return {"director": director, "manager": manager, "li": li, "zhang": zhang, "chen": chen, "east": east,
            "west": west, "south": south, "shanghai": shanghai, "guangzhou": guangzhou}


_numbers = iter(range(1, 10_000))


def contract(owner, customer, amount, sign_date, status=ACTIVE, **kw) -> Contract:
    n = next(_numbers)
    row = Contract(number=kw.pop("number", f"R2HT{n:05d}"), title=f"报表测试合同{n}", customer_id=customer.id,
                   owner_id=owner.id, amount=Decimal(amount), status=status, sign_date=sign_date,
                   created_by_id=owner.id, **kw)
    db.session.add(row)
    db.session.flush()
    return row


def instalment(of: Contract, sequence, due, amount, received="0.00", effective=True) -> Instalment:
    amount, received = Decimal(amount), Decimal(received)
    row = Instalment(contract_id=of.id, customer_id=of.customer_id, owner_id=of.owner_id, sequence=sequence,
                     due_date=due, amount=amount, received_amount=received, is_open=received < amount,
                     is_effective=effective)
    db.session.add(row)
    db.session.flush()
    return row


def payment(of: Contract, on, amount, status=CONFIRMED, to: Instalment | None = None) -> Payment:
    row = Payment(contract_id=of.id, customer_id=of.customer_id, owner_id=of.owner_id, received_on=on,
                  amount=Decimal(amount), status=status, unallocated_amount=Decimal("0.00") if to else Decimal(amount))
    db.session.add(row)
    db.session.flush()
    if to is not None:
        db.session.add(PaymentAllocation(payment_id=row.id, instalment_id=to.id, amount=Decimal(amount)))
        db.session.flush()
    return row


def money_data():
    """Contracts, plans and payments with the figures the money tests expect (today = 2026-04-15; period
    2026-01-01 .. 2026-03-31; days overdue in brackets).

    李芳 (华东一部), customer 甲 (A) and 乙 (B):
      C1 active 100,000.00 signed 01-31 (A). Plan: I1 01-14 (91 d) 40,000.00, received 30,000.00 (P1 01-31);
         I2 01-15 (90 d) 20,000.00, received 18,999.90 (P2 20,000.00 on 02-01, refund P3 −1,000.10 on 02-28; a
         pending refund P4 −500.00 on 03-01 is allocated to I1 and counts nowhere); I3 02-13 (61 d) 10,000.00;
         I4 02-14 (60 d) 10,000.00; I5 04-15 (0 d, not due) 20,000.00.
      C2 executed 50,000.50 signed 02-01 (B). Plan: I6 03-15 (31 d) 25,000.25 received 0.01 (P6 03-31);
         I7 03-16 (30 d) 25,000.25.
      Not counted: a draft (02-10, 9,999.00), C1's revision row (01-31, 120,000.00), a deleted active contract
         (03-05, 7,777.00), a terminated one (03-06, 8,888.00) with a non-effective instalment 01-20 8,888.00.
    张伟 (华东二部), customer 丙 (C):
      C7 expired 30,000.25 signed 03-31. Plan: I8 03-31 15,000.25 paid in full (P7 03-31, closed);
         I9 04-14 (1 d) 15,000.00 received 3,000.00 (P8 04-01). P9 2,000.00 on 2025-12-31, unallocated.
      C8 active 12,345.67 signed 04-01 (after the period). Plan: I10 07-01 12,345.67 (not due).
      C9 active 5,000.00 signed 2025-12-31 (before the period).

    Signed (count / amount): Jan 1 / 100,000.00; Feb 1 / 50,000.50; Mar 1 / 30,000.25; total 3 / 180,000.75.
    Received gross / refunds / net: Jan 30,000.00 / 0 / 30,000.00; Feb 20,000.00 / −1,000.10 / 18,999.90;
      Mar 15,000.26 / 0 / 15,000.26; total 65,000.26 / −1,000.10 / 64,000.16.
    Aging: not due 2 / 32,345.67; 1–30 2 / 37,000.25; 31–60 2 / 35,000.24; 61–90 2 / 11,000.10; >90 1 / 10,000.00;
      total 9 / 125,346.26; overdue 93,000.59.
    Collection (planned / by month end / to date): Jan 60,000.00 / 30,000.00 / 48,999.90; Feb 20,000.00 / 0 / 0;
      Mar 65,000.75 / 15,000.26 / 15,000.26; total 145,000.75 / 45,000.26 / 64,000.16.
    Top overdue: 乙 50,000.49 (2, oldest 03-15, 31 d); 甲 31,000.10 (4, 01-14, 91 d); 丙 12,000.00 (1, 04-14, 1 d).
    """
    people = make_people()
    li, zhang = people["li"], people["zhang"]
    a = factories.make_customer(li, name="甲精密机械有限公司")
    b = factories.make_customer(li, name="乙智能科技有限公司")
    c = factories.make_customer(zhang, name="丙物流有限公司")

    c1 = contract(li, a, "100000.00", D(2026, 1, 31))
    i1 = instalment(c1, 1, D(2026, 1, 14), "40000.00", "30000.00")
    i2 = instalment(c1, 2, D(2026, 1, 15), "20000.00", "18999.90")
    instalment(c1, 3, D(2026, 2, 13), "10000.00")
    instalment(c1, 4, D(2026, 2, 14), "10000.00")
    instalment(c1, 5, D(2026, 4, 15), "20000.00")
    payment(c1, D(2026, 1, 31), "30000.00", to=i1)
    payment(c1, D(2026, 2, 1), "20000.00", to=i2)
    payment(c1, D(2026, 2, 28), "-1000.10", to=i2)
    payment(c1, D(2026, 3, 1), "-500.00", PENDING, to=i1)

    c2 = contract(li, b, "50000.50", D(2026, 2, 1), EXECUTED)
    i6 = instalment(c2, 1, D(2026, 3, 15), "25000.25", "0.01")
    instalment(c2, 2, D(2026, 3, 16), "25000.25")
    payment(c2, D(2026, 3, 31), "0.01", to=i6)

    contract(li, a, "9999.00", D(2026, 2, 10), DRAFT)
    contract(li, a, "120000.00", D(2026, 1, 31), ACTIVE, number=c1.number, revision=1, revision_of_id=c1.id)
    contract(li, b, "7777.00", D(2026, 3, 5), ACTIVE, deleted_at=utcnow())
    terminated = contract(li, b, "8888.00", D(2026, 3, 6), TERMINATED)
    instalment(terminated, 1, D(2026, 1, 20), "8888.00", effective=False)

    c7 = contract(zhang, c, "30000.25", D(2026, 3, 31), EXPIRED)
    i8 = instalment(c7, 1, D(2026, 3, 31), "15000.25", "15000.25")
    i9 = instalment(c7, 2, D(2026, 4, 14), "15000.00", "3000.00")
    payment(c7, D(2026, 3, 31), "15000.25", to=i8)
    payment(c7, D(2026, 4, 1), "3000.00", to=i9)
    payment(c7, D(2025, 12, 31), "2000.00")
    c8 = contract(zhang, c, "12345.67", D(2026, 4, 1))
    instalment(c8, 1, D(2026, 7, 1), "12345.67")
    contract(zhang, c, "5000.00", D(2025, 12, 31))
    db.session.commit()
    return people


def forecast_data():
    """Quotas and opportunities around fiscal year 2026 (the tests set its start to April: FY2026 Q1 is
    2026-04..06, Q2 07..09, Q3 10..12, Q4 2027-01..03).

    李芳: quotas 2026-04 10,000.00, 05 10,000.00, 06 10,000.01 (Q1 30,000.01), 10 50,000.00 (Q3), 2027-03 5,000.00
      (Q4), and 2026-03 99,999.00 (FY2025: not shown). Won 12,000.50 on 04-01 and 8,000.00 on 06-30 (Q1); not
      counted: won 3,000.00 on 2026-03-31 (FY2025), a deleted won 4,000.00, a lost 9,000.00. Open: 10,000.15 × 33 %
      on 06-15 and 0.05 × 50 % on 05-01 → 3,300.0495 + 0.025 = 3,300.0745 → 3,300.07 (Q1; rounding each would
      give 3,300.08); 20,000.00 × 50 % on 10-10 → 10,000.00 (Q3); not counted: 5,000 × 90 % on 2027-04-01, 7,000 ×
      90 % without a date.
    张伟: quotas 2026-07 20,000.00 (Q2), 2027-01 1,000.00 (Q4), 2027-04 7,777.00 (FY2027). Won 25,000.25 on 07-01
      (Q2), 600.00 on 2027-03-31 (Q4). Open 3,333.33 × 10 % on 09-30 → 333.33 (Q2); 40,000.00 × 25 % on
      2027-02-28 → 10,000.00 (Q4).
    陈静 (广州): quota 2026-08 9,000.00 (Q2) and nothing else.

    Quarter   quota       won        weighted   expected   won %   expected %
    Q1        30,000.01   20,000.50   3,300.07  23,300.57   66.7    77.7
    Q2        29,000.00   25,000.25     333.33  25,333.58   86.2    87.4
    Q3        50,000.00        0.00  10,000.00  10,000.00    0.0    20.0
    Q4         6,000.00      600.00  10,000.00  10,600.00   10.0   176.7
    Total    115,000.01   45,600.75  23,633.40  69,234.15   39.7    60.2
    Per person: 李芳 85,000.01 / 20,000.50 / 13,300.07 / 33,300.57; 张伟 21,000.00 / 25,600.25 / 10,333.33 /
      35,933.58; 陈静 9,000.00 / 0 / 0 / 0.
    """
    people = make_people()
    li, zhang, chen = people["li"], people["zhang"], people["chen"]
    make_pipeline()
    for year, month, amount in ((2026, 4, "10000"), (2026, 5, "10000"), (2026, 6, "10000.01"),
                                (2026, 10, "50000"), (2027, 3, "5000"), (2026, 3, "99999")):
        set_quota(li, year, month, amount)
    for year, month, amount in ((2026, 7, "20000"), (2027, 1, "1000"), (2027, 4, "7777")):
        set_quota(zhang, year, month, amount)
    set_quota(chen, 2026, 8, "9000")

    make_opportunity(li, "12000.50", WON, closed_on=D(2026, 4, 1), expected=D(2026, 3, 1))
    make_opportunity(li, "8000.00", WON, closed_on=D(2026, 6, 30))
    make_opportunity(li, "3000.00", WON, closed_on=D(2026, 3, 31), expected=D(2026, 4, 20))
    make_opportunity(li, "4000.00", WON, closed_on=D(2026, 5, 5), deleted=True)
    make_opportunity(li, "9000.00", LOST, closed_on=D(2026, 5, 5), expected=D(2026, 5, 5))
    make_opportunity(li, "10000.15", OPEN, expected=D(2026, 6, 15), probability=33)
    make_opportunity(li, "0.05", OPEN, expected=D(2026, 5, 1), probability=50)
    make_opportunity(li, "20000.00", OPEN, expected=D(2026, 10, 10), probability=50)
    make_opportunity(li, "5000.00", OPEN, expected=D(2027, 4, 1), probability=90)
    make_opportunity(li, "7000.00", OPEN, expected=None, probability=90)

    make_opportunity(zhang, "25000.25", WON, closed_on=D(2026, 7, 1))
    make_opportunity(zhang, "600.00", WON, closed_on=D(2027, 3, 31))
    make_opportunity(zhang, "3333.33", OPEN, expected=D(2026, 9, 30), probability=10)
    make_opportunity(zhang, "40000.00", OPEN, expected=D(2027, 2, 28), probability=25)
    db.session.commit()
    return people


# --- reading the page, the exports and the images ------------------------------------------------

def cells(html: str, table: str) -> list[list[str]]:
    """Each row of a report table (the totals row last): the data-value of numeric cells, the text of others."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]:
        values = []
        for attributes, text in re.findall(r"<td([^>]*)>(.*?)</td>", row, re.S):
            found = re.search(r'data-value="([^"]*)"', attributes)
            values.append(found.group(1) if found else re.sub(r"<[^>]+>", "", text).strip())
        rows.append(values)
    return rows


def kpi(html: str, key: str) -> str:
    return re.search(rf'data-kpi="{key}" data-value="([^"]*)"', html).group(1)


def plain(value):
    """A table cell as a comparable value: numbers as Decimal (two decimals kept), text as text, blank as None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    return str(value)


def workbook_tables(data: bytes) -> list[list[list]]:
    """Each sheet of an exported workbook: its rows after the header, cells as `plain` values."""
    book = load_workbook(io.BytesIO(data))
    return [[[plain(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
            for sheet in book.worksheets]


def table_rows(table) -> list[list]:
    return [[plain(v) for v in row] for row in table.rows + ([table.total] if table.total else [])]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def get_without_missing_glyphs(client, url, **kw):
    """GET `url`, failing if matplotlib warned that a glyph is missing from the font."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = client.get(url, **kw)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing
    return response
