"""The one place that knows where templates/, static/, migrations and the data folder are."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


# A checkout (or editable install) keeps templates/ and static/ beside the package;
# `pip install .` ships them inside it as crm_server/templates and crm_server/static.
TEMPLATES_DIR = _first_existing(_CHECKOUT_DIR / "templates", PACKAGE_DIR / "templates")
STATIC_DIR = _first_existing(_CHECKOUT_DIR / "static", PACKAGE_DIR / "static")
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def default_config_path() -> Path:
    """config.ini of the checkout when run from one, else config.ini in the working folder."""
    checkout_config = _CHECKOUT_DIR / "config.ini"
    if checkout_config.is_file():
        return checkout_config
    return Path.cwd() / "config.ini"
