"""The workbench page with its dashboard tiles, the tiles' chart images, and the page where a user chooses and
orders their tiles (a plain form: it works without JavaScript)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..extensions import db
from . import services

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("home/index.html", recent=services.recent_activity(current_user),
                           scope_label=services.scope_label(current_user), tiles=services.dashboard(current_user))


@bp.get("/tiles/<key>.png")
@login_required
def tile_image(key: str):
    tile = services.tile_for(current_user, key)
    if tile is None:
        abort(404)
    scale = 1 if request.args.get("scale") == "1" else 2
    image = services.tile_png(current_user, tile, scale)
    if image is None:
        abort(404)
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _customise_page(status: int = 200):
    return render_template("home/tiles.html", arrangement=services.arrangement(current_user),
                           customised=services.is_customised(current_user)), status


@bp.get("/home/tiles")
@login_required
def customise():
    return _customise_page()


@bp.post("/home/tiles")
@login_required
def save():
    """The form lists every tile in the order shown (`order`), the ticked ones (`show`), and the button pressed:
    `move` = "up:<key>" / "down:<key>", or save. The user's own tiles only: no user id is taken from the form."""
    order = request.form.getlist("order")
    shown = request.form.getlist("show")
    moved = request.form.get("move", "")
    try:
        services.check_keys(current_user, order)
        services.check_keys(current_user, shown)
        if moved:
            direction, _sep, key = moved.partition(":")
            if direction not in ("up", "down"):
                raise DomainError(_("Choose a tile to move."))
            services.check_keys(current_user, [key])
            order = services.move(order, key, -1 if direction == "up" else 1)
        chosen = [key for key in order if key in shown] + [key for key in shown if key not in order]
        changed = services.save_tiles(current_user, chosen)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _customise_page(400)
    db.session.commit()
    if moved:
        return redirect(url_for("home.customise", _anchor=f"tile-{moved.partition(':')[2]}"))
    if changed:
        flash(_("Your tiles have been saved."), "success")
    return redirect(url_for("home.index"))


@bp.post("/home/tiles/reset")
@login_required
def reset():
    if services.reset_tiles(current_user):
        db.session.commit()
        flash(_("The tiles of your role are back."), "success")
    return redirect(url_for("home.index"))
