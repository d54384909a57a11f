"""The activity statistics page: what each person did in a period, for managers; one's own row for others."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.web import int_arg as _int_arg
from . import services
from .forms import ActivityFilterForm

bp = Blueprint("activity", __name__, url_prefix="/activity")

METRIC_LABELS = {
    "calls": _l("Calls"),
    "visits": _l("Visits"),
    "other": _l("Other follow-ups"),
    "created": _l("New customers"),
    "claimed": _l("Claimed from the pool"),
    "released": _l("Released to the pool"),
    "overdue": _l("Overdue plans"),
}


@bp.get("/")
@login_required
def index():
    form = ActivityFilterForm(formdata=request.args if request.args else None)
    report = page = None
    if form.validate():
        values = form.data_for_service()
        try:
            first, last = services.period_days(values["period"], values["date_from"], values["date_to"])
            services.buckets_for(first, last, values["grouping"])  # refuses too many columns before any query
        except DomainError as exc:
            field = form._fields.get(exc.field) if exc.field else None
            target = field if field is not None else form.period
            target.errors = list(target.errors) + [exc.message]
        else:
            people_stmt = services.people_query(current_user)
            page = paginate(people_stmt, page=_int_arg("page") or 1, per_page=_int_arg("per_page") or 20)
            report = services.build_report(current_user, page.items, people_stmt, first, last, values["grouping"])
    return render_template("activity/index.html", form=form, report=report, page=page,
                           metric_labels=METRIC_LABELS, metrics=services.ALL_METRICS)
