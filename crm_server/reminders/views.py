"""The reminder centre: the bell's count on every page, the tabs, done and snooze."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.i18n import local_time
from ..core.pagination import paginate
from ..core.web import int_arg as _int_arg
from ..extensions import db
from . import services

bp = Blueprint("reminders", __name__, url_prefix="/reminders")

TAB_LABELS = {
    "overdue": _l("Overdue"),
    "today": _l("Today"),
    "upcoming": _l("Next 7 days"),
    "done": _l("Done"),
}
SNOOZE_LABELS = {
    "hour": _l("In 1 hour"),
    "tomorrow": _l("Tomorrow 09:00"),
    "week": _l("Next week (Monday 09:00)"),
}


@bp.app_context_processor
def reminder_bell():
    """`reminder_bell()` in templates: the signed-in user's due reminders. A function, so the COUNT runs
    only when the page shell draws the bell, and once per page however often the template asks."""
    cache: list[int] = []

    def count() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        if not cache:
            cache.append(services.due_count(current_user.id))
        return cache[0]

    return {"reminder_bell": count}


def _tab(value: str | None) -> str | None:
    return value if value in services.TABS else None


def _back(tab: str | None = None):
    return redirect(url_for("reminders.index", tab=_tab(tab or request.form.get("tab"))))


@bp.get("/")
@login_required
def index():
    w = services.window()
    counts = services.tab_counts(current_user, w)
    tab = _tab(request.args.get("tab")) or ("overdue" if counts["overdue"] else "today")
    page = paginate(services.tab_query(current_user, tab, w), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 20)
    return render_template("reminders/index.html", page=page, tab=tab, counts=counts, window=w,
                           tab_labels=TAB_LABELS, snooze_labels=SNOOZE_LABELS, kind_labels=services.KIND_LABELS,
                           links=services.record_links(current_user, page.items))


def _own_or_404(reminder_id: int):
    reminder = services.get_own_reminder(current_user, reminder_id)
    if reminder is None:
        abort(404)
    return reminder


@bp.post("/<int:reminder_id>/done")
@login_required
def done(reminder_id: int):
    reminder = _own_or_404(reminder_id)
    services.mark_done(current_user, reminder)
    db.session.commit()
    flash(_("Done: %(title)s", title=reminder.title), "success")
    return _back()


@bp.post("/<int:reminder_id>/snooze")
@login_required
def snooze(reminder_id: int):
    reminder = _own_or_404(reminder_id)
    try:
        services.snooze(current_user, reminder, request.form.get("until", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("Snoozed until %(time)s: %(title)s", time=local_time(reminder.snoozed_until), title=reminder.title),
              "success")
    return _back()


@bp.post("/overdue/done")
@login_required
def overdue_done():
    count = services.mark_overdue_done(current_user)
    db.session.commit()
    if count:
        flash(_("%(count)d overdue reminders marked done.", count=count), "success")
    else:
        flash(_("There are no overdue reminders."), "info")
    return _back("overdue")
