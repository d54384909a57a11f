"""Factories of the payments tests: contracts made directly with the model (status active unless told), a team
with a manager, two salespeople and finance, and plans made through the service."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from crm_server.contracts.models import ACTIVE, Contract
from crm_server.extensions import db
from crm_server.payments import services
from crm_server.payments.services import InstalmentInput
from tests import factories

_seq = itertools.count(1)


def make_contract(owner, customer, amount="100000.00", status=ACTIVE, **kw) -> Contract:
    n = next(_seq)
    contract = Contract(number=kw.pop("number", f"HT2026{n:05d}"), title=kw.pop("title", f"设备采购合同{n}"),
                        customer_id=customer.id, owner_id=owner.id, amount=Decimal(amount), status=status,
                        sign_date=kw.pop("sign_date", dt.date(2026, 1, 10)), created_by_id=owner.id, **kw)
    db.session.add(contract)
    db.session.flush()
    return contract


def make_plan(actor, contract, rows) -> list:
    """rows: (due date, amount) pairs."""
    return services.save_plan(actor, contract, [InstalmentInput(due, Decimal(amount)) for due, amount in rows])


def pay(actor, contract, amount, on=dt.date(2026, 3, 1), **kw):
    return services.record_payment(actor, contract, received_on=on, amount=str(amount),
                                   method=kw.pop("method", "bank_transfer"), **kw)


def make_team():
    department = factories.make_department("华东销售部")
    other_department = factories.make_department("华北销售部")
    manager = factories.make_user("sales_manager", department=department, display_name="陈经理")
    seller = factories.make_user("sales", department=department, manager=manager, display_name="周销售")
    other = factories.make_user("sales", department=other_department, display_name="吴销售")
    finance = factories.make_user("finance", display_name="李会计")
    customer = factories.make_customer(seller, name="上海华信智能科技有限公司")
    other_customer = factories.make_customer(other, name="北京远图信息技术有限公司")
    db.session.flush()
    return {"department": department, "manager": manager, "seller": seller, "other": other, "finance": finance,
            "customer": customer, "other_customer": other_customer}
