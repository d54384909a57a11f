"""Placeholder package wiring: replaced as the domain is built."""
from flask import Blueprint

bp = Blueprint("approvals", __name__, url_prefix="/approvals")

__all__ = ["bp"]
