"""Errors that carry a message meant for the user."""
from __future__ import annotations


class DomainError(Exception):
    """A business rule was broken; `message` is already translated for the user.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigError(Exception):
    """A setting in config.ini (or its CRM_* override) is wrong; says which key, in Chinese and English."""

    def __init__(self, section: str, key: str, value: object, zh: str, en: str):
        self.section, self.key, self.value = section, key, value
        shown = "" if value is None else f" = {value!r}"
        message = (f"配置错误 [{section}] {key}{shown}：{zh}\n"
                   f"Configuration error [{section}] {key}{shown}: {en}")
        super().__init__(message)
        self.message = message
