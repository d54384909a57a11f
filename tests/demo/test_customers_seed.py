"""The demo customer file: what the services would have written, believable values, the same data every run."""
import datetime as dt
import re
from collections import Counter, defaultdict

from sqlalchemy import false, func, select, true

from crm_server.contacts.models import Contact
from crm_server.core.dictionaries import DictionaryItem
from crm_server.core.models import User
from crm_server.core.roles import ensure_reference_data
from crm_server.core.types import utcnow
from crm_server.customers import normalise
from crm_server.customers.models import Customer, CustomerCollaborator, CustomerTag, OwnerChange, Tag
from crm_server.customers.search import refresh_keys
from crm_server.demo import seed_demo
from crm_server.demo.customers import TAGS, valid_credit_code
from crm_server.demo.places import CITIES, cities_by_branch
from crm_server.extensions import db
from crm_server.followups.models import FollowUp
from crm_server.pool.models import PublicPool
from tests.conftest import _clean_tables

CITY = {city.name: city for city in CITIES}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _seed(size: str = "small") -> dict:
    result = seed_demo(size)
    db.session.commit()
    return result


def _customers() -> list[Customer]:
    return list(db.session.scalars(select(Customer).order_by(Customer.id)))


def test_counts_match_what_is_stored(app):
    result = _seed()
    assert 350 <= result["customers"] == _count(Customer) <= 450
    assert result["contacts"] == _count(Contact)
    assert 2 * result["customers"] <= result["contacts"] <= 4 * result["customers"]
    assert result["followups"] == _count(FollowUp) >= result["customers"] * 2
    assert result["pool_customers"] == _count(Customer, Customer.owner_id.is_(None)) >= 10
    per_customer = Counter(db.session.scalars(select(Contact.customer_id)))
    assert set(per_customer.values()) <= {2, 3, 4} and len(per_customer) == result["customers"]
    primaries = Counter(db.session.scalars(select(Contact.customer_id).where(Contact.is_primary == true())))
    assert set(primaries.values()) == {1} and len(primaries) == result["customers"]


def test_keys_are_what_the_services_keep(app):
    _seed()
    customers = _customers()
    contacts = defaultdict(list)
    for contact in db.session.scalars(select(Contact).order_by(Contact.id)):
        contacts[contact.customer_id].append(contact)
        assert contact.mobile_digits == normalise.phone_digits(contact.mobile)
        assert contact.birthday_md == (contact.birthday.strftime("%m-%d") if contact.birthday else None)
    stored = {c.id: (c.name_key, c.phone_digits, c.email_key, c.search_text) for c in customers}
    for customer in customers:
        assert customer.name_key == normalise.name_key(customer.name)
        for contact in contacts[customer.id]:
            assert contact.name in customer.search_text
            assert contact.mobile in customer.search_text
        refresh_keys(customer)  # what a service would compute: nothing changes
        assert (customer.name_key, customer.phone_digits, customer.email_key, customer.search_text) \
            == stored[customer.id], customer.name
    db.session.rollback()
    # a keyword search finds a customer by a contact's name
    contact = contacts[customers[7].id][-1]
    term = normalise.search_term(contact.name)
    found = db.session.scalars(select(Customer.id).where(Customer.search_text.contains(term)))
    assert customers[7].id in set(found)


def test_follow_up_dates_on_the_customer(app):
    _seed()
    now = utcnow()
    latest = dict(db.session.execute(select(FollowUp.customer_id, func.max(FollowUp.happened_at))
                                     .group_by(FollowUp.customer_id)).all())
    open_plans = dict(db.session.execute(
        select(FollowUp.customer_id, func.min(FollowUp.next_followup_at))
        .where(FollowUp.next_followup_at.is_not(None), FollowUp.next_done_at.is_(None))
        .group_by(FollowUp.customer_id)).all())
    deal = db.session.scalar(select(DictionaryItem.id).where(DictionaryItem.kind == "customer_status",
                                                             DictionaryItem.flag == "deal"))
    for customer in _customers():
        assert customer.last_followup_at == latest.get(customer.id), customer.name
        assert customer.next_followup_at == open_plans.get(customer.id), customer.name
        assert (customer.last_deal_at is not None) == (customer.status_id == deal), customer.name
        assert customer.created_at <= customer.updated_at <= now
    first = db.session.scalar(select(func.min(FollowUp.happened_at)))
    last = db.session.scalar(select(func.max(FollowUp.happened_at)))
    assert now - dt.timedelta(days=366) <= first and last <= now and now - last < dt.timedelta(days=7)
    # plans: most done, some due in the coming days, some overdue
    plans = db.session.execute(select(FollowUp.next_followup_at, FollowUp.next_done_at)
                               .where(FollowUp.next_followup_at.is_not(None))).all()
    done = sum(1 for _at, done_at in plans if done_at is not None)
    upcoming = sum(1 for at, done_at in plans if done_at is None and at > now)
    overdue = sum(1 for at, done_at in plans if done_at is None and at <= now)
    assert done > upcoming + overdue and upcoming >= 20 and overdue >= 10
    # as the follow-up service keeps them: a plan comes after its follow-up, and is done by the next one
    followups = defaultdict(list)
    for row in db.session.execute(select(FollowUp.customer_id, FollowUp.happened_at, FollowUp.next_followup_at,
                                         FollowUp.next_done_at).order_by(FollowUp.happened_at, FollowUp.id)):
        followups[row.customer_id].append(row)
    for rows in followups.values():
        times = [row.happened_at for row in rows]
        assert len(set(times)) == len(times)
        for n, row in enumerate(rows):
            assert row.next_followup_at is None or row.next_followup_at > row.happened_at
            if row.next_followup_at is not None:
                assert row.next_done_at == (times[n + 1] if n + 1 < len(times) else None)
            else:
                assert row.next_done_at is None
    kinds = set(db.session.scalars(select(FollowUp.kind).distinct()))
    assert kinds == {"call", "visit", "meeting", "email", "wechat", "other"}
    # every follow-up was made by someone who owned the customer at the time, about one of its contacts
    mismatched = db.session.scalar(select(func.count()).select_from(FollowUp).join(Contact, Contact.id
                                   == FollowUp.contact_id).where(Contact.customer_id != FollowUp.customer_id))
    assert mismatched == 0


def test_owners_history_and_the_public_pool(app):
    _seed()
    pool = db.session.scalar(select(PublicPool).where(PublicPool.is_default == true()))
    assert pool is not None and pool.name == "公海"
    changes = defaultdict(list)
    for change in db.session.scalars(select(OwnerChange).order_by(OwnerChange.at, OwnerChange.id)):
        changes[change.customer_id].append(change)
    kinds = Counter(change.kind for rows in changes.values() for change in rows)
    assert {"created", "released", "recycled", "claimed", "transferred"} <= set(kinds)
    collaborated = set(db.session.scalars(select(CustomerCollaborator.customer_id)))
    assert collaborated
    for customer in _customers():
        rows = changes[customer.id]
        assert [r.kind for r in rows].count("created") == 1 and rows[0].kind == "created"
        assert rows[0].to_user_id == customer.created_by_id and rows[0].at == customer.created_at
        if customer.owner_id is None:
            assert customer.pool_id == pool.id and customer.released_at == rows[-1].at
            assert rows[-1].kind in ("released", "recycled") and rows[-1].reason
            assert customer.owner_since is None and customer.next_followup_at is None
            assert customer.id not in collaborated
        else:
            assert customer.pool_id is None and customer.released_at is None
            assert rows[-1].to_user_id == customer.owner_id and customer.owner_since == rows[-1].at
    # the hand-over list ("needs new owner") has customers of former employees
    former = db.session.scalar(select(func.count()).select_from(Customer).join(User, User.id == Customer.owner_id)
                               .where(User.is_active == false()))
    assert former >= 5


def test_customers_look_real(app):
    _seed()
    users = {u.id: u for u in db.session.scalars(select(User))}
    served = cities_by_branch([b for b in ("上海总部", "北京分公司", "广州办事处")])
    branch_cities = {branch: {c.name for c in cities} for branch, cities in served.items()}
    names = set()
    for customer in _customers():
        city = CITY[customer.city]
        assert customer.province == city.province
        assert customer.district in {d for d, _code in city.districts}
        assert customer.address.startswith(customer.city + customer.district)
        assert customer.name.startswith(city.short) or f"（{city.short}）" in customer.name
        assert customer.name.endswith(("有限公司", "学校")) and customer.short_name
        assert customer.name not in names
        names.add(customer.name)
        assert valid_credit_code(customer.credit_code)
        assert customer.credit_code[2:8] in {code for _d, code in city.districts}
        if customer.phone:
            assert re.fullmatch(re.escape(city.area_code) + r"-[5-8]\d{3} \d{4}", customer.phone)
        for address in (customer.email, customer.website):
            assert address is None or address.endswith(".example.com"), address
        if customer.owner_id is not None:
            owner = users[customer.owner_id]
            assert owner.role.code in ("sales", "sales_manager", "sales_director")
            assert customer.city in branch_cities[owner.department.branch.name]
    for contact in db.session.scalars(select(Contact)):
        assert re.fullmatch(r"1[358]\d{9}", contact.mobile)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", contact.name)
        assert contact.title in ("采购经理", "设备部主任", "总经理", "技术总监", "财务经理")
        assert contact.decision_role in ("decision_maker", "influencer", "user", "purchaser", "other")
        assert contact.email is None or contact.email.endswith(".example.com")
    levels = dict(db.session.execute(select(DictionaryItem.label, func.count(Customer.id))
                                     .join(Customer, Customer.level_id == DictionaryItem.id)
                                     .group_by(DictionaryItem.label)).all())
    assert len(levels) == 4
    assert levels["A（重点客户）"] < levels["B（普通客户）"] < levels["C（一般客户）"]
    used = set(db.session.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id).distinct()))
    assert used == set(TAGS)
    for kind in ("customer_industry", "customer_source", "customer_status"):
        column = {"customer_industry": Customer.industry_id, "customer_source": Customer.source_id,
                  "customer_status": Customer.status_id}[kind]
        assert _count(Customer, column.is_(None)) == 0
        assert db.session.scalar(select(func.count(func.distinct(column)))) >= 4


def _fingerprint() -> list:
    """Everything but the timestamps (which follow today's date)."""
    users = dict(db.session.execute(select(User.id, User.username)).all())
    customers = [(c.name, c.short_name, c.city, c.address, c.phone, c.email, c.credit_code, c.search_text,
                  users.get(c.owner_id), c.level.label, c.status.label, [t.name for t in c.tags])
                 for c in _customers()]
    contacts = db.session.execute(select(Contact.name, Contact.title, Contact.mobile, Contact.birthday)
                                  .order_by(Contact.id)).all()
    followups = db.session.execute(select(FollowUp.kind, FollowUp.content, FollowUp.outcome, FollowUp.user_id)
                                   .order_by(FollowUp.id)).all()
    changes = db.session.execute(select(OwnerChange.kind, OwnerChange.reason).order_by(OwnerChange.id)).all()
    return [customers, [tuple(r) for r in contacts], [(k, c, o, users[u]) for k, c, o, u in followups],
            [tuple(r) for r in changes]]


def test_same_data_on_every_run(app):
    first = _seed()
    data = _fingerprint()
    db.session.rollback()
    _clean_tables()
    ensure_reference_data()
    db.session.commit()
    second = _seed()
    assert first == second
    assert _fingerprint() == data
