"""Report pages: the list of reports, one report with its filters, figures, charts and tables, the chart images
(PNG at 1× or 2×, SVG) and the Excel / CSV exports. Figures and images are cached per filters, scope and data
version (charts.cache)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from . import service
from .filters import filter_choices, parse_filters
from .model import REPORTS, reports_for

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _report(key: str):
    report = REPORTS.get(key)
    if report is None or (report.permission and not current_user.can(report.permission)):
        abort(404)
    return report


@bp.get("/")
@login_required
def index():
    return render_template("reports/index.html", reports=reports_for(current_user))


@bp.get("/<key>")
@login_required
def show(key: str):
    report = _report(key)
    filters, errors = parse_filters(request.args)
    result = service.result(current_user, report, filters)
    return render_template("reports/report.html", report=report, filters=filters, errors=errors, result=result,
                           choices=filter_choices(current_user, report.record_types[0]),
                           reports=reports_for(current_user))


@bp.get("/<key>/charts/<chart_key>.<fmt>")
@login_required
def chart(key: str, chart_key: str, fmt: str):
    report = _report(key)
    if fmt not in ("png", "svg"):
        abort(404)
    filters, _errors = parse_filters(request.args)
    scale = 1 if request.args.get("scale") == "1" else 2
    image = service.chart_image(current_user, report, filters, chart_key, fmt, scale)
    if image is None:
        abort(404)
    response = Response(image, mimetype="image/png" if fmt == "png" else "image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{key}-{chart_key}.{fmt}"'
    return response


@bp.get("/<key>/export.<fmt>")
@login_required
def export(key: str, fmt: str):
    from .export import to_csv, to_xlsx
    report = _report(key)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    filters, _errors = parse_filters(request.args)
    result = service.result(current_user, report, filters)
    name = f"{key}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        body = to_xlsx(str(report.title), result)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = to_csv(result)
        mimetype = "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


__all__ = ["bp"]
