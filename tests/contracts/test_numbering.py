"""Contract numbers: unique and consecutive when several users create contracts at the same moment."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from sqlalchemy import func, select

from crm_server.contracts import services
from crm_server.contracts.models import Contract
from crm_server.core.models import User
from crm_server.core.numbering import NumberCounter
from crm_server.extensions import db
from tests import factories

from .helpers import make_contract

DAY = dt.date(2026, 11, 25)


def test_a_used_number_is_skipped(app):
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    first = make_contract(owner, customer, sign_date=DAY)
    db.session.execute(NumberCounter.__table__.delete())  # as if the counter had been reset
    db.session.commit()
    second = make_contract(owner, customer, sign_date=DAY)
    assert (first.number, second.number) == ("HT202611-0001", "HT202611-0002")


def test_concurrent_creation_gives_no_duplicates(app):
    """Threads, each with its own app context and session, create contracts at the same moment (the counter row
    does not exist yet, so they also race to create it): every creation is kept, every number is different."""
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    db.session.commit()
    owner_id, customer_id = owner.id, customer.id
    threads_count, per_thread = 6, 3
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []
    numbers: list[str] = []

    def work():
        try:
            with app.app_context():
                actor = db.session.get(User, owner_id)
                barrier.wait(timeout=30)
                for _i in range(per_thread):
                    contract = services.create_contract(actor, customer_id=customer_id, title="并发合同",
                                                        sign_date=DAY, start_date=DAY, end_date=DAY,
                                                        amount=Decimal("1.00"))
                    db.session.commit()
                    numbers.append(contract.number)
                db.session.remove()
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    total = threads_count * per_thread
    assert sorted(numbers) == [f"HT202611-{n:04d}" for n in range(1, total + 1)]
    db.session.commit()  # end this session's snapshot (MariaDB reads repeatably within a transaction)
    assert db.session.scalar(select(func.count(Contract.id))) == total
    assert db.session.scalar(select(func.count(func.distinct(Contract.number)))) == total
