"""Placeholder package wiring: replaced as the domain is built."""
from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

__all__ = ["bp"]
