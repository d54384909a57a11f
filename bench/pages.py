"""The pages users wait on, as whom they are measured, their SQL statement budgets and time targets."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

from sqlalchemy import func, select

from crm_server.contacts.models import Contact
from crm_server.core.dictionaries import DictionaryItem
from crm_server.core.models import User
from crm_server.customers.models import Customer, CustomerTag
from crm_server.extensions import db
from crm_server.followups.models import FollowUp

from .lead_pages import lead_pages
from .pipeline_pages import opportunity_pages

# p95 targets (ms) by kind of page; pages without one are reported but not judged on time.
LIST_MS, SEARCH_MS, DETAIL_MS, ENTRY_MS, DUPLICATE_MS = 50, 100, 50, 50, 50
LIST_BUDGET = 20  # the list, each filter, sort and search: one statement budget
# The customer list's own sort keys if the customers module says which, else these.
SORT_KEYS = ("name", "kind", "industry", "source", "level", "status", "credit_rating", "region", "address", "phone",
             "email", "credit_code", "owner", "created_at", "updated_at", "last_followup_at", "next_followup_at",
             "owner_since", "last_deal_at")
LOCAL = "%Y-%m-%dT%H:%M"


@dataclass
class Page:
    name: str
    path: str
    budget: int                       # most SQL statements one request may run, whatever the data size
    target_ms: float | None = None    # p95 target
    method: str = "GET"
    data: Callable[[], dict] | None = None  # form fields of a POST
    expect: int = 200
    clear: str | None = None          # before each request, empty the report cache: "all", or "charts" only


@dataclass
class Samples:
    """Values the pages are asked for, taken from the data set: a salesperson's customer and its contact."""

    user_id: int
    customer_id: int
    contact_id: int | None
    name_fragment: str
    phone_fragment: str
    contact_name: str
    customer_name: str
    customer_phone: str | None
    filters: dict[str, str] = field(default_factory=dict)


def samples_for(user_id: int) -> Samples:
    """A customer of `user_id` with a typical number of follow-ups, and search terms drawn from it."""
    counts = (select(FollowUp.customer_id, func.count().label("n")).join(Customer, Customer.id == FollowUp.customer_id)
              .where(Customer.owner_id == user_id).group_by(FollowUp.customer_id).subquery())
    customer_id = db.session.scalar(select(counts.c.customer_id).where(counts.c.n.between(8, 14))
                                    .order_by(counts.c.customer_id).limit(1))
    if customer_id is None:
        customer_id = db.session.scalar(select(Customer.id).where(Customer.owner_id == user_id)
                                        .order_by(Customer.id).limit(1))
    customer = db.session.get(Customer, customer_id)
    contact = db.session.scalar(select(Contact).where(Contact.customer_id == customer_id)
                                .order_by(Contact.id).limit(1))
    mobile = contact.mobile if contact is not None and contact.mobile else "13800000000"
    today = dt.date.today()
    item = _dictionary_ids()
    tag = db.session.scalar(select(CustomerTag.tag_id).order_by(CustomerTag.tag_id).limit(1))
    filters = {
        "kind": "company", "industry": item("customer_industry", 0), "source": item("customer_source", 1),
        "level": item("customer_level", 0), "status": item("customer_status", 2), "credit_rating": "A",
        "province": customer.province or "江苏省", "city": customer.city or "苏州市", "owner": str(user_id),
        "tag": str(tag or ""), "created_from": (today - dt.timedelta(days=90)).isoformat(),
        "followup_from": (today - dt.timedelta(days=30)).isoformat(), "no_followup_days": "30",
        "next_followup=today": "today", "next_followup=overdue": "overdue", "scope=mine": "mine",
        "scope=shared": "shared", "scope=department": "department",
    }
    return Samples(user_id=user_id, customer_id=customer_id, contact_id=contact.id if contact else None,
                   name_fragment=(customer.short_name or customer.name)[:2], phone_fragment=mobile[3:7],
                   contact_name=contact.name if contact else "", customer_name=customer.name,
                   customer_phone=customer.phone, filters=filters)


def _dictionary_ids():
    rows = db.session.execute(select(DictionaryItem.kind, DictionaryItem.id)
                              .order_by(DictionaryItem.kind, DictionaryItem.sort_order, DictionaryItem.id)).all()
    by_kind: dict[str, list[int]] = {}
    for kind, item_id in rows:
        by_kind.setdefault(kind, []).append(item_id)

    def item(kind: str, index: int) -> str:
        values = by_kind.get(kind, [])
        return str(values[min(index, len(values) - 1)]) if values else ""
    return item


def _sort_keys() -> tuple[str, ...]:
    try:
        from crm_server.customers.services import SORT_KEYS as keys
    except ImportError:
        return SORT_KEYS
    return tuple(keys)


def customer_pages(s: Samples) -> list[Page]:
    """The customer list (first page, each filter, each sort), keyword search, detail, follow-up entry,
    duplicate check, and the lists hanging from customers, as one user."""
    pages = [Page("customers list", "/customers/", LIST_BUDGET, LIST_MS)]
    for key, value in s.filters.items():
        name = key.split("=")[0]
        pages.append(Page(f"customers filter {key}", "/customers/?" + urlencode({name: value}), LIST_BUDGET,
                          LIST_MS))
    for key in _sort_keys():
        pages.append(Page(f"customers sort {key}", "/customers/?" + urlencode({"sort": key}), LIST_BUDGET,
                          LIST_MS))
    for label, term in (("name fragment", s.name_fragment), ("phone fragment", s.phone_fragment),
                        ("contact name", s.contact_name)):
        pages.append(Page(f"search {label}", "/customers/?" + urlencode({"q": term}), LIST_BUDGET,
                          SEARCH_MS))
    now = dt.datetime.now()

    def followup_form() -> dict:
        return {"kind": "call", "happened_at": now.strftime(LOCAL), "contact_id": str(s.contact_id or ""),
                "content": "电话确认设备到货时间，客户要求下周安排安装调试。", "outcome": "客户同意",
                "next_step": "安排工程师", "next_followup_at": (now + dt.timedelta(days=3)).strftime(LOCAL)}

    pages += [
        # every section other domains add (contacts, follow-ups, opportunities, quotes) reads its rows in 1-3 statements
        Page("customer detail", f"/customers/{s.customer_id}", 32, DETAIL_MS),
        Page("follow-up entry form", f"/followups/new?customer_id={s.customer_id}", 10, ENTRY_MS),
        Page("follow-up entry (POST)", f"/followups/new?customer_id={s.customer_id}", 20, ENTRY_MS, method="POST",
             data=followup_form, expect=302),
        Page("duplicate check", "/customers/duplicates.json?" + urlencode(
            {"name": s.customer_name, "phone": s.customer_phone or ""}), 6, DUPLICATE_MS),
        Page("contacts list", "/contacts/", 8),
        Page("contacts search", "/contacts/?" + urlencode({"q": s.contact_name}), 8),
        Page("follow-ups list", "/followups/", 15),
        Page("follow-ups today", "/followups/today", 10),
        Page("follow-ups overdue", "/followups/overdue", 10),
        Page("pool list", "/pool/", 20),
        Page("reminders", "/reminders/", 10),
        Page("activity", "/activity/", 16),
        Page("home", "/", 12),
    ]
    return pages + opportunity_pages(Page, s.user_id, s.customer_id) + lead_pages(Page, s.user_id)


ADMIN_PAGES = [
    Page("/admin/users", "/admin/users", 18),
    Page("/admin/users?q=wang", "/admin/users?q=wang", 18),
    Page("/admin/users?page=5", "/admin/users?page=5", 18),
    Page("/admin/departments", "/admin/departments", 10),
    Page("/admin/roles", "/admin/roles", 10),
    Page("/admin/audit", "/admin/audit", 13),
    Page("/admin/audit?page=200", "/admin/audit?page=200", 13),
    Page("/admin/audit?action=user.signed_in", "/admin/audit?action=user.signed_in", 13),
    # one usage count per column that references a dictionary (customers, opportunities, leads, campaigns)
    Page("/admin/dictionaries", "/admin/dictionaries", 20),
    Page("/pool/orphans", "/pool/orphans", 16),
]
ANONYMOUS_PAGES = [Page("/login", "/login", 2)]


def user_label(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return f"{user.username} ({user.title})"
