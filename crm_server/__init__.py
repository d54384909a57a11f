"""CRM Server: create_app() wires configuration, extensions, blueprints, CLI and error pages."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings, load_config
from .extensions import babel, csrf, db, login_manager, migrate
from .paths import MIGRATIONS_DIR, STATIC_DIR, TEMPLATES_DIR, TRANSLATIONS_DIR
from .version import __version__

# Blueprints in sidebar order; a module appears in the menu only once its package is here.
BLUEPRINT_MODULES = ("home", "auth", "customers", "contacts", "followups", "pool", "reminders", "activity",
                     "leads", "campaigns", "mailing", "products", "opportunities", "competitors", "quotes", "forecast",
                     "contracts", "payments", "approvals", "reports", "admin")


def create_app(settings: Settings | None = None, testing: bool = False) -> Flask:
    """Build the application. `settings` defaults to load_config() (config.ini + CRM_* variables)."""
    settings = settings or load_config()
    app = Flask("crm_server", template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    app.config.update(
        CRM_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_lifetime_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # send the session cookie only when it changes: a chart image still loading when someone signs out would
        # otherwise send the signed-in cookie back after the sign-out (a sign-in lasts session_lifetime_hours)
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_DURATION=dt.timedelta(days=settings.remember_days),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        BABEL_DEFAULT_LOCALE=settings.default_language,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        WTF_CSRF_TIME_LIMIT=None,  # the session lifetime already bounds a token
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
    )
    if settings.url_prefix:
        app.config["APPLICATION_ROOT"] = settings.url_prefix
        app.config["SESSION_COOKIE_PATH"] = settings.url_prefix
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)

    _init_extensions(app, settings)
    from .charts import setup as setup_charts
    setup_charts(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_pages(app)
    _register_security_headers(app)
    return app


def _engine_options(settings: Settings) -> dict:
    from .core.database import engine_options
    return engine_options(settings.database_url, int(settings.raw["database"]["connect_timeout"]))


def _init_extensions(app: Flask, settings: Settings) -> None:
    from .core import i18n
    from .core.database import install_sqlite_pragmas
    import_models()
    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from .auth.services import load_user_from_session_id
    login_manager.user_loader(load_user_from_session_id)

    from .core.backup import nightly_backup
    from .core.database import refresh_statistics
    from .core.jobs import register_job
    register_job("backup", nightly_backup, dt.timedelta(days=1), description="daily SQLite backup")
    register_job("database.statistics", refresh_statistics, dt.timedelta(days=1),
                 description="query planner statistics for SQLite (ANALYZE)")


def import_models() -> None:
    """Import every module that defines tables, so metadata (and Alembic) sees them all."""
    import importlib

    from .core import audit, dictionaries, jobs, models, site_settings  # noqa: F401
    for name in BLUEPRINT_MODULES:
        importlib.import_module(f".{name}", __name__)
        try:
            importlib.import_module(f".{name}.models", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}.models":
                raise
    from . import demo  # noqa: F401  (registers the demo audit label; Faker is imported only when seeding)


def _register_blueprints(app: Flask) -> None:
    import importlib
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        app.register_blueprint(module.bp)

    @app.get("/healthz")
    def healthz():
        from sqlalchemy import text
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # report, do not raise: monitoring wants JSON
            db.session.rollback()
            database = f"error: {type(exc).__name__}"
        settings = app.config["CRM_SETTINGS"]
        status = 200 if database == "ok" else 503
        return jsonify(status="ok" if status == 200 else "error", database=database,
                       engine=settings.database_url.get_backend_name(), version=__version__), status

    csrf.exempt(healthz)


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from .core.audit import action_label
    from .core.i18n import LANGUAGE_NAMES, local_time, select_locale
    from .core.roles import role_label

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["audit_action"] = action_label

    @app.context_processor
    def shell_context():
        settings = app.config["CRM_SETTINGS"]
        return {
            "company_name": settings.company_name,
            "app_version": __version__,
            "languages": LANGUAGE_NAMES,
            "current_language": select_locale(),
            "nav": _navigation(current_user),
        }


def _navigation(user) -> list[dict]:
    from .core.navigation import navigation
    return navigation(user)


def _register_error_pages(app: Flask) -> None:
    def render_error(code: int, title: str, message: str):
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=title, message=message), code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(403)
    def forbidden(_e):
        return render_error(403, _("No permission"), _("You do not have permission to open this page."))

    @app.errorhandler(404)
    def not_found(_e):
        return render_error(404, _("Page not found"), _("The page or record does not exist, or was deleted."))

    @app.errorhandler(405)
    def not_allowed(_e):
        return render_error(405, _("Not allowed"), _("This address does not accept that kind of request."))

    @app.errorhandler(413)
    def too_large(_e):
        return render_error(413, _("File too large"), _("The upload is larger than the server accepts."))

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        logging.getLogger("crm_server").exception("unhandled error on %s", request.path)
        return render_error(500, _("Server error"),
                            _("Something went wrong on the server. Nothing was saved; please try again."))

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_failed(_e):
        return render_error(400, _("The form expired"),
                            _("The page was open too long or was submitted twice. Go back, reload and try again."))


CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
