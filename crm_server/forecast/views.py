"""HTTP pages of the forecast: the forecast of a quarter (with one's own commit), the quota grid, the fiscal year."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.permissions import Permission, require
from ..core.web import int_arg, save_form
from . import services
from .access import ForecastPermission
from .forms import MONTH_NAMES, CommitForm, FiscalYearForm, cell_name, grid_amounts, quota_form
from .periods import FiscalQuarter, fiscal_start_month, fiscal_year_months

bp = Blueprint("forecast", __name__, url_prefix="/forecast")

YEARS = range(2000, 2101)


def _quarter_from_args(args) -> FiscalQuarter:
    current = services.current_quarter()
    year, quarter = int_arg("year", args), int_arg("quarter", args)
    if year not in YEARS or quarter not in (1, 2, 3, 4):
        return current
    return FiscalQuarter(year, quarter, current.start)


def opportunity_list_url(quarter: FiscalQuarter, owner_id: int | None = None, status: str | None = None) -> str:
    """The opportunity list narrowed to a person's won or open opportunities. The list filters by owner and status
    (and one month of expected close date, not a quarter nor the closing day), so it shows all of them."""
    if "opportunities.index" not in current_app.view_functions:
        return "/opportunities/"
    params = {"owner": owner_id, "status": status}
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{url_for('opportunities.index')}?{query}"


def _month_label(start: int, fiscal_month: int) -> str:
    return str(MONTH_NAMES[(start - 1 + fiscal_month - 1) % 12])


@bp.get("/")
@login_required
@require(ForecastPermission.VIEW)
def index():
    quarter = _quarter_from_args(request.args)
    report = services.forecast(current_user, quarter)
    commit = services.commit_of(current_user, quarter)
    commit_form = CommitForm(data={"amount": "" if commit is None else f"{commit:.2f}"})
    return render_template("forecast/index.html", report=report, quarter=quarter, commit_form=commit_form,
                           current=services.current_quarter(), years=_year_choices(quarter.year),
                           list_url=opportunity_list_url)


def _year_choices(year: int) -> list[int]:
    return list(range(max(YEARS.start, year - 3), min(YEARS.stop, year + 3)))


@bp.post("/commit")
@login_required
@require(ForecastPermission.VIEW)
def commit():
    quarter = _quarter_from_args(request.form)
    form = CommitForm()
    if form.validate_on_submit():
        if save_form(form, lambda: services.set_commit(current_user, quarter, form.amount.amount),
                     _("Your commit has been saved.")):
            return redirect(url_for("forecast.index", year=quarter.year, quarter=quarter.quarter))
    for error in form.amount.errors:
        flash(error, "danger")
    return redirect(url_for("forecast.index", year=quarter.year, quarter=quarter.quarter))


@bp.route("/quotas", methods=["GET", "POST"])
@login_required
@require(ForecastPermission.MANAGE_QUOTAS)
def quotas():
    year = int_arg("year", request.values)
    if year not in YEARS:
        year = services.current_quarter().year
    start = fiscal_start_month()
    months = fiscal_year_months(year, start)
    values = services.quotas_of_year(current_user, year)
    people = services.quota_people(current_user, year, values)
    form = quota_form(people, months, values)
    if form.validate_on_submit():
        amounts = grid_amounts(form, people, months)
        if save_form(form, lambda: services.set_quotas(current_user, year, amounts),
                     lambda changed: _("The quotas of %(count)d people have been saved.", count=changed)):
            return redirect(url_for("forecast.quotas", year=year))
    elif form.is_submitted():
        flash(_("Some amounts are not valid: see the fields marked in red."), "danger")
    _people, branches, total = services.quota_plan(current_user, year)
    return render_template("forecast/quotas.html", form=form, people=people, year=year, start=start,
                           months=months, month_labels=[_month_label(start, n) for n in range(1, 13)],
                           cell_name=cell_name, branches=branches, total=total,
                           years=_year_choices(year))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def settings():
    form = FiscalYearForm(data={"start_month": fiscal_start_month()})
    if form.validate_on_submit():
        if save_form(form, lambda: services.set_fiscal_start_month(current_user, form.start_month.data),
                     _("The settings have been saved.")):
            return redirect(url_for("forecast.settings"))
    return render_template("forecast/settings.html", form=form)
