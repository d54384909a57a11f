"""HTTP pages of the customers domain."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")
