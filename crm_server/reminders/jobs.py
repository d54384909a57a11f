"""The reminder jobs: `reminders.generate` (hourly) makes follow-up and birthday reminders, `reminders.digest`
(daily) e-mails each user what is due today or overdue."""
from __future__ import annotations

import calendar
import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select, true, update

from ..contacts.models import Contact
from ..core.models import User
from ..core.types import utcnow
from ..customers.models import Customer
from ..extensions import db
from ..followups.models import FollowUp
from . import mail
from .models import Reminder
from .services import NewReminder, chunks, day_start, local_date, remind_many, site_zone, utc_at

log = logging.getLogger(__name__)

FOLLOWUP_LOOKAHEAD = dt.timedelta(hours=24)
BIRTHDAY_DAYS_AHEAD = 3
BIRTHDAY_TIME = dt.time(9, 0)
EXCERPT = 60


def _excerpt(text: str | None, length: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length - 1] + "…"


def followup_reminders(now: dt.datetime) -> list[NewReminder]:
    """Planned next contacts due within a day or already past, on live customers that have an owner."""
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.customer_id, FollowUp.next_followup_at, FollowUp.next_step, FollowUp.content,
               Customer.name, Customer.owner_id)
        .join(Customer, FollowUp.customer_id == Customer.id)
        .where(FollowUp.next_followup_at.is_not(None), FollowUp.next_done_at.is_(None),
               FollowUp.next_followup_at <= now + FOLLOWUP_LOOKAHEAD,
               Customer.deleted_at.is_(None), Customer.owner_id.is_not(None))
        .order_by(FollowUp.id)).tuples()
    return [NewReminder(owner_id, "followup_due", f"跟进 {name}: {_excerpt(next_step or content)}", due_at,
                        f"followup:{followup_id}", "customers", customer_id)
            for followup_id, customer_id, due_at, next_step, content, name, owner_id in rows]


def birthday_days(today: dt.date, days_ahead: int = BIRTHDAY_DAYS_AHEAD) -> dict[str, dt.date]:
    """{"MM-DD": the site date it falls on} for today and the next days. In a year without 29 February,
    those born on it are remembered on the 28th."""
    days: dict[str, dt.date] = {}
    for offset in range(days_ahead + 1):
        day = today + dt.timedelta(days=offset)
        days[day.strftime("%m-%d")] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            days.setdefault("02-29", day)
    return days


def birthday_reminders(now: dt.datetime) -> list[NewReminder]:
    """Contacts of live, owned customers whose birthday is today or in the next three days."""
    zone = site_zone()
    days = birthday_days(local_date(now, zone))
    rows = db.session.execute(
        select(Contact.id, Contact.name, Contact.birthday_md, Customer.name, Customer.owner_id)
        .join(Customer, Contact.customer_id == Customer.id)
        .where(Contact.birthday_md.in_(sorted(days)), Contact.deleted_at.is_(None),
               Customer.deleted_at.is_(None), Customer.owner_id.is_not(None))
        .order_by(Contact.id)).tuples()
    items = []
    for contact_id, contact_name, md, customer_name, owner_id in rows:
        day = days[md]
        items.append(NewReminder(owner_id, "birthday", f"{contact_name} ({customer_name}) 生日 {md}",
                                 utc_at(day, BIRTHDAY_TIME, zone), f"birthday:{contact_id}:{day.year}",
                                 "contacts", contact_id))
    return items


def close_finished_plans(now: dt.datetime) -> int:
    """Open follow-up reminders whose plan is done, dropped or whose customer left the owner's hands are done
    too, so the bell does not count what no longer needs doing."""
    keys = db.session.execute(
        select(Reminder.id, Reminder.user_id, Reminder.source_key)
        .where(Reminder.kind == "followup_due", Reminder.done_at.is_(None))
        .order_by(Reminder.id)).tuples().all()
    by_followup: dict[int, list[tuple[int, int]]] = {}
    for reminder_id, user_id, key in keys:
        number = key.split(":", 1)[1] if key.startswith("followup:") else ""
        if number.isdigit():
            by_followup.setdefault(int(number), []).append((reminder_id, user_id))
    still_open: set[tuple[int, int]] = set()
    for chunk in chunks(sorted(by_followup)):
        still_open.update(db.session.execute(
            select(FollowUp.id, Customer.owner_id).join(Customer, FollowUp.customer_id == Customer.id)
            .where(FollowUp.id.in_(chunk), FollowUp.next_followup_at.is_not(None),
                   FollowUp.next_done_at.is_(None), Customer.deleted_at.is_(None))).tuples())
    finished = [reminder_id for followup_id, pairs in by_followup.items() for reminder_id, user_id in pairs
                if (followup_id, user_id) not in still_open]
    for chunk in chunks(finished):
        db.session.execute(update(Reminder).where(Reminder.id.in_(chunk)).values(done_at=now)
                           .execution_options(synchronize_session=False))
    return len(finished)


def generate(now: dt.datetime | None = None) -> str:
    """Job `reminders.generate`: reminders of follow-up plans and contacts' birthdays. Idempotent: each
    reminder has a source key, and one that exists is not made again."""
    now = now or utcnow()
    closed = close_finished_plans(now)
    followups = remind_many(followup_reminders(now))
    birthdays = remind_many(birthday_reminders(now))
    return f"{followups} follow-up, {birthdays} birthday reminders; {closed} closed"


# --- the daily digest -----------------------------------------------------------------------------

def digest_body(user: User, reminders: list[Reminder], today_start: dt.datetime, zone) -> str:
    lines = [f"{user.display_name}，您好：", "", f"您有 {len(reminders)} 条提醒今天到期或已逾期：", ""]
    for number, reminder in enumerate(reminders, 1):
        due = reminder.due_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        overdue = "【已逾期】" if reminder.due_at < today_start else ""
        lines.append(f"{number}. {overdue}{reminder.title}（{due}）")
    company = current_app.config["CRM_SETTINGS"].company_name
    lines += ["", "请登录 CRM 的提醒中心处理。", "", f"—— {company} CRM 自动提醒（请勿直接回复）"]
    return "\n".join(lines) + "\n"


def digest(now: dt.datetime | None = None) -> str:
    """Job `reminders.digest`: one e-mail per active user with an address, listing their open reminders due
    today or overdue that were not e-mailed yet; then marks them e-mailed. Needs [mail] server."""
    settings = current_app.config["CRM_SETTINGS"]
    if not (settings.mail or {}).get("server"):
        return "mail not configured"
    now = now or utcnow()
    zone = site_zone()
    today = local_date(now, zone)
    today_start, tomorrow_start = day_start(today, zone), day_start(today + dt.timedelta(days=1), zone)
    rows = db.session.execute(
        select(Reminder, User).join(User, Reminder.user_id == User.id)
        .where(Reminder.done_at.is_(None), Reminder.emailed_at.is_(None), Reminder.due_at < tomorrow_start,
               Reminder.snoozed_until.is_(None) | (Reminder.snoozed_until < tomorrow_start),
               User.is_active == true(), User.email.is_not(None), User.email != "")
        .order_by(Reminder.user_id, Reminder.due_at, Reminder.id)).tuples().all()
    per_user: dict[int, tuple[User, list[Reminder]]] = {}
    for reminder, user in rows:
        per_user.setdefault(user.id, (user, []))[1].append(reminder)
    sent = failed = 0
    for user, reminders in per_user.values():
        subject = f"CRM 今日提醒 ({len(reminders)})"
        try:
            mail.send_mail(settings, user.email, subject, digest_body(user, reminders, today_start, zone))
        except Exception:  # one bad address or a refusing server must not stop the others
            failed += 1
            log.exception("reminder digest to user %s (%s) failed", user.id, user.email)
            continue
        sent += 1
        for chunk in chunks([r.id for r in reminders]):
            db.session.execute(update(Reminder).where(Reminder.id.in_(chunk)).values(emailed_at=now)
                               .execution_options(synchronize_session=False))
        # A sent mail cannot be taken back: keep the record of it even if a later user's step fails.
        db.session.commit()
    return f"sent {sent}" + (f", failed {failed}" if failed else "")
