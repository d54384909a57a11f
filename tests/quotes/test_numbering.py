"""Quote numbers: the pattern, the counter per period, and no duplicates under concurrent creation."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from crm_server.core.errors import DomainError
from crm_server.core.models import User
from crm_server.core.numbering import NumberCounter, check_pattern, format_number, next_number, period_of
from crm_server.extensions import db
from crm_server.quotes import services
from crm_server.quotes.models import Quote
from tests import factories

from .helpers import make_product, make_quote

DAY = dt.date(2026, 11, 25)


def test_format_and_period():
    assert format_number("BJ{yyyy}{mm}{dd}-{seq:04}", DAY, 7) == "BJ20261125-0007"
    assert format_number("Q{yy}{mm}-{seq}", DAY, 12345) == "Q2611-12345"
    assert period_of("BJ{yyyy}{mm}{dd}-{seq:04}", DAY) == "20261125"
    assert period_of("Q{yyyy}{mm}-{seq:03}", DAY) == "202611"
    assert period_of("Q{yy}-{seq:03}", DAY) == "2026"
    assert period_of("报价-{seq:05}", DAY) == "all"


@pytest.mark.parametrize("pattern", ["", "BJ{yyyy}", "BJ{seq}{seq}", "BJ {seq}", "BJ{hh}{seq}", "X" * 40 + "{seq}"])
def test_bad_patterns_refused(pattern):
    with pytest.raises(DomainError):
        check_pattern(pattern)


def test_counter_restarts_each_period(app):
    pattern = "BJ{yyyy}{mm}{dd}-{seq:03}"
    assert next_number("quote", pattern, DAY) == "BJ20261125-001"
    assert next_number("quote", pattern, DAY) == "BJ20261125-002"
    assert next_number("quote", pattern, DAY + dt.timedelta(days=1)) == "BJ20261126-001"
    db.session.rollback()  # a rolled-back transaction gives its numbers back
    assert next_number("quote", pattern, DAY) == "BJ20261125-001"


def test_quote_numbers_follow_the_site_pattern(app, admin):
    services.set_number_pattern(admin, "HT{yyyy}-{seq:05}")
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    first = make_quote(owner, customer, quote_date=DAY, valid_until=DAY + dt.timedelta(days=30))
    second = make_quote(owner, customer, quote_date=DAY, valid_until=DAY + dt.timedelta(days=30))
    assert (first.number, second.number) == ("HT2026-00001", "HT2026-00002")


def test_a_used_number_is_skipped(app, admin):
    """After the pattern is changed back, numbers already given are not given again."""
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    first = make_quote(owner, customer, quote_date=DAY, valid_until=DAY)
    db.session.execute(NumberCounter.__table__.delete())  # as if the counter had been reset
    db.session.commit()
    second = make_quote(owner, customer, quote_date=DAY, valid_until=DAY)
    assert first.number == "BJ20261125-0001" and second.number == "BJ20261125-0002"


def test_concurrent_creation_gives_no_duplicates(app):
    """Several threads, each with its own app context and database session, create quotes at the same moment
    (the counter row does not exist yet, so they also race to create it): every creation is kept and every
    number is different and consecutive."""
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    product = make_product()
    db.session.commit()
    owner_id, customer_id, product_id = owner.id, customer.id, product.id
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
                    quote = services.create_quote(actor, customer_id=customer_id, title="并发报价",
                                                  quote_date=DAY, valid_until=DAY,
                                                  lines=[services.LineInput(product_id=product_id, quantity="1")])
                    db.session.commit()
                    numbers.append(quote.number)
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
    assert len(numbers) == total
    assert sorted(numbers) == [f"BJ20261125-{n:04d}" for n in range(1, total + 1)]
    db.session.commit()  # end this session's snapshot (MariaDB reads repeatably within a transaction)
    assert db.session.scalar(select(func.count(Quote.id))) == total
    assert db.session.scalar(select(func.count(func.distinct(Quote.number)))) == total
    assert db.session.scalar(select(NumberCounter.value)) == total
