"""Factories for test records: make_user(role="sales", ...), make_branch(...), make_department(...)."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from crm_server.core.models import Branch, Department, Role, User
from crm_server.core.security import hash_password, new_session_token
from crm_server.extensions import db

PASSWORD = "Passw0rd123"
_seq = itertools.count(1)


def make_branch(name: str | None = None, **kw) -> Branch:
    branch = Branch(name=name or f"分公司{next(_seq)}", **kw)
    db.session.add(branch)
    db.session.flush()
    return branch


def make_department(name: str | None = None, branch: Branch | None = None, parent: Department | None = None,
                    **kw) -> Department:
    branch = branch or (parent.branch if parent else make_branch())
    department = Department(name=name or f"部门{next(_seq)}", branch=branch, parent=parent, **kw)
    db.session.add(department)
    db.session.flush()
    return department


def role(code: str) -> Role:
    found = db.session.scalar(select(Role).where(Role.code == code))
    assert found is not None, f"no role {code}"
    return found


def make_user(role_code: str = "sales", username: str | None = None, password: str = PASSWORD,
              department: Department | None = None, manager: User | None = None, **kw) -> User:
    n = next(_seq)
    user = User(username=username or f"user{n}", display_name=kw.pop("display_name", f"员工{n}"),
                password_hash=hash_password(password), role=role(role_code), department=department,
                manager=manager, session_token=new_session_token(), **kw)
    db.session.add(user)
    db.session.flush()
    return user


def dictionary_item(kind: str, label: str | None = None):
    """A starting value of a dictionary (the first one, or the one with that label)."""
    from crm_server.core.dictionaries import DictionaryItem
    stmt = select(DictionaryItem).where(DictionaryItem.kind == kind)
    if label is not None:
        stmt = stmt.where(DictionaryItem.label == label)
    found = db.session.scalar(stmt.order_by(DictionaryItem.sort_order, DictionaryItem.id).limit(1))
    assert found is not None, f"no {kind} {label}"
    return found


def make_customer(owner: User | None = None, name: str | None = None, **kw):
    """A live customer owned by `owner` (None: in the default public pool, if one exists)."""
    from crm_server.core.types import utcnow
    from crm_server.customers import normalise
    from crm_server.customers.models import Customer
    name = name or f"测试客户{next(_seq)}有限公司"
    customer = Customer(name=name, owner=owner, owner_since=utcnow() if owner else None,
                        created_by=kw.pop("created_by", owner), **kw)
    customer.name_key = normalise.name_key(name)
    customer.phone_digits = normalise.phone_digits(customer.phone)
    customer.email_key = normalise.email_key(customer.email)
    customer.search_text = normalise.customer_search_text(name, customer.short_name, customer.phone, customer.email)
    db.session.add(customer)
    db.session.flush()
    return customer


def make_contact(customer, name: str | None = None, **kw):
    from crm_server.contacts.models import Contact
    from crm_server.customers import normalise
    from crm_server.customers.search import refresh_keys
    contact = Contact(customer=customer, name=name or f"联系人{next(_seq)}", **kw)
    contact.mobile_digits = normalise.phone_digits(contact.mobile)
    if contact.birthday is not None:
        contact.birthday_md = contact.birthday.strftime("%m-%d")
    db.session.add(contact)
    db.session.flush()
    refresh_keys(customer)
    db.session.flush()
    return contact


def make_followup(customer, user: User | None = None, **kw):
    import datetime as dt

    from crm_server.core.types import utcnow
    from crm_server.followups.models import FollowUp
    followup = FollowUp(customer=customer, user=user or customer.owner, kind=kw.pop("kind", "call"),
                        happened_at=kw.pop("happened_at", utcnow() - dt.timedelta(hours=1)),
                        content=kw.pop("content", "电话沟通需求"), **kw)
    db.session.add(followup)
    if customer.last_followup_at is None or followup.happened_at > customer.last_followup_at:
        customer.last_followup_at = followup.happened_at
    db.session.flush()
    return followup
