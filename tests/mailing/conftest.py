"""Fixtures of the mass e-mail tests: a real SMTP server on localhost that the app's [mail] points at."""
from __future__ import annotations

import pytest

from .helpers import SmtpServer, use_smtp


@pytest.fixture
def smtp(app, monkeypatch):
    with SmtpServer() as server:
        use_smtp(app, monkeypatch, server.port)
        yield server
