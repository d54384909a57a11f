"""The benchmark's data set: 200 sales staff in 10 departments owning 100,000 customers with 300,000 contacts and
1,000,000 follow-ups (by default), written with plain executemany inserts in batches.

Rows hold what the services would write (customers.normalise keys, search text with the contacts' names and
phones, follow-up dates on the customer, an OwnerChange per move, pool customers in the default pool), so the
pages are measured on data shaped like a real installation's. The demo's name and place tables make the
values: keyword searches hit about as many rows as they would in real life.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import json
import random
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text

from crm_server.contacts.models import Contact
from crm_server.core.audit import AuditLog
from crm_server.core.dictionaries import items
from crm_server.core.models import Branch, Department, Role, User
from crm_server.core.roles import ensure_reference_data
from crm_server.core.security import hash_password, new_session_token
from crm_server.core.types import utcnow
from crm_server.customers import normalise
from crm_server.customers.models import Customer, CustomerCollaborator, CustomerTag, OwnerChange, Tag
from crm_server.demo import texts
from crm_server.demo.customers import MOBILE_PREFIXES, credit_code
from crm_server.demo.names import person
from crm_server.demo.places import CITIES, STREETS
from crm_server.extensions import db
from crm_server.followups.daycounts import rebuild_day_counts
from crm_server.followups.models import FollowUp
from crm_server.pool.models import PublicPool

from .contract_dataset import add_contracts
from .lead_dataset import add_leads
from .pipeline_dataset import add_opportunities

PASSWORD = "Bench12345"
ADMIN = "admin"
CUSTOMER_BATCH = 5_000      # customers generated (and their contacts and follow-ups written) at a time
ROW_BATCH = 10_000          # rows per executemany
POOL_SHARE = 0.10
TAG_SHARE = 0.2
COLLABORATOR_SHARE = 0.02
FORMER_EMPLOYEES = 2
YEAR_SECONDS = 365 * 86400
CREDIT_RATINGS = ("AAA", "AA", "A", "B", "C")
TAGS = ("重点客户", "老客户转介绍", "政府项目", "外资企业", "年度框架")
# (branch, departments: (name, parent index or None)); 10 departments in all
ORGANISATION = (
    ("上海总部", (
        ("销售部", None), ("华东销售一组", 0), ("华东销售二组", 0), ("华东销售三组", 0), ("华东销售四组", 0),
        ("华东销售五组", 0), ("华东销售六组", 0))),
    ("北京分公司", (("销售部", None), ("销售一组", 0), ("销售二组", 0))),
)


@dataclass
class Dataset:
    """What was built: row counts per table and who the pages are measured as."""

    counts: dict[str, int] = field(default_factory=dict)
    admin_id: int = 0
    director_id: int = 0
    manager_id: int = 0
    rep_id: int = 0
    finance_id: int = 0         # the finance manager the receivables and aging pages are measured as
    build_seconds: float = 0.0

    def save(self, path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path) -> Dataset:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def build(customers: int, audit_rows: int, seed: int = 7, sqlite: bool = True, progress=print) -> Dataset:
    """Write the data set into the empty database of the current app context (commits)."""
    ensure_reference_data()
    db.session.commit()
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    result = Dataset()
    staff = _organisation(result)
    db.session.commit()
    if sqlite:
        # From here one transaction, so one connection: a big page cache while building (the default 2 MB
        # thrashes on the indexes), put back before the commit, so the pages are measured as the server runs.
        cache_size = db.session.execute(text("PRAGMA cache_size")).scalar()
        db.session.execute(text("PRAGMA cache_size=-262144"))
    builder = _Builder(rng, now, staff, customers)
    made = 0
    while made < customers:
        size = min(CUSTOMER_BATCH, customers - made)
        builder.batch(size)
        made += size
        if not sqlite:
            db.session.commit()  # a server database: moderate transactions; SQLite: one transaction
        if made % 20_000 == 0 or made == customers:
            progress(f"  {made:,} customers, {builder.counts['contacts']:,} contacts, "
                     f"{builder.counts['followups']:,} follow-ups")
    _audit_rows(rng, now, audit_rows)
    result.counts.update(add_opportunities(rng, now, customers, progress))
    result.counts.update(add_leads(rng, now, customers, progress))
    contracts = add_contracts(rng, now, customers, progress)
    result.finance_id = contracts.pop("finance_id")
    result.counts.update(contracts)
    progress(f"  {rebuild_day_counts():,} follow-up day counts")  # the follow-ups went in by Core inserts
    if sqlite:
        db.session.execute(text(f"PRAGMA cache_size={int(cache_size)}"))
    db.session.commit()
    for model in (Branch, Department, User, Customer, Contact, FollowUp, OwnerChange, CustomerTag,
                  CustomerCollaborator, AuditLog):
        result.counts[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model))
    return result


@dataclass
class _Staff:
    id: int
    department_id: int
    weight: int


def _organisation(result: Dataset) -> list[_Staff]:
    """Two branches, ten departments, 200 sales staff (a director, nine managers, 190 salespeople, two of whom
    have left) and the administrator who opens the administration pages."""
    roles = {r.code: r for r in db.session.scalars(select(Role))}
    password_hash = hash_password(PASSWORD)
    rng = random.Random(1)
    names: set[str] = set()
    usernames = itertools.count(1)

    def user(role: str, title: str, department: Department, manager: User | None = None) -> User:
        while True:
            name, _pinyin, _gender = person(rng)
            if name not in names:
                names.add(name)
                break
        made = User(username=f"u{next(usernames):03d}", display_name=name, title=title, role=roles[role],
                    department=department, manager=manager, password_hash=password_hash,
                    session_token=new_session_token(), email=None)
        db.session.add(made)
        return made

    departments: list[Department] = []
    for order, (branch_name, tree) in enumerate(ORGANISATION):
        branch = Branch(name=branch_name, sort_order=order)
        db.session.add(branch)
        made: list[Department] = []
        for n, (name, parent) in enumerate(tree):
            department = Department(name=name, branch=branch, parent=made[parent] if parent is not None else None,
                                    sort_order=n)
            made.append(department)
            departments.append(department)
        db.session.add_all(made)
    hq_sales, groups_hq, bj_sales, groups_bj = departments[0], departments[1:7], departments[7], departments[8:]
    director = user("sales_director", "销售总监", hq_sales)
    regional = user("sales_manager", "区域销售经理", bj_sales, director)
    people = [(director, 1), (regional, 2)]
    groups = groups_hq + groups_bj
    managers = [user("sales_manager", "销售经理", group, regional if group in groups_bj else director)
                for group in groups]
    people += [(m, 3) for m in managers]
    reps = 200 - len(people)
    for n in range(reps):
        group = groups[n % len(groups)]
        people.append((user("sales", "销售代表", group, managers[n % len(groups)]), 10))
    for former, _weight in people[-FORMER_EMPLOYEES:]:
        former.is_active = False  # left the company: their customers wait for a new owner
    admin = User(username=ADMIN, display_name="系统管理员", role=roles["admin"], department=hq_sales,
                 password_hash=password_hash, session_token=new_session_token())
    db.session.add(admin)
    db.session.flush()
    result.admin_id, result.director_id, result.manager_id = admin.id, director.id, managers[0].id
    result.rep_id = people[len(people) // 2][0].id  # a salesperson in the middle of the list
    return [_Staff(u.id, u.department_id, weight) for u, weight in people]


class _Builder:
    def __init__(self, rng: random.Random, now: dt.datetime, staff: list[_Staff], customers: int):
        self.rng = rng
        self.now = now
        self.staff = staff
        self.staff_cum = list(itertools.accumulate(s.weight for s in staff))
        self.colleagues = {s.id: [o.id for o in staff if o.department_id == s.department_id and o is not s]
                           for s in staff}
        self.city_cum = list(itertools.accumulate(c.weight for c in CITIES))
        self.trade_cum = list(itertools.accumulate(texts.TRADE_WEIGHTS))
        self.dictionaries = {kind: [i.id for i in items(kind)] for kind in
                             ("customer_industry", "customer_source", "customer_level", "customer_status")}
        industry_ids = {i.label: i.id for i in items("customer_industry")}
        self.trade_industry = [industry_ids.get(t.industry) for t in texts.TRADES]
        self.deal_status = next((i.id for i in items("customer_status") if i.flag == "deal"), None)
        self.pool_id = self._default_pool()
        self.tag_ids = self._tags()
        self.mobiles: set[str] = set()
        self.codes: set[str] = set()
        self.counts = {"customers": 0, "contacts": 0, "followups": 0}
        # A few thousand follow-up texts, drawn once: the rows pick among them.
        text_rng = random.Random(11)
        self.texts = [texts.followup_text(text_rng, stage, "对方", "经理")
                      for stage in ("early", "intent", "after") for _n in range(800)]
        # contacts x3 and follow-ups x10 per customer on average, exactly
        self.contacts_left = customers * 3
        self.followups_left = customers * 10
        self.customers_left = customers

    def _default_pool(self) -> int:
        pool = db.session.scalar(select(PublicPool).order_by(PublicPool.is_default.desc(), PublicPool.id).limit(1))
        if pool is None:
            pool = PublicPool(name="公海", is_default=True, is_active=True)
            db.session.add(pool)
            db.session.flush()
        return pool.id

    def _tags(self) -> list[int]:
        ids = []
        for name in TAGS:
            tag = db.session.scalar(select(Tag).where(Tag.name == name))
            if tag is None:
                tag = Tag(name=name)
                db.session.add(tag)
                db.session.flush()
            ids.append(tag.id)
        return ids

    def _share(self, left: int, customers_left: int, low: int, high: int) -> int:
        """How many of `left` rows this customer gets: between low and high, around what is left per customer,
        so the total lands on the target (the last customer takes what remains)."""
        if customers_left == 1:
            return left
        mean, half = round(left / customers_left), (high - low) // 2
        lo = max(low, min(high, mean - half))
        hi = min(high, max(lo, mean + half))
        return min(left, self.rng.randint(lo, hi))

    def _moment(self, seconds_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(seconds=int(seconds_ago))

    def _mobile(self) -> str:
        rng = self.rng
        while True:
            mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile

    def batch(self, size: int) -> None:
        rng = self.rng
        customers, contacts, followups, changes, tags, shared = [], [], [], [], [], []
        for _n in range(size):
            owner = self.staff[bisect.bisect_left(self.staff_cum, rng.random() * self.staff_cum[-1])]
            in_pool = rng.random() < POOL_SHARE
            city = CITIES[bisect.bisect_left(self.city_cum, rng.random() * self.city_cum[-1])]
            district, division = rng.choice(city.districts)
            trade_index = bisect.bisect_left(self.trade_cum, rng.random() * self.trade_cum[-1])
            trade = texts.TRADES[trade_index]
            first, second = rng.sample(texts.TRADE_CHARS, 2)
            name = f"{city.short}{first[0]}{second[0]}{trade.word}" + ("" if trade.school else "有限公司")
            domain = f"{first[1]}{second[1]}-{trade.slug}.example.com"
            while True:
                code = credit_code(rng, division, "52" if trade.school else "91")
                if code not in self.codes:
                    self.codes.add(code)
                    break
            phone = (f"{city.area_code}-{rng.randint(5, 8)}{rng.randrange(1000):03d} {rng.randrange(10000):04d}"
                     if rng.random() < 0.85 else None)
            email = f"info@{domain}" if rng.random() < 0.5 else None
            created = self._moment(rng.uniform(86400 * 7, YEAR_SECONDS * 3))
            released = self._moment(rng.uniform(3600, (self.now - created).total_seconds())) if in_pool else None
            status = rng.choice(self.dictionaries["customer_status"])
            row = {
                "name": name, "short_name": f"{first[0]}{second[0]}{trade.short}", "kind": "company",
                "industry_id": self.trade_industry[trade_index], "source_id": rng.choice(
                    self.dictionaries["customer_source"]),
                "level_id": rng.choices(self.dictionaries["customer_level"], weights=(5, 20, 50, 25)[
                    :len(self.dictionaries["customer_level"])])[0],
                "status_id": status, "credit_rating": rng.choice(CREDIT_RATINGS) if rng.random() < 0.4 else None,
                "province": city.province, "city": city.name, "district": district,
                "address": f"{city.name}{district}{rng.choice(STREETS)} {rng.randint(1, 1288)} 号",
                "phone": phone, "email": email, "website": f"www.{domain}" if rng.random() < 0.6 else None,
                "credit_code": code, "remarks": None, "name_key": normalise.name_key(name),
                "phone_digits": normalise.phone_digits(phone), "email_key": normalise.email_key(email),
                "owner_id": None if in_pool else owner.id, "owner_since": None if in_pool else created,
                "pool_id": self.pool_id if in_pool else None, "released_at": released,
                "created_by_id": owner.id, "updated_by_id": owner.id, "next_followup_at": None,
                "last_deal_at": None, "recycle_warned_at": None, "deleted_at": None, "deleted_by_id": None,
                "merged_into_id": None, "created_at": created,
            }
            count = self._share(self.contacts_left, self.customers_left, 1, 5)
            self.contacts_left -= count
            mine = []
            for k in range(count):
                person_name, pinyin, gender = person(rng)
                mobile = self._mobile()
                title, department, role = texts.POSTS[(k + rng.randrange(2)) % len(texts.POSTS)]
                birthday = (dt.date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
                            if rng.random() < 0.5 else None)
                office = f"{city.area_code}-{rng.randint(5, 8)}{rng.randrange(10**7):07d}" if rng.random() < 0.3 \
                    else None
                mine.append({
                    "customer_id": row, "name": person_name, "title": title, "department": department,
                    "mobile": mobile, "phone": office, "email": f"{pinyin}@{domain}" if rng.random() < 0.4 else None,
                    "wechat": None, "birthday": birthday,
                    "birthday_md": birthday.strftime("%m-%d") if birthday else None, "gender": gender,
                    "decision_role": role, "is_primary": k == 0, "remarks": None, "mobile_digits": mobile,
                    "created_by_id": owner.id, "deleted_at": None, "created_at": created, "updated_at": created,
                })
            contacts += mine
            row["search_text"] = normalise.customer_search_text(
                name, row["short_name"], phone, email, [(c["name"], c["mobile"], c["phone"]) for c in mine])
            count = self._share(self.followups_left, self.customers_left, 0, 20)
            self.followups_left -= count
            self.customers_left -= 1
            end = released or self.now
            start = max(created, self.now - dt.timedelta(seconds=YEAR_SECONDS))
            if end <= start:  # released to the pool over a year ago: its follow-ups came before that
                start = created
            span = (end - start).total_seconds()
            moments = sorted(start + dt.timedelta(seconds=int(rng.random() * span)) for _k in range(count)) \
                if span > 0 else []
            mine_followups = []
            for k, at in enumerate(moments):
                kind, content, outcome, next_step = self.texts[rng.randrange(len(self.texts))]
                contact = mine[rng.randrange(len(mine))] if mine else None
                mine_followups.append({
                    "customer_id": row, "contact_id": contact["mobile"] if contact else None, "user_id": owner.id,
                    "kind": kind, "happened_at": at, "content": content, "outcome": outcome,
                    "next_step": next_step, "next_followup_at": None, "next_done_at": None, "created_at": at,
                })
            for k, followup in enumerate(mine_followups[:-1]):
                if rng.random() < 0.5:
                    followup["next_followup_at"] = followup["happened_at"] + dt.timedelta(days=rng.randint(2, 14))
                    followup["next_done_at"] = mine_followups[k + 1]["happened_at"]
            if mine_followups and not in_pool and rng.random() < 0.5:
                plan = self.now + dt.timedelta(days=rng.randint(-10, 10), hours=rng.randint(0, 8))
                mine_followups[-1]["next_followup_at"] = max(plan, mine_followups[-1]["happened_at"]
                                                             + dt.timedelta(hours=1))
                row["next_followup_at"] = mine_followups[-1]["next_followup_at"]
            followups += mine_followups
            row["last_followup_at"] = moments[-1] if moments else None
            if status == self.deal_status:
                row["last_deal_at"] = moments[len(moments) // 2] if moments else created
            row["updated_at"] = max(d for d in (created, released, row["last_followup_at"]) if d is not None)
            customers.append(row)
            changes.append({"customer_id": row, "kind": "created", "from_user_id": None, "to_user_id": owner.id,
                            "actor_id": owner.id, "reason": None, "at": created})
            if in_pool:
                changes.append({"customer_id": row, "kind": "released", "from_user_id": owner.id,
                                "to_user_id": None, "actor_id": owner.id,
                                "reason": rng.choice(texts.RELEASE_REASONS), "at": released})
            if rng.random() < TAG_SHARE:
                tags.append({"customer_id": row, "tag_id": rng.choice(self.tag_ids)})
            if not in_pool and rng.random() < COLLABORATOR_SHARE and self.colleagues[owner.id]:
                shared.append({"customer_id": row, "user_id": rng.choice(self.colleagues[owner.id]),
                               "can_edit": rng.random() < 0.3, "added_at": created})
        self._write(customers, contacts, followups, changes, tags, shared)

    def _write(self, customers, contacts, followups, changes, tags, shared) -> None:
        ids = _insert_returning_ids(Customer, customers, Customer.credit_code, "credit_code")
        for row in contacts:
            row["customer_id"] = ids[row["customer_id"]["credit_code"]]
        contact_ids = _insert_returning_ids(Contact, contacts, Contact.mobile, "mobile")
        for rows in (followups, changes, tags, shared):
            for row in rows:
                row["customer_id"] = ids[row["customer_id"]["credit_code"]]
        for row in followups:
            if row["contact_id"] is not None:
                row["contact_id"] = contact_ids[row["contact_id"]]
        for model, rows in ((FollowUp, followups), (OwnerChange, changes), (CustomerTag, tags),
                            (CustomerCollaborator, shared)):
            _insert(model, rows)
        self.counts["customers"] += len(customers)
        self.counts["contacts"] += len(contacts)
        self.counts["followups"] += len(followups)


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), ROW_BATCH):
        db.session.execute(insert(model.__table__), rows[start:start + ROW_BATCH])


def _insert_returning_ids(model, rows: list[dict], key_column, key: str) -> dict:
    """Insert, then read back {unique key: id} among the ids the insert made."""
    before = db.session.scalar(select(func.max(model.id))) or 0
    _insert(model, rows)
    return dict(db.session.execute(select(key_column, model.id).where(model.id > before)).all())


def _audit_rows(rng: random.Random, now: dt.datetime, count: int) -> None:
    """Sign-ins and edits of users over the past year, for the audit log pages."""
    users = db.session.execute(select(User.id, User.display_name).order_by(User.id)).all()
    actions = ("user.signed_in", "user.updated", "user.created", "user.password_changed", "department.updated")
    start = now - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(count, 1)
    rows = []
    for i in range(count):
        uid, name = users[rng.randrange(len(users))]
        rows.append({"at": start + step * i, "actor_id": uid, "actor_name": name,
                     "action": actions[i % len(actions)], "entity_type": "users", "entity_id": uid,
                     "entity_label": name, "changes": None, "ip": "10.0.0.%d" % (i % 250)})
        if len(rows) == ROW_BATCH:
            _insert(AuditLog, rows)
            rows = []
    _insert(AuditLog, rows)
