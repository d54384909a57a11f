"""Sign-in, sign-out, first-start setup, password change and language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.errors import DomainError
from ..core.i18n import LANGUAGE_NAMES
from ..extensions import db
from . import services
from .forms import LoginForm, PasswordForm, SetupForm

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.setup", "auth.set_language", "static", "healthz"}


@bp.before_app_request
def send_to_setup_until_done():
    """Until an administrator exists, every page leads to the one-time setup page."""
    if current_app.extensions.get("crm_setup_done") or request.endpoint in OPEN_ENDPOINTS:
        return None
    if services.setup_required():
        return redirect(url_for("auth.setup"))
    current_app.extensions["crm_setup_done"] = True
    return None


def _safe_next(target: str | None) -> str:
    """Only redirect back to a path on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


def _apply_field_error(form, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not services.setup_required():
        abort(404)
    form = SetupForm()
    if not form.is_submitted():
        form.company_name.data = current_app.config["CRM_SETTINGS"].company_name
    if form.validate_on_submit():
        try:
            user = services.create_administrator(form.username.data, form.display_name.data,
                                                 form.password.data, form.company_name.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            current_app.extensions["crm_setup_done"] = True
            login_user(user)
            flash(_("Setup complete. Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except DomainError as exc:
            db.session.commit()  # keep the failure count
            flash(exc.message, "danger")
        else:
            db.session.commit()
            session.permanent = True
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            login_user(current_user._get_current_object())  # new token: this session stays signed in
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.post("/language/<code>")
def set_language(code: str):
    if code not in LANGUAGE_NAMES:
        abort(404)
    session["language"] = code
    if current_user.is_authenticated:
        services.set_language(current_user, code)
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
