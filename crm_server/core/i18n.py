"""Which language a request is shown in, and the formatting helpers templates use."""
from __future__ import annotations

import zoneinfo

from flask import current_app, has_request_context, session
from flask_login import current_user

LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


def select_locale() -> str:
    """The signed-in user's language, else the one chosen on the sign-in page, else the site default.

    Outside a request (CLI, background jobs) messages are in the site default language.
    """
    if not has_request_context():
        return current_app.config["CRM_SETTINGS"].default_language
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGE_NAMES:
        return current_user.language
    if session.get("language") in LANGUAGE_NAMES:
        return session["language"]
    return current_app.config["CRM_SETTINGS"].default_language


def select_timezone() -> str:
    return current_app.config["CRM_SETTINGS"].timezone


def local_time(value, fmt: str = "%Y-%m-%d %H:%M"):
    """A naive-UTC datetime shown in the site's time zone."""
    if value is None:
        return ""
    tz = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return value.replace(tzinfo=zoneinfo.ZoneInfo("UTC")).astimezone(tz).strftime(fmt)
