"""网站表单: public enquiry forms a company links from its website; each enquiry becomes a lead (source "website")."""
from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode, UnicodeText, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..core import audit
from ..core.dictionaries import item_with_flag
from ..core.errors import DomainError
from ..core.models import TimestampMixin, User
from ..core.permissions import register_permission
from ..core.types import UTCDateTime, utcnow
from ..core.validation import clean_text
from ..extensions import db


class WebFormPermission:
    MANAGE = register_permission("lead.web_forms", _l("Set up the public web forms that create leads"), _l("Leads"))


audit.register_actions({
    "lead_web_form.created": _l("Created a web form"),
    "lead_web_form.updated": _l("Edited a web form"),
    "lead_web_form.deleted": _l("Deleted a web form"),
    "lead_web_form.token_regenerated": _l("Gave a web form a new address"),
})
audit.register_entity_labels({"lead_web_forms": _l("Web form")})
audit.register_field_labels({"fields": _l("Fields asked for"), "campaign_id": _l("Campaign"),
                             "auto_assign": _l("Assign automatically"), "intro_text": _l("Text above the form"),
                             "thank_you_text": _l("Thank-you text")})

# Lead fields a web form may ask for, in the order the public page shows them. The name is always asked.
FIELDS = ("company", "title", "mobile", "phone", "email", "province", "city", "industry_id", "company_size",
          "budget", "requirement")
DEFAULT_FIELDS = ("company", "mobile", "email", "requirement")
CONTACT_FIELDS = ("mobile", "email")  # a visitor must leave one of them, so the form must ask for one

# A visitor (an IP address) may send this many enquiries through one form per window.
RATE_LIMIT = 5
RATE_WINDOW = dt.timedelta(minutes=10)
KEEP_SUBMISSIONS = dt.timedelta(days=30)
LEAD, HONEYPOT = "lead", "honeypot"


class LeadWebForm(TimestampMixin, db.Model):
    """A public form: its address is /leads/form/<token>; the token can be replaced to retire an old address."""

    __tablename__ = "lead_web_forms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    token: Mapped[str] = mapped_column(Unicode(32), nullable=False, unique=True)
    fields: Mapped[str] = mapped_column(Unicode(200), nullable=False)  # comma-separated, see FIELDS
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    intro_text: Mapped[str | None] = mapped_column(UnicodeText)
    thank_you_text: Mapped[str | None] = mapped_column(UnicodeText)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    campaign = relationship("Campaign")

    @property
    def field_list(self) -> list[str]:
        chosen = set(self.fields.split(","))
        return [name for name in FIELDS if name in chosen]

    def __str__(self) -> str:
        return self.name


class LeadWebFormSubmission(db.Model):
    """One accepted enquiry (or a bot's, caught by the honeypot): what the per-address rate limit counts. Kept in
    the database so that every server process serving the site counts the same submissions."""

    __tablename__ = "lead_web_form_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    web_form_id: Mapped[int] = mapped_column(ForeignKey("lead_web_forms.id", ondelete="CASCADE"), nullable=False)
    ip: Mapped[str] = mapped_column(Unicode(45), nullable=False)
    outcome: Mapped[str] = mapped_column(Unicode(10), nullable=False)
    lead_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_lead_web_form_submissions_ip", "web_form_id", "ip", "created_at"),
                      Index("ix_lead_web_form_submissions_created", "created_at"))


FORM_FIELDS = ("name", "fields", "campaign_id", "auto_assign", "intro_text", "thank_you_text", "is_active")


def new_token() -> str:
    # Hex, not base64: SQL Server's usual collations ignore case, so mixed-case tokens could collide.
    return secrets.token_hex(16)


def list_forms() -> list[tuple[LeadWebForm, int]]:
    """Every form with how many leads it brought (one grouped query, from the leads' web form index)."""
    from .models import Lead
    counts = dict(db.session.execute(
        select(Lead.web_form_id, func.count(Lead.id)).where(Lead.web_form_id.is_not(None))
        .group_by(Lead.web_form_id)).all())
    forms = db.session.scalars(select(LeadWebForm).options(selectinload(LeadWebForm.campaign))
                               .order_by(LeadWebForm.name, LeadWebForm.id))
    return [(form, counts.get(form.id, 0)) for form in forms]


def get_by_token(token: str) -> LeadWebForm | None:
    """The active form behind a public address, else None (unknown, retired and inactive look the same)."""
    if not token or len(token) > 32:
        return None
    form = db.session.scalar(select(LeadWebForm).where(LeadWebForm.token == token.lower()))
    return form if form is not None and form.is_active else None


def _clean(name, fields, campaign_id, auto_assign, intro_text, thank_you_text, is_active) -> dict:
    chosen = [f for f in FIELDS if f in set(fields or ())]
    if not any(f in chosen for f in CONTACT_FIELDS):
        raise DomainError(_("Ask for the mobile or the email (or both): a visitor must leave one of them."),
                          field="fields")
    if campaign_id is not None:
        from ..campaigns.models import Campaign
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or campaign.deleted_at is not None:
            raise DomainError(_("Choose a campaign from the list."), field="campaign_id")
    return {
        "name": clean_text(name, 100, "name", required=True), "fields": ",".join(chosen),
        "campaign_id": campaign_id, "auto_assign": bool(auto_assign),
        "intro_text": clean_text(intro_text, 2000, "intro_text"),
        "thank_you_text": clean_text(thank_you_text, 2000, "thank_you_text"), "is_active": bool(is_active),
    }


def create_form(actor: User, *, name: str, fields, campaign_id: int | None = None, auto_assign: bool = True,
                intro_text: str | None = None, thank_you_text: str | None = None,
                is_active: bool = True) -> LeadWebForm:
    """Add a web form with a new random address."""
    form = LeadWebForm(**_clean(name, fields, campaign_id, auto_assign, intro_text, thank_you_text, is_active),
                       token=new_token(), created_by_id=actor.id if actor else None)
    db.session.add(form)
    db.session.flush()
    audit.record(actor, "lead_web_form.created", form, {name: [None, getattr(form, name)] for name in FORM_FIELDS})
    return form


def update_form(actor: User, form: LeadWebForm, *, name: str, fields, campaign_id: int | None = None,
                auto_assign: bool = True, intro_text: str | None = None, thank_you_text: str | None = None,
                is_active: bool = True) -> LeadWebForm:
    before = audit.snapshot(form, FORM_FIELDS)
    for key, value in _clean(name, fields, campaign_id, auto_assign, intro_text, thank_you_text, is_active).items():
        setattr(form, key, value)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(form, FORM_FIELDS))
    if changes:
        audit.record(actor, "lead_web_form.updated", form, changes)
    return form


def regenerate_token(actor: User, form: LeadWebForm) -> LeadWebForm:
    """Give the form a new address; the old one answers 404 from now on (e.g. after spam found the old one)."""
    form.token = new_token()
    db.session.flush()
    audit.record(actor, "lead_web_form.token_regenerated", form)
    return form


def delete_form(actor: User, form: LeadWebForm) -> None:
    """Remove a form; its leads stay (they keep the form's id, shown as a deleted form)."""
    audit.record(actor, "lead_web_form.deleted", form, {name: [getattr(form, name), None] for name in FORM_FIELDS})
    db.session.execute(delete(LeadWebFormSubmission).where(LeadWebFormSubmission.web_form_id == form.id))
    db.session.delete(form)
    db.session.flush()


# --- the public side ------------------------------------------------------------------------------

class TooManySubmissions(DomainError):
    """The visitor's address sent the most enquiries a form accepts in the window."""


def recent_submissions(form: LeadWebForm, ip: str) -> int:
    since = utcnow() - RATE_WINDOW
    return db.session.scalar(select(func.count(LeadWebFormSubmission.id)).where(
        LeadWebFormSubmission.web_form_id == form.id, LeadWebFormSubmission.ip == ip,
        LeadWebFormSubmission.created_at >= since)) or 0


def submit(form: LeadWebForm, ip: str, values: dict, honeypot: str | None = None):
    """A visitor's enquiry: refused over the rate limit; a filled honeypot (a bot) is counted but creates nothing
    (returns None, and the bot sees the usual thank-you page); otherwise the lead, with source "website", the
    form's campaign, scored and assigned by `create_lead`. Only flushes."""
    from .services import create_lead
    ip = (ip or "unknown")[:45]
    if recent_submissions(form, ip) >= RATE_LIMIT:
        raise TooManySubmissions(_("You have sent %(n)d enquiries in the last %(m)d minutes. Please wait a while "
                                   "and try again, or call us.", n=RATE_LIMIT,
                                   m=int(RATE_WINDOW.total_seconds() // 60)))
    # Old rows are only needed for the window; trimming here keeps the table small without a job.
    db.session.execute(delete(LeadWebFormSubmission).where(
        LeadWebFormSubmission.created_at < utcnow() - KEEP_SUBMISSIONS))
    if honeypot and honeypot.strip():
        db.session.add(LeadWebFormSubmission(web_form_id=form.id, ip=ip, outcome=HONEYPOT))
        db.session.flush()
        return None
    from .dictionaries import SOURCE, WEBSITE_FLAG
    source = item_with_flag(SOURCE, WEBSITE_FLAG)
    fields = {name: values.get(name) for name in ["name", *form.field_list]}
    lead = create_lead(None, **fields, source_id=source.id if source is not None else None,
                       campaign_id=form.campaign_id, web_form_id=form.id, assign="auto" if form.auto_assign else "pool")
    db.session.add(LeadWebFormSubmission(web_form_id=form.id, ip=ip, outcome=LEAD, lead_id=lead.id))
    db.session.flush()
    return lead
