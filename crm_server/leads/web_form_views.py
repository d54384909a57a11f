"""HTTP pages of the web forms: their administration, and the public form (no sign-in) that creates leads."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core import dictionaries
from ..core.errors import DomainError
from ..core.navigation import register_nav
from ..core.permissions import require
from ..core.web import apply_field_error, get_or_404, save_form
from ..extensions import db
from . import web_forms
from .views import bp
from .scoring import SIZE_LABELS
from .web_forms import LeadWebForm, WebFormPermission

register_nav("leads.web_forms_index", "bi-ui-checks", _l("Web forms"), _l("System administration"),
             WebFormPermission.MANAGE, order=931)

FIELD_LABELS = {
    "name": _l("Your name"), "company": _l("Company"), "title": _l("Job title"), "mobile": _l("Mobile"),
    "phone": _l("Phone"), "email": _l("Email"), "province": _l("Province"), "city": _l("City"),
    "industry_id": _l("Industry"), "company_size": _l("Company size"), "budget": _l("Budget (yuan)"),
    "requirement": _l("What do you need?"),
}
HONEYPOT = "website"  # a field people never see and bots like to fill


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebFormForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    fields = MultiCheckboxField(_l("Fields the form asks for (besides the name)"),
                                choices=[(name, FIELD_LABELS[name]) for name in web_forms.FIELDS])
    campaign_id = SelectField(_l("Campaign"), coerce=_optional_int)
    auto_assign = BooleanField(_l("Give enquiries to the lead assignment team in turn (otherwise they wait in "
                                  "the lead pool)"), default=True)
    intro_text = TextAreaField(_l("Text above the form"), validators=[Length(max=2000)])
    thank_you_text = TextAreaField(_l("Thank-you text"), validators=[Length(max=2000)])
    is_active = BooleanField(_l("Active (the address accepts enquiries)"), default=True)

    def fill_choices(self) -> None:
        from sqlalchemy import select

        from ..campaigns.models import Campaign
        campaigns = db.session.execute(select(Campaign.id, Campaign.name).where(Campaign.deleted_at.is_(None))
                                       .order_by(Campaign.name, Campaign.id)).all()
        self.campaign_id.choices = [("", _("None"))] + [(row.id, row.name) for row in campaigns]

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in web_forms.FORM_FIELDS}


class ActionForm(FlaskForm):
    pass


def public_url(form: LeadWebForm) -> str:
    return url_for("leads.public_form", token=form.token, _external=True)


@bp.get("/web-forms")
@login_required
@require(WebFormPermission.MANAGE)
def web_forms_index():
    return render_template("leads/web_forms.html", forms=web_forms.list_forms(), public_url=public_url,
                           action_form=ActionForm(), field_labels=FIELD_LABELS, rate_limit=web_forms.RATE_LIMIT,
                           rate_minutes=int(web_forms.RATE_WINDOW.total_seconds() // 60))


@bp.route("/web-forms/new", methods=["GET", "POST"])
@login_required
@require(WebFormPermission.MANAGE)
def web_form_create():
    form = WebFormForm(data=None if request.method == "POST" else {"fields": list(web_forms.DEFAULT_FIELDS)})
    form.fill_choices()
    if form.validate_on_submit() and save_form(
            form, lambda: web_forms.create_form(current_user, **form.data_for_service()),
            lambda created: _("Web form %(name)s created.", name=created.name)):
        return redirect(url_for("leads.web_forms_index"))
    return render_template("leads/web_form_form.html", form=form, web_form=None)


@bp.route("/web-forms/<int:form_id>/edit", methods=["GET", "POST"])
@login_required
@require(WebFormPermission.MANAGE)
def web_form_edit(form_id: int):
    web_form = get_or_404(LeadWebForm, form_id)
    form = WebFormForm(data=None if request.method == "POST" else {
        **{name: getattr(web_form, name) for name in web_forms.FORM_FIELDS}, "fields": web_form.field_list})
    form.fill_choices()
    if form.validate_on_submit() and save_form(
            form, lambda: web_forms.update_form(current_user, web_form, **form.data_for_service()),
            _("Web form saved.")):
        return redirect(url_for("leads.web_forms_index"))
    return render_template("leads/web_form_form.html", form=form, web_form=web_form)


@bp.post("/web-forms/<int:form_id>/token")
@login_required
@require(WebFormPermission.MANAGE)
def web_form_regenerate(form_id: int):
    web_form = get_or_404(LeadWebForm, form_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    web_forms.regenerate_token(current_user, web_form)
    db.session.commit()
    flash(_("The form has a new address; the old one no longer works. Update the link on your website."), "success")
    return redirect(url_for("leads.web_forms_index"))


@bp.post("/web-forms/<int:form_id>/delete")
@login_required
@require(WebFormPermission.MANAGE)
def web_form_delete(form_id: int):
    web_form = get_or_404(LeadWebForm, form_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    web_forms.delete_form(current_user, web_form)
    db.session.commit()
    flash(_("Web form deleted. Its leads stay."), "success")
    return redirect(url_for("leads.web_forms_index"))


# --- the public form ----------------------------------------------------------------------------------

def public_form_class(web_form: LeadWebForm) -> type[FlaskForm]:
    """A form with the name, the fields this web form asks for, and the honeypot."""
    shown = web_form.field_list

    class PublicForm(FlaskForm):
        name = StringField(FIELD_LABELS["name"], validators=[DataRequired(), Length(max=60)])

        def validate(self, extra_validators=None) -> bool:
            valid = super().validate(extra_validators)
            contact = [self[name] for name in web_forms.CONTACT_FIELDS if name in self]
            if contact and not any((f.data or "").strip() for f in contact):
                contact[0].errors = list(contact[0].errors) + [
                    _("Leave a mobile number or an email address so that we can reply.")]
                valid = False
            return valid

    short = {"company": 200, "title": 60, "mobile": 40, "phone": 40, "email": 120, "province": 30, "city": 30}
    for name in shown:
        label = FIELD_LABELS[name]
        if name in short:
            field = StringField(label, validators=[Length(max=short[name])])
        elif name == "industry_id":
            field = SelectField(label, coerce=_optional_int, validate_choice=False)
        elif name == "company_size":
            field = SelectField(label, choices=[("", "")] + [(k, v) for k, v in SIZE_LABELS.items()])
        elif name == "budget":
            field = DecimalField(label, places=2, validators=[Optional(), NumberRange(min=0, max=10 ** 12)])
        else:
            field = TextAreaField(label, validators=[Length(max=4000)])
        setattr(PublicForm, name, field)
    setattr(PublicForm, HONEYPOT, StringField(_l("Leave this field empty")))
    return PublicForm


def _public_form_or_404(token: str) -> LeadWebForm:
    web_form = web_forms.get_by_token(token)
    if web_form is None:
        abort(404)
    return web_form


@bp.route("/form/<token>", methods=["GET", "POST"])
def public_form(token: str):
    web_form = _public_form_or_404(token)
    form = public_form_class(web_form)()
    if "industry_id" in form:
        form.industry_id.choices = dictionaries.choices("customer_industry", blank="")
    status = 200
    if form.validate_on_submit():
        values = {name: form[name].data for name in ["name", *web_form.field_list]}
        try:
            web_forms.submit(web_form, request.remote_addr or "", values, honeypot=form[HONEYPOT].data)
            db.session.commit()
            return redirect(url_for("leads.public_form_thanks", token=token))
        except web_forms.TooManySubmissions as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            status = 429
        except DomainError as exc:
            db.session.rollback()
            apply_field_error(form, exc)
    return render_template("leads/public_form.html", form=form, web_form=web_form, honeypot=HONEYPOT), status


@bp.get("/form/<token>/thanks")
def public_form_thanks(token: str):
    web_form = _public_form_or_404(token)
    return render_template("leads/public_form_thanks.html", web_form=web_form)
