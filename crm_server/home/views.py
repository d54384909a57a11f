"""The workbench page."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..core.permissions import Scope
from .services import workbench

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    data = workbench(current_user)
    scope_label = Scope.LABELS[current_user.role.data_scope]
    return render_template("home/index.html", data=data, scope_label=scope_label)
