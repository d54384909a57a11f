"""The pages of contracts, approvals and money: the contract list (first page, each filter, each sort), a
contract's page, the renewals due, the payments and invoices lists with their filters, the approvals waiting
and submitted, measured as the salesperson and the sales director; receivables (per contract and per customer,
with their filters and sorts) and aging as the director and the finance manager (issue 6: receivables and aging
p95 ≤ 150 ms, the others ≤ 100 ms).

    make bench BENCH_ARGS="--only 'contract|renewal|payment|invoice|receivable|aging|approval'"
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlalchemy import func, select

from crm_server.contracts.models import Contract
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.payments.models import Payment

CONTRACT_MS = 100     # p95 target of the contract, payment, invoice and approval pages
RECEIVABLE_MS = 150   # receivables and aging
LIST_BUDGET = 20
DETAIL_BUDGET = 35    # the contract page (29 now): lines, files, approval timeline, plan, payments, invoices
SORTS = {"updated": "desc", "sign_date": "desc", "amount": "desc", "end_date": "asc", "number": "desc"}
RECEIVABLE_SORTS = ("outstanding", "overdue", "sign_date")


def _sorts() -> dict[str, str]:
    """The contract list's sort keys with their default direction, as the contracts module declares them."""
    try:
        from crm_server.contracts.services import SORTS as declared
    except ImportError:
        return SORTS
    return {key: direction for key, (_column, direction) in declared.items()}


def _receivable_sorts() -> tuple[str, ...]:
    try:
        from crm_server.payments.receivables import CONTRACT_SORTS
    except ImportError:
        return RECEIVABLE_SORTS
    return tuple(CONTRACT_SORTS)


def _samples(user_id: int) -> dict:
    """A contract of the user's with several payments (its page, its customer and number for the filters)."""
    counts = (select(Payment.contract_id, func.count().label("n")).where(Payment.owner_id == user_id)
              .group_by(Payment.contract_id).subquery())
    contract_id = db.session.scalar(select(counts.c.contract_id).where(counts.c.n >= 3)
                                    .order_by(counts.c.contract_id).limit(1))
    contract_id = contract_id or db.session.scalar(select(Contract.id).where(Contract.owner_id == user_id)
                                                   .order_by(Contract.id).limit(1))
    if contract_id is None:
        return {}
    contract = db.session.get(Contract, contract_id)
    customer = db.session.get(Customer, contract.customer_id)
    return {"contract_id": contract.id, "customer_id": contract.customer_id, "number": contract.number[:8],
            "customer_fragment": (customer.short_name or customer.name)[:2]}


def contract_pages(page_class, user_id: int, sample_user_id: int, receivables: bool) -> list:
    """Pages built with bench.pages.Page (passed in, so that module imports this one and not the reverse), as
    `user_id`; the contract and customer asked for are `sample_user_id`'s (the salesperson's: the director
    sees them too). Receivables and aging only for a user whose role reads them (`receivables`)."""
    Page = page_class  # noqa: N806
    s = _samples(sample_user_id)
    if not s:
        return []
    today = dt.date.today()
    quarter_ago = (today - dt.timedelta(days=90)).isoformat()
    filters = {"q=number": ("q", s["number"]), "q=customer": ("q", s["customer_fragment"]),
               "status": ("status", "active"), "status=pending": ("status", "pending"),
               "contract_type": ("contract_type", "service"), "owner": ("owner", sample_user_id),
               "customer": ("customer", s["customer_id"]), "sign_from": ("sign_from", quarter_ago),
               "sign_to": ("sign_to", quarter_ago), "expiring": ("expiring", "1")}
    result = [Page("contracts list", "/contracts/", LIST_BUDGET, CONTRACT_MS)]
    for label, (key, value) in filters.items():
        result.append(Page(f"contracts filter {label}", "/contracts/?" + urlencode({key: value}), LIST_BUDGET,
                           CONTRACT_MS))
    for key, direction in _sorts().items():
        result.append(Page(f"contracts sort {key}", "/contracts/?" + urlencode({"sort": key, "dir": direction}),
                           LIST_BUDGET, CONTRACT_MS))
    result += [
        Page("contract detail", f"/contracts/{s['contract_id']}", DETAIL_BUDGET, CONTRACT_MS),
        Page("contract renewals due", "/contracts/renewals", LIST_BUDGET, CONTRACT_MS),
    ]
    result += money_pages(Page, sample_user_id, s, receivables)
    result += [Page("approvals waiting for me", "/approvals/", LIST_BUDGET, CONTRACT_MS),
               Page("approvals submitted", "/approvals/submitted", LIST_BUDGET, CONTRACT_MS)]
    return result


def money_pages(page_class, sample_user_id: int, s: dict, receivables: bool) -> list:
    """The payments and invoices lists with their filters; receivables and aging when `receivables`."""
    Page = page_class  # noqa: N806
    month_ago = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    result = [Page("payments list", "/payments/", LIST_BUDGET, CONTRACT_MS)]
    for label, args in (("method", {"method": "acceptance_bill"}), ("owner", {"owner": sample_user_id}),
                        ("customer", {"customer": s["customer_id"]}), ("contract", {"contract": s["contract_id"]}),
                        ("date_from", {"date_from": month_ago})):
        result.append(Page(f"payments filter {label}", "/payments/?" + urlencode(args), LIST_BUDGET, CONTRACT_MS))
    result.append(Page("invoices list", "/payments/invoices/", LIST_BUDGET, CONTRACT_MS))
    for label, args in (("type", {"type": "normal"}), ("status", {"status": "voided"}),
                        ("owner", {"owner": sample_user_id}), ("customer", {"customer": s["customer_id"]}),
                        ("date_from", {"date_from": month_ago})):
        result.append(Page(f"invoices filter {label}", "/payments/invoices/?" + urlencode(args), LIST_BUDGET,
                           CONTRACT_MS))
    if not receivables:
        return result
    result.append(Page("receivables by contract", "/payments/receivables/", LIST_BUDGET, RECEIVABLE_MS))
    for label, args in (("overdue", {"overdue": "1"}), ("owner", {"owner": sample_user_id}),
                        ("customer", {"customer": s["customer_id"]})):
        result.append(Page(f"receivables filter {label}", "/payments/receivables/?" + urlencode(args),
                           LIST_BUDGET, RECEIVABLE_MS))
    for key in _receivable_sorts():
        result.append(Page(f"receivables sort {key}", "/payments/receivables/?" + urlencode({"sort": key}),
                           LIST_BUDGET, RECEIVABLE_MS))
    result += [
        Page("receivables by customer", "/payments/receivables/customers", LIST_BUDGET, RECEIVABLE_MS),
        Page("receivables by customer overdue", "/payments/receivables/customers?overdue=1", LIST_BUDGET,
             RECEIVABLE_MS),
        Page("receivables by customer owner",
             "/payments/receivables/customers?" + urlencode({"owner": sample_user_id}), LIST_BUDGET, RECEIVABLE_MS),
        Page("aging by owner", "/payments/aging", LIST_BUDGET, RECEIVABLE_MS),
        Page("aging by customer", "/payments/aging?by=customer", LIST_BUDGET, RECEIVABLE_MS),
        Page("aging of one owner", "/payments/aging?" + urlencode({"owner": sample_user_id}), LIST_BUDGET,
             RECEIVABLE_MS),
    ]
    return result


def finance_pages(page_class, sample_user_id: int) -> list:
    """As the finance manager (every contract in scope): the money lists, receivables and aging."""
    s = _samples(sample_user_id)
    return money_pages(page_class, sample_user_id, s, receivables=True) if s else []
