"""Placeholder package wiring: replaced as the domain is built."""
from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")

__all__ = ["bp"]
