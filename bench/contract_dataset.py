"""The benchmark's contracts and money: 2 contracts per customer (200,000 for 100,000 customers) signed over two
years by the customers' owners, with their lines, payment plans (about 400,000 instalments), 500,000 payments
matched to the instalments oldest due first (and a few hundred approved refunds), about 150,000 invoices, the
demo company's approval flows with the requests of the last half year (some waiting for the managers and the
director), and a finance manager to read receivables and aging as. Written with plain executemany inserts.

Rows hold what the services would write: amount = the lines' total by contracts.calc (tax included) = Σ
instalments (the fen left by rounding on the last); received = Σ confirmed payments = Σ allocations;
invoiced = Σ issued invoices; `is_effective` / `is_open` on each instalment; numbers from the contracts'
pattern by sign month with the counter rows advanced past them. Money is counted in fen (integers) while
building, so nothing drifts; most old instalments are paid and every aging bucket holds real debts."""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from operator import itemgetter
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, insert, select, true

from crm_server.approvals.models import (APPROVED, CANCELLED, DONE_APPROVED, DONE_REJECTED, MANAGER, NAMED_USER,
                                         PENDING, QUEUED, REJECTED, WAITING, ApprovalCondition, ApprovalEvent,
                                         ApprovalFlow, ApprovalRequest, ApprovalStep, ApprovalTask)
from crm_server.approvals.registry import DOCUMENT_TYPES
from crm_server.contacts.models import Contact
from crm_server.contracts.models import Contract, ContractLine, ContractTemplate
from crm_server.contracts.services import NUMBER_SERIES, number_pattern
from crm_server.core.models import Department, Role, User
from crm_server.core.numbering import TOKEN, NumberCounter, format_number, period_of
from crm_server.core.security import hash_password, new_session_token
from crm_server.customers.models import Customer
from crm_server.demo.contracts import (ACCOUNTS, APPROVE_COMMENTS, FLOW_DESCRIPTIONS, FLOWS, REJECT_COMMENTS,
                                       TERMINATION_REASONS, _holds)
from crm_server.extensions import db
from crm_server.opportunities.models import WON, Opportunity
from crm_server.payments.models import Instalment, Invoice, Payment, PaymentAllocation

PER_CUSTOMER = 2
BATCH = 5_000                  # contracts generated (and their rows written) at a time
ROW_BATCH = 10_000
HISTORY_DAYS = 730
PAYMENTS_PER_CONTRACT = 2.5    # 500,000 for 200,000 contracts
INVOICES_PER_CONTRACT = 0.75   # about 150,000
APPROVAL_DAYS = 180            # contracts submitted within this many days keep their approval requests
PASSWORD = "Bench12345"
# (status before money, weight): most are signed; a few drafts, some waiting for approval, a few rejected
OUTCOMES = (("signed", 9800), ("draft", 90), ("pending", 80), ("rejected", 30))
TYPES = (("sales", 70), ("service", 20), ("framework", 6), ("other", 4))
# payment plans: (terms, 账期 days, ((percent, days after the start) ...)), weight
PLANS = (
    (("货到验收合格后30天内一次付清", 30, ((100, 45),)), 40),
    (("预付30%，发货前付清余款", 30, ((30, 7), (70, 30))), 18),
    (("预付50%，验收合格后付50%", 90, ((50, 10), (50, 90))), 17),
    (("预付30%，验收合格后付60%，质保金10%一年后付清", 60, ((30, 7), (60, 60), (10, 365))), 20),
    (("预付30%，到货付40%，验收后付30%，账期120天", 120, ((30, 7), (40, 45), (30, 120))), 5),
    (("按季度付款，每季度初支付", 90, ((25, 0), (25, 91), (25, 182), (25, 273))), 8),
)
PROFILES = (("prompt", 65), ("late", 22), ("partial", 8), ("defaulting", 5))
METHODS = (("bank_transfer", 78), ("acceptance_bill", 10), ("cheque", 5), ("online", 4), ("cash", 3))
LINE_NAMES = ("立式加工中心 VMC850", "数控车床 CK6150", "五轴联动加工中心 UMC500", "机器人上下料工作站 RL-100",
              "龙门加工中心 GMC2016", "滚珠丝杠副 4010", "BT40 机械主轴总成", "年度维保服务", "安装调试服务",
              "产线管理系统 MES 授权", "柔性制造单元 FMS-4", "数控系统模块 M80")
PROJECTS = ("设备采购合同", "产线改造合同", "年度维保服务合同", "备件框架协议", "数控机床采购合同", "自动化改造合同")


def _weighted(pairs):
    values = [v for v, _w in pairs]
    cum = list(itertools.accumulate(w for _v, w in pairs))
    return values, cum


def _draw(rng: random.Random, table) -> object:
    values, cum = table
    return values[bisect.bisect_left(cum, rng.random() * cum[-1])]


# random.Random's randint / choice / randrange go through several Python calls each; the build draws millions
def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _one(rng: random.Random, values):
    return values[int(rng.random() * len(values))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def add_contracts(rng: random.Random, now: dt.datetime, customers: int, progress=print) -> dict[str, int]:
    """Write PER_CUSTOMER × `customers` contracts with their plans, payments, invoices and approvals; returns the
    row counts and `finance_id`, the finance manager the receivables pages are measured as."""
    rng = random.Random(rng.random())  # the contracts' own stream: the rest of the data set does not move
    builder = _Builder(rng, now)
    total = PER_CUSTOMER * customers
    made = 0
    while made < total:
        size = min(BATCH, total - made)
        builder.batch(size)
        made += size
        if made % 50_000 == 0 or made == total:
            progress(f"  {made:,} contracts, {builder.counts['payment_instalments']:,} instalments, "
                     f"{builder.counts['payments']:,} payments, {builder.counts['invoices']:,} invoices")
    builder.finish()
    return {**builder.counts, "finance_id": builder.finance_id}


class _Builder:
    def __init__(self, rng: random.Random, now: dt.datetime):
        self.rng = rng
        self.now = now
        self.today = (now + dt.timedelta(hours=8)).date()  # the site's day (Asia/Shanghai)
        self.plans, self.types = _weighted(PLANS), _weighted(TYPES)
        self.profiles, self.methods = _weighted(PROFILES), _weighted(METHODS)
        self.outcomes = _weighted(OUTCOMES)
        users = db.session.execute(select(User.id, User.manager_id, User.is_active, Role.code, User.title)
                                   .join(Role, Role.id == User.role_id).order_by(User.id)).all()
        self.managers = {u.id: u.manager_id for u in users}
        self.active = {u.id for u in users if u.is_active}
        self.director_id = next(u.id for u in users if u.title == "销售总监")
        self.finance_id = self._finance_manager()
        self.flows = self._flows()
        self.contract_flows = [(f, [(c.fact, c.operator, c.value) for c in f.conditions])
                               for f in sorted(self.flows.values(), key=lambda f: (f.priority, f.id))
                               if f.document_type == "contract"]
        self.steps = {f.id: [(s.approver_kind, s.user_id, s.name) for s in f.steps] for f in self.flows.values()}
        self.resolved: dict[tuple[int, int], list[int] | None] = {}
        self.days: dict[dt.date, dt.datetime] = {}
        self.periods: dict[dt.date, tuple] = {}
        self.ymd: dict[dt.date, str] = {}
        self.owned = db.session.execute(select(Customer.id, Customer.owner_id, Customer.name, Customer.short_name,
                                               Customer.credit_rating)
                                        .where(Customer.owner_id.is_not(None)).order_by(Customer.id)).all()
        self.contacts = dict(db.session.execute(select(Contact.customer_id, func.min(Contact.id))
                                                .group_by(Contact.customer_id)).all())
        self.won: dict[int, list[int]] = {}
        for opportunity_id, customer_id in db.session.execute(
                select(Opportunity.id, Opportunity.customer_id).where(Opportunity.status == WON)
                .order_by(Opportunity.id)):
            self.won.setdefault(customer_id, []).append(opportunity_id)
        self.template_id = db.session.scalar(select(ContractTemplate.id).where(ContractTemplate.is_active == true())
                                             .order_by(ContractTemplate.is_default.desc(), ContractTemplate.id)
                                             .limit(1))
        self.pattern = number_pattern()
        self.numbers: dict[str, int] = dict(db.session.execute(
            select(NumberCounter.period, NumberCounter.value).where(NumberCounter.series == NUMBER_SERIES)).all())
        self.invoice_seq = 10_000_000
        self.contract_title = DOCUMENT_TYPES["contract"].title if "contract" in DOCUMENT_TYPES else None
        self.refund_title = DOCUMENT_TYPES["payment_refund"].title if "payment_refund" in DOCUMENT_TYPES else None
        self.generated = {"contracts": 0, "payments": 0, "invoices": 0}  # steer the shares to their targets
        self.counts = {"contracts": 0, "contract_lines": 0, "payment_instalments": 0, "payments": 0,
                       "payment_allocations": 0, "invoices": 0, "approval_requests": 0, "approval_tasks": 0,
                       "approval_events": 0}

    # --- reference rows -------------------------------------------------------------------------------------
    def _finance_manager(self) -> int:
        """The finance department at the head office with its manager (finance: every contract in scope)."""
        director = db.session.get(User, self.director_id)
        department = Department(name="财务部", branch_id=director.department.branch_id, sort_order=99)
        role = db.session.scalar(select(Role).where(Role.code == "finance"))
        user = User(username="finance01", display_name="钱会计", title="财务经理", role=role, department=department,
                    password_hash=hash_password(PASSWORD), session_token=new_session_token(), email=None)
        db.session.add_all([department, user])
        db.session.flush()
        self.active.add(user.id)
        self.managers[user.id] = None
        return user.id

    def _flows(self) -> dict[str, ApprovalFlow]:
        named = {"director": self.director_id, "finance": self.finance_id}
        flows = {}
        for name, document_type, priority, conditions, steps in FLOWS:
            flow = ApprovalFlow(document_type=document_type, name=name, priority=priority, is_active=True,
                                description=FLOW_DESCRIPTIONS[name])
            flow.conditions = [ApprovalCondition(fact=f, operator=o, value=v) for f, o, v in conditions]
            flow.steps = [ApprovalStep(position=n, name=step_name, approver_kind=kind,
                                       user_id=named[who] if who else None)
                          for n, (step_name, kind, who) in enumerate(steps, start=1)]
            db.session.add(flow)
            flows[name] = flow
        db.session.flush()
        return flows

    def _contract_flow(self, amount: Decimal, payment_days: int, rating: str | None) -> ApprovalFlow | None:
        """The first contract flow by priority whose conditions all hold (as approvals.matching_flow)."""
        facts = {"amount": amount, "payment_days": payment_days, "customer_credit_rating": rating}
        for flow, conditions in self.contract_flows:
            if all(_holds(facts.get(fact), operator, value, fact) for fact, operator, value in conditions):
                return flow
        return None

    def _approvers(self, flow: ApprovalFlow, owner_id: int) -> list[int] | None:
        """One approver per step (the manager up the line, the named user), or None when a step finds nobody."""
        key = (flow.id, owner_id)
        if key not in self.resolved:
            self.resolved[key] = self._resolve(self.steps[flow.id], owner_id)
        return self.resolved[key]

    def _resolve(self, steps, owner_id: int) -> list[int] | None:
        found = []
        for kind, user_id, _name in steps:
            if kind == MANAGER:
                person, seen = self.managers.get(owner_id), {owner_id}
                while person is not None and (person not in self.active or person in seen):
                    seen.add(person)
                    person = self.managers.get(person)
            elif kind == NAMED_USER:
                person = user_id if user_id in self.active and user_id != owner_id else None
            else:
                person = None
            if person is None:
                return None
            found.append(person)
        return found

    def _moment(self, on: dt.date) -> dt.datetime:
        """A moment in office hours (09:00-18:00 in Shanghai) of a day, as naive UTC, not after now."""
        base = self.days.get(on)
        if base is None:
            base = self.days[on] = dt.datetime.combine(on, dt.time(1, 0))
        return min(base + dt.timedelta(seconds=int(self.rng.random() * 32400)), self.now)

    def _ymd(self, on: dt.date) -> str:
        text = self.ymd.get(on)
        if text is None:
            text = self.ymd[on] = on.strftime("%Y%m%d")
        return text

    def _number(self, on: dt.date) -> str:
        """format_number(pattern, on, next value of the period), with what the day contributes worked out once
        per day (the text around {seq} has no {seq}, so format_number fills it alone)."""
        known = self.periods.get(on)
        if known is None:
            seq = next(m for m in TOKEN.finditer(self.pattern) if m.group(1) == "seq")
            known = self.periods[on] = (period_of(self.pattern, on), format_number(self.pattern[:seq.start()], on, 0),
                                        int(seq.group(2) or 1), format_number(self.pattern[seq.end():], on, 0))
        period, head, width, tail = known
        value = self.numbers[period] = self.numbers.get(period, 0) + 1
        return f"{head}{str(value).zfill(width)}{tail}"

    # --- one batch --------------------------------------------------------------------------------------------
    def batch(self, size: int) -> None:
        contracts, extras = [], []
        for _n in range(size):
            row, extra = self._contract()
            contracts.append(row)
            extras.append(extra)
        ids = _insert_ids(Contract, contracts)
        lines, instalments, plan_of = [], [], []
        for contract_id, extra in zip(ids, extras):
            for line in extra["lines"]:
                line["contract_id"] = contract_id
                lines.append(line)
            for instalment in extra["instalments"]:
                instalment["contract_id"] = contract_id
                instalments.append(instalment)
                plan_of.append(instalment)
        _insert(ContractLine, lines)
        instalment_ids = _insert_ids(Instalment, instalments)
        for instalment_id, instalment in zip(instalment_ids, plan_of):
            instalment["_id"] = instalment_id
        payments, allocations_of, invoices = [], [], []
        for contract_id, extra in zip(ids, extras):
            for payment, allocations in extra["payments"]:
                payment["contract_id"] = contract_id
                payments.append(payment)
                allocations_of.append(allocations)
            for invoice in extra["invoices"]:
                invoice["contract_id"] = contract_id
                invoices.append(invoice)
        payment_ids = _insert_ids(Payment, payments)
        allocations = []
        for payment_id, parts in zip(payment_ids, allocations_of):
            for instalment, fen in parts:
                allocations.append({"payment_id": payment_id, "instalment_id": instalment["_id"],
                                    "amount": _yuan(fen)})
        for instalment in instalments:
            del instalment["_id"]
        _insert(PaymentAllocation, allocations)
        _insert(Invoice, invoices)
        payment_id_of = {id(payment): payment_id for payment_id, payment in zip(payment_ids, payments)
                         if payment["amount"] < 0}
        requests = []
        for contract_id, extra in zip(ids, extras):
            if extra["request"] is not None:
                requests.append({**extra["request"], "document_id": contract_id})
            if extra["refund_request"] is not None:
                requests.append({**extra["refund_request"], "document_id": payment_id_of[id(extra["refund"][0])]})
        self._write_requests(requests)
        self.counts["contracts"] += len(contracts)
        self.counts["contract_lines"] += len(lines)
        self.counts["payment_instalments"] += len(instalments)
        self.counts["payments"] += len(payments)
        self.counts["payment_allocations"] += len(allocations)
        self.counts["invoices"] += len(invoices)

    def _contract(self) -> tuple[dict, dict]:
        rng = self.rng
        customer_id, owner_id, name, short, rating = self.owned[_below(rng, len(self.owned))]
        kind = _draw(rng, self.types)
        outcome = _draw(rng, self.outcomes)
        # lines: a price before tax, a quantity and a discount each; the amount by contracts.calc in fen
        lines, net_total, tax_total = [], 0, 0
        rate = 6 if kind == "service" else 13
        for order in range(1, _one(rng, (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)) + 1):
            price = int(rng.lognormvariate(11.2, 1.0)) * 100
            quantity = _one(rng, (1, 1, 1, 2, 2, 3, 5, 10))
            discount = _one(rng, (0, 0, 0, 3, 5, 8, 10))
            net = _half_up(quantity * price * (100 - discount), 100)
            net_total += net
            tax_total += _half_up(net * rate, 100)
            lines.append({"product_id": None, "description": _one(rng, LINE_NAMES), "specification": None,
                          "unit": "台", "quantity": Decimal(quantity), "unit_price": _yuan(price),
                          "discount_percent": Decimal(discount), "tax_rate": Decimal(rate), "amount": _yuan(net),
                          "sort_order": order})
        amount = net_total + tax_total
        terms, payment_days, parts = _draw(rng, self.plans)
        if outcome == "signed":
            sign = self.today - dt.timedelta(days=int(HISTORY_DAYS * rng.random() ** 0.9))
            created_on = sign - dt.timedelta(days=_int(rng, 1, 6))
            start = sign + dt.timedelta(days=_int(rng, 0, 10))
        else:
            sign = None
            created_on = self.today - dt.timedelta(days=_int(rng, 0, 12 if outcome == "pending" else 40))
            start = created_on + dt.timedelta(days=_int(rng, 5, 20))
        months = 12 if kind in ("service", "framework") else _one(rng, (3, 4, 6, 9, 12))
        end = _add_months(start, months) - dt.timedelta(days=1)
        created_at = self._moment(created_on)
        submitted_at = None if outcome == "draft" else self._moment(min(created_on + dt.timedelta(days=1),
                                                                        self.today))
        submitted_at = max(submitted_at, created_at) if submitted_at else None
        flow = self._contract_flow(_yuan(amount), payment_days, rating) if outcome != "draft" else None
        approvers = self._approvers(flow, owner_id) if flow is not None else None
        if outcome in ("pending", "rejected") and approvers is None:
            outcome = "draft"
            submitted_at = None
        status = {"signed": "active", "draft": "draft", "pending": "pending", "rejected": "rejected"}[outcome]
        terminated_on = None
        if outcome == "signed" and (self.today - sign).days > 90 and rng.random() < 0.03:
            terminated_on = sign + dt.timedelta(days=_int(rng, 20, 80))
        opportunity_id = None
        won = self.won.get(customer_id)
        if won and rng.random() < 0.6:
            opportunity_id = won.pop()
        title = f"{short or name[:4]}{(sign or created_on).year}年{_one(rng, PROJECTS)}"
        number = self._number(sign or created_on)
        # the plan: percent of the amount in fen, the rounding left on the last instalment
        instalments, left = [], amount
        for sequence, (percent, days) in enumerate(parts, start=1):
            fen = left if sequence == len(parts) else _half_up(amount * percent, 100)
            left -= fen
            instalments.append({"customer_id": customer_id, "owner_id": owner_id, "sequence": sequence,
                                "due_date": start + dt.timedelta(days=days), "_amount": fen, "_received": 0,
                                "remarks": None, "overdue_reminded_at": None})
        payments = self._payments(instalments, sign, terminated_on) if outcome == "signed" else []
        received = sum(p["_fen"] for p, _a in payments)
        refund = None
        if terminated_on is not None and received > 0 and rng.random() < 0.25:
            refund = self._refund(instalments, received // 2 // 100 * 100 or received,
                                  min(terminated_on + dt.timedelta(days=_int(rng, 5, 25)), self.today))
            payments.append(refund)
            received += refund[0]["_fen"]
        approved_at = closed_at = None
        request = None
        keep = submitted_at is not None and (submitted_at >= self.now - dt.timedelta(days=APPROVAL_DAYS)
                                             or outcome != "signed")
        if flow is not None and approvers is not None and keep:
            document = SimpleNamespace(number=number, title=title, revision_of_id=None,
                                       customer=SimpleNamespace(name=name))
            deadline = self._moment(sign) if sign else None
            request = self._request(flow, approvers, self._title("contract", document, f"{number} {title}"),
                                    _yuan(amount), owner_id, submitted_at,
                                    {"signed": APPROVED, "pending": PENDING, "rejected": REJECTED}[outcome],
                                    deadline)
        if outcome == "signed":
            # approved at the last step (a flow whose request is older than the kept half year: a day later)
            approved_at = request["decided_at"] if request is not None else \
                submitted_at + dt.timedelta(hours=_int(rng, 1, 30)) if flow is not None else submitted_at
            approved_at = min(approved_at, self.now)
            if terminated_on is not None:
                status, closed_at = "terminated", self._moment(terminated_on)
            elif end < self.today:
                status = "executed" if received >= amount else "expired"
                closed_at = self._moment(end + dt.timedelta(days=1))
        effective = status in ("active", "executed", "expired")
        for instalment in instalments:
            instalment["amount"] = _yuan(instalment.pop("_amount"))
            instalment["received_amount"] = _yuan(instalment.pop("_received"))
            instalment["is_open"] = instalment["amount"] > instalment["received_amount"]
            instalment["is_effective"] = effective
        invoices = self._invoices(payments, customer_id, owner_id, name, rate) if outcome == "signed" else []
        for payment, _parts in payments:
            payment.update(customer_id=customer_id, owner_id=owner_id)
            payment["amount"] = _yuan(payment.pop("_fen"))
        refund_request = None
        if refund is not None:
            refund_flow = self.flows["退款审批"]
            refund_approvers = self._approvers(refund_flow, owner_id)
            if refund_approvers is not None:
                payment = refund[0]
                document = SimpleNamespace(amount=payment["amount"], contract=SimpleNamespace(number=number))
                at = payment["created_at"]
                refund_request = self._request(refund_flow, refund_approvers,
                                               self._title("payment_refund", document, f"退款 {number}"),
                                               -payment["amount"], owner_id, at - dt.timedelta(days=2), APPROVED, at)
        updated_at = max(m for m in (created_at, submitted_at, approved_at, closed_at, request and
                                     request["decided_at"]) if m is not None)
        row = {
            "number": number, "revision": 0, "revision_of_id": None, "renewed_from_id": None,
            "customer_id": customer_id, "contact_id": self.contacts.get(customer_id),
            "opportunity_id": opportunity_id, "quote_id": None, "template_id": self.template_id, "title": title,
            "contract_type": kind, "amount": _yuan(amount), "overall_discount_percent": Decimal(0),
            "sign_date": sign, "start_date": start, "end_date": end, "payment_terms": terms,
            "payment_days": payment_days, "owner_id": owner_id, "status": status, "remarks": None,
            "termination_reason": _one(rng, TERMINATION_REASONS) if status == "terminated" else None,
            "received_amount": _yuan(received),
            "invoiced_amount": sum((i["amount"] for i in invoices if i["status"] == "issued"), Decimal("0.00")),
            "submitted_at": submitted_at, "approved_at": approved_at, "closed_at": closed_at,
            "renewal_reminded_at": None, "created_by_id": owner_id, "updated_by_id": owner_id, "deleted_at": None,
            "created_at": created_at, "updated_at": updated_at}
        extra = {"lines": lines, "instalments": instalments, "payments": payments, "invoices": invoices,
                 "request": request, "refund": refund, "refund_request": refund_request}
        self.generated["contracts"] += 1
        return row, extra

    def _title(self, document_type: str, document, default: str) -> str:
        """The title the document type gives its requests (as approvals.submit stores it)."""
        kind = DOCUMENT_TYPES.get(document_type)
        return kind.title(document) if kind is not None else default

    def _payments(self, instalments: list[dict], sign: dt.date, terminated_on: dt.date | None) -> list:
        """Money received by how the customer pays, split now and then into several transfers (so that the data
        set has PAYMENTS_PER_CONTRACT on average), allocated to the open instalments oldest due first."""
        rng = self.rng
        profile = _draw(rng, self.profiles)
        lateness = _int(rng, 10, 200)
        last_day = min(self.today, terminated_on or self.today)
        # steer the split share so that the payments land on their target
        wanted = PAYMENTS_PER_CONTRACT * (self.generated["contracts"] + 1) - self.generated["payments"]
        split = min(0.95, max(0.0, 0.3 + 0.02 * wanted))
        events = []
        for k, instalment in enumerate(instalments):
            if profile == "defaulting" and k >= 1:
                break
            due, fen = instalment["due_date"], instalment["_amount"]
            if profile == "late":
                first = due + dt.timedelta(days=max(1, lateness + _int(rng, -10, 10)))
            elif profile == "partial":
                first = due + dt.timedelta(days=_int(rng, 0, 25))
            else:
                first = due + dt.timedelta(days=_int(rng, -6, 12))
            pieces = 1 + (rng.random() < split) + (rng.random() < split / 3)
            if profile == "partial":
                pieces = max(pieces, 2)
            shares, left = [], fen
            for p in range(pieces - 1):
                share = _half_up(left * _one(rng, (30, 40, 50, 60)), 100)
                shares.append(share)
                left -= share
            shares.append(left)
            on = first
            for p, share in enumerate(shares):
                if p:
                    on += dt.timedelta(days=_int(rng, 15, 100) if profile == "partial" else _int(rng, 3, 30))
                on = max(on, sign)
                if on <= last_day and share > 0:
                    events.append((on, share))
        events.sort(key=lambda e: e[0])
        result = []
        for on, fen in events:
            result.append(self._payment(instalments, on, fen))
        self.generated["payments"] += len(result)
        return result

    def _payment(self, instalments: list[dict], on: dt.date, fen: int) -> tuple[dict, list]:
        rng = self.rng
        parts, left = [], fen
        for instalment in instalments:  # in due order
            open_fen = instalment["_amount"] - instalment["_received"]
            if open_fen <= 0:
                continue
            take = min(open_fen, left)
            instalment["_received"] += take
            parts.append((instalment, take))
            left -= take
            if not left:
                break
        method = _draw(rng, self.methods)
        account, bank = ACCOUNTS[_below(rng, 2)]
        reference = None if method == "cash" else f"{bank}{self._ymd(on)}{_below(rng, 10 ** 8):08d}"
        at = self._moment(min(on + dt.timedelta(days=_one(rng, (0, 0, 1, 2))), self.today))
        payment = {"received_on": on, "_fen": fen, "method": method, "account": "现金" if method == "cash" else account,
                   "reference": reference, "status": "confirmed", "unallocated_amount": _yuan(left),
                   "remarks": None, "recorded_by_id": self.finance_id, "created_at": at, "updated_at": at}
        return payment, parts

    def _refund(self, instalments: list[dict], fen: int, on: dt.date) -> tuple[dict, list]:
        """A refund of part of a terminated contract's money, taken back from the instalments newest due first."""
        parts, left = [], fen
        for instalment in reversed(instalments):
            take = min(instalment["_received"], left)
            if take <= 0:
                continue
            instalment["_received"] -= take
            parts.append((instalment, -take))
            left -= take
        at = self._moment(on)
        payment = {"received_on": on, "_fen": -(fen - left), "method": "bank_transfer", "account": ACCOUNTS[0][0],
                   "reference": f"CMB{self._ymd(on)}{_below(self.rng, 10 ** 8):08d}", "status": "confirmed",
                   "unallocated_amount": Decimal("0.00"), "remarks": "合同解除，按协议退还部分预付款",
                   "recorded_by_id": self.finance_id, "created_at": at, "updated_at": at}
        return payment, parts

    def _invoices(self, payments: list, customer_id: int, owner_id: int, name: str, rate: int) -> list[dict]:
        """Invoices for money received (a share steered to INVOICES_PER_CONTRACT), 专票 mostly, a few voided."""
        rng = self.rng
        wanted = INVOICES_PER_CONTRACT * (self.generated["contracts"] + 1) - self.generated["invoices"]
        share = min(1.0, max(0.0, 0.3 + 0.02 * wanted))
        kind = "special" if rng.random() < 0.75 else "normal"
        rows = []
        for payment, _parts in payments:
            if payment["_fen"] <= 0 or rng.random() >= share:
                continue
            on = min(payment["received_on"] + dt.timedelta(days=_int(rng, 0, 10)), self.today)
            voided = rng.random() < 0.02
            for status in (("voided", "issued") if voided else ("issued",)):
                self.invoice_seq += _int(rng, 1, 9)
                at = self._moment(on)
                rows.append({"customer_id": customer_id, "owner_id": owner_id,
                             "number": f"{on.year % 100:02d}3120000{self.invoice_seq:011d}", "invoice_type": kind,
                             "amount": _yuan(payment["_fen"]), "tax_rate": Decimal(rate), "issued_on": on,
                             "status": status, "title": name, "remarks": None, "recorded_by_id": self.finance_id,
                             "voided_at": at if status == "voided" else None, "created_at": at, "updated_at": at})
        self.generated["invoices"] += len(rows)
        return rows

    # --- approvals --------------------------------------------------------------------------------------------
    def _write_requests(self, requests: list[dict]) -> None:
        if not requests:
            return
        request_ids = _insert_ids(ApprovalRequest, [{k: v for k, v in r.items() if not k.startswith("_")}
                                                    for r in requests])
        tasks, events = [], []
        for request_id, request in zip(request_ids, requests):
            tasks += [{**task, "request_id": request_id} for task in request["_tasks"]]
            events += [{**event, "request_id": request_id} for event in request["_events"]]
        _insert(ApprovalTask, tasks)
        _insert(ApprovalEvent, events)
        self.counts["approval_requests"] += len(requests)
        self.counts["approval_tasks"] += len(tasks)
        self.counts["approval_events"] += len(events)

    def _request(self, flow: ApprovalFlow, approvers: list[int], title: str, amount: Decimal, owner_id: int,
                 submitted: dt.datetime, outcome: str, deadline: dt.datetime | None) -> dict:
        """A request as approvals.submit and decide leave it (its document id is set once that is written):
        every step's approver resolved at submission (later steps queued), run to approved, to rejected at the
        first step (the queued tasks cancelled), or to pending at a step (its task waiting)."""
        rng = self.rng
        steps = self.steps[flow.id]
        stop = 1 if outcome == REJECTED else _int(rng, 1, len(steps)) if outcome == PENDING else None
        tasks = [{"position": n, "step_name": name, "approver_id": person,
                  "status": WAITING if n == 1 else QUEUED, "created_at": submitted, "decided_at": None}
                 for n, ((_kind, _user, name), person) in enumerate(zip(steps, approvers), start=1)]
        events = [{"position": None, "step_name": None, "actor_id": owner_id, "action": "submitted",
                   "comment": None, "at": submitted}]
        moment, position, status, decided_at = submitted, 1, PENDING, None
        for n, task in enumerate(tasks, start=1):
            position = n
            task["status"], task["created_at"] = WAITING, moment
            if outcome == PENDING and n == stop:
                break
            if deadline is not None and deadline > moment:
                moment = moment + (deadline - moment) * (rng.uniform(0.3, 0.8) if n < len(tasks) else 1)
            else:
                moment = min(moment + dt.timedelta(hours=_int(rng, 1, 30)), self.now)
            rejecting = outcome == REJECTED and n == stop
            task["status"], task["decided_at"] = (DONE_REJECTED if rejecting else DONE_APPROVED), moment
            events.append({"position": n, "step_name": task["step_name"], "actor_id": task["approver_id"],
                           "action": "rejected" if rejecting else "approved",
                           "comment": _one(rng, REJECT_COMMENTS) if rejecting else _one(rng, APPROVE_COMMENTS),
                           "at": moment})
            if rejecting:
                status, decided_at = REJECTED, moment
                for later in tasks[n:]:
                    later["status"], later["decided_at"] = CANCELLED, moment
                break
        else:
            status, decided_at = APPROVED, moment
        return {"document_type": flow.document_type, "document_id": None, "flow_id": flow.id,
                "flow_name": flow.name, "step_count": len(tasks), "current_position": position, "status": status,
                "title": title[:200], "amount": amount, "owner_id": owner_id, "submitted_by_id": owner_id,
                "submitted_at": submitted, "decided_at": decided_at, "_tasks": tasks, "_events": events}

    def finish(self) -> None:
        """The counter rows: a contract created after the benchmark's gets the next number of its month."""
        existing = set(db.session.scalars(select(NumberCounter.period).where(NumberCounter.series == NUMBER_SERIES)))
        for period, value in sorted(self.numbers.items()):
            if period in existing:
                db.session.get(NumberCounter, (NUMBER_SERIES, period)).value = value
            else:
                db.session.add(NumberCounter(series=NUMBER_SERIES, period=period, value=value))
        db.session.flush()


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _insert(model, rows: list[dict]) -> None:
    """executemany of the INSERT SQLAlchemy compiles for the engine, with each column's own bind processing (the
    Money, date and UTC types), on the session's connection and transaction: the same rows as
    session.execute(insert(table), rows) writes, without its per-row bookkeeping (a third of the build time)."""
    if not rows:
        return
    table = model.__table__
    keys = list(rows[0])
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    processors = [(n, process) for n, process in enumerate(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names) if process]
    values = itemgetter(*names)
    params = []
    for row in rows:
        params.append(value := list(values(row)))
        for n, process in processors:
            value[n] = process(value[n])
    if not compiled.positional:
        params = [dict(zip(names, value)) for value in params]
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(params), ROW_BATCH):
            cursor.executemany(compiled.string, params[start:start + ROW_BATCH])
    finally:
        cursor.close()


def _insert_ids(model, rows: list[dict]) -> list[int]:
    """Insert, then the new ids in the order of the rows (one session writes alone)."""
    table = model.__table__
    connection = db.session.connection()
    before = connection.execute(select(func.max(table.c.id))).scalar() or 0
    _insert(model, rows)
    return list(connection.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id)).scalars())
