"""HTTP pages of the followups domain."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followups", __name__, url_prefix="/followups")
