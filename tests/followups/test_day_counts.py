"""followup_day_counts: the counts per user and site day follow every follow-up written (logged, edited, moved to
a colleague, deleted), count by the site's calendar day, stay right under concurrent logging, are rebuilt from
the follow-ups, and are filled by the migration that creates them."""
from __future__ import annotations

import datetime as dt
import threading

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select

from crm_server.core.models import User
from crm_server.core.types import utcnow
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.followups import daycounts, services
from crm_server.followups.models import FollowUp, FollowUpDayCount
from crm_server.paths import MIGRATIONS_DIR
from tests import factories

H = dt.timedelta(hours=1)


def stored() -> dict:
    """{(user id, day): (calls, visits, other)} as the table holds them, zero rows left out."""
    db.session.flush()
    return {(r.user_id, r.day): (r.calls, r.visits, r.other)
            for r in db.session.scalars(select(FollowUpDayCount).execution_options(populate_existing=True))
            if r.calls or r.visits or r.other}


def recounted() -> dict:
    db.session.flush()
    return {key: tuple(figures) for key, figures in daycounts.recount().items()}


def log(actor, customer, happened_at, kind="call"):
    return services.log_followup(actor, customer, kind=kind, happened_at=happened_at, content="电话沟通")


def whole(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0)


def test_log_edit_move_and_delete_keep_the_counts(app):
    owner = factories.make_user("sales_manager")
    colleague = factories.make_user("sales")
    customer = factories.make_customer(owner)
    now = whole(utcnow())
    first = log(owner, customer, now - 30 * H)
    second = log(owner, customer, now - 5 * H, kind="visit")
    third = log(owner, customer, now - 4 * H, kind="wechat")
    assert stored() == recounted()
    assert sum(sum(v) for v in stored().values()) == 3

    services.update_followup(owner, second, kind="meeting", happened_at=second.happened_at, content="会议")
    assert stored() == recounted()
    services.update_followup(owner, first, kind="call", happened_at=first.happened_at - 48 * H, content="电话")
    assert stored() == recounted()

    # the author changes (as the lead conversion hands follow-ups on), also through the relationship
    third.user_id = colleague.id
    assert stored() == recounted()
    second.user = colleague
    assert stored() == recounted()
    assert {key[0] for key in stored()} == {owner.id, colleague.id}

    # an attribute changed while not loaded (no old value in its history) still moves the right count
    db.session.commit()
    first = db.session.get(FollowUp, first.id)
    db.session.expire(first)
    first.kind = "visit"
    assert stored() == recounted()

    services.delete_followup(owner, db.session.get(FollowUp, third.id))
    assert stored() == recounted()
    assert sum(sum(v) for v in stored().values()) == 2

    db.session.rollback()  # a rolled-back transaction takes its count changes with it
    assert stored() == recounted()
    assert sum(sum(v) for v in stored().values()) == 3


def test_an_edit_across_local_midnight_moves_the_count_to_the_other_day(app):
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    late = dt.datetime(2026, 1, 31, 15, 30)  # 23:30 in Shanghai on 31 January
    followup = log(owner, customer, late)
    assert stored() == {(owner.id, dt.date(2026, 1, 31)): (1, 0, 0)}
    services.update_followup(owner, followup, kind="call", happened_at=late + H, content="电话")  # 00:30 next day
    assert stored() == {(owner.id, dt.date(2026, 2, 1)): (1, 0, 0)}


def test_the_day_is_the_site_date(app):
    """23:30 UTC on 31 January 2026 is 07:30 on 1 February in Shanghai."""
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    log(owner, customer, dt.datetime(2026, 1, 31, 23, 30), kind="visit")
    factories.make_followup(customer, owner, kind="email", happened_at=dt.datetime(2026, 1, 31, 23, 30))
    assert stored() == {(owner.id, dt.date(2026, 2, 1)): (0, 1, 1)}


def test_concurrent_logging_for_one_user_and_day_counts_every_follow_up(app):
    """Four threads, each with its own session, log follow-ups for the same user and day at the same moment,
    while no count row exists yet (so they race to create it). One customer a thread: concurrent logging on one
    customer deadlocks on MariaDB by itself (each insert's foreign-key check share-locks the customer row
    that each then updates), apart from the counts."""
    owner = factories.make_user("sales")
    customers = [factories.make_customer(owner) for _i in range(4)]
    db.session.commit()
    owner_id, customer_ids = owner.id, [c.id for c in customers]
    moment = whole(utcnow()) - H
    threads_count, per_thread = 4, 3
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work(customer_id):
        try:
            with app.app_context():
                actor = db.session.get(User, owner_id)
                target = db.session.get(Customer, customer_id)
                barrier.wait(timeout=30)
                for _i in range(per_thread):
                    log(actor, target, moment)
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(customer_id,)) for customer_id in customer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    db.session.commit()  # end this session's snapshot (MariaDB reads repeatably within a transaction)
    day = daycounts.local_date(moment)
    assert stored() == {(owner_id, day): (threads_count * per_thread, 0, 0)}
    assert stored() == recounted()


def test_rebuild_equals_the_upkeep(app):
    owner = factories.make_user("sales")
    colleague = factories.make_user("sales")
    customer = factories.make_customer(owner)
    now = whole(utcnow())
    for hours, kind, user in ((1, "call", owner), (2, "visit", owner), (20, "meeting", colleague),
                              (50, "call", colleague), (400, "wechat", owner)):
        factories.make_followup(customer, user, kind=kind, happened_at=now - hours * H)
    kept = stored()
    assert kept == recounted()
    db.session.execute(delete(FollowUpDayCount.__table__))
    assert stored() == {}
    assert daycounts.rebuild_day_counts() == len(kept)
    assert stored() == kept


def test_the_migration_fills_the_counts_from_the_follow_ups(app):
    owner = factories.make_user("sales")
    customer = factories.make_customer(owner)
    factories.make_followup(customer, owner, kind="call", happened_at=dt.datetime(2026, 1, 31, 23, 30))
    factories.make_followup(customer, owner, kind="visit", happened_at=dt.datetime(2026, 1, 31, 15, 59))
    factories.make_followup(customer, owner, kind="wechat", happened_at=dt.datetime(2026, 1, 31, 16, 0))
    db.session.commit()
    kept = stored()
    assert kept == {(owner.id, dt.date(2026, 1, 31)): (0, 1, 0), (owner.id, dt.date(2026, 2, 1)): (1, 0, 1)}
    db.session.remove()

    downgrade(directory=str(MIGRATIONS_DIR), revision="f4d5e6f7a8b9")
    db.session.remove()
    upgrade(directory=str(MIGRATIONS_DIR))
    db.session.remove()
    assert stored() == kept
