"""联系人: the people at a customer."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin, User
from ..core.types import UTCDateTime
from ..customers.models import Customer
from ..extensions import db


class Contact(TimestampMixin, db.Model):
    """A person at a customer. Who may see a contact is decided by its customer."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    name: Mapped[str] = mapped_column(Unicode(60), nullable=False)
    title: Mapped[str | None] = mapped_column(Unicode(60))
    department: Mapped[str | None] = mapped_column(Unicode(60))
    mobile: Mapped[str | None] = mapped_column(Unicode(40))
    phone: Mapped[str | None] = mapped_column(Unicode(40))
    email: Mapped[str | None] = mapped_column(Unicode(120))
    wechat: Mapped[str | None] = mapped_column(Unicode(60))
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    # "MM-DD" of the birthday: the daily reminder job finds today's birthdays through an index.
    birthday_md: Mapped[str | None] = mapped_column(Unicode(5), index=True)
    gender: Mapped[str | None] = mapped_column(Unicode(10))          # male / female
    decision_role: Mapped[str | None] = mapped_column(Unicode(20))   # decision_maker / influencer / user / ...
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    remarks: Mapped[str | None] = mapped_column(UnicodeText)
    mobile_digits: Mapped[str | None] = mapped_column(Unicode(40), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_contacts_customer", "customer_id", "deleted_at", "is_primary"),
        Index("ix_contacts_name", "name"),
        # the contact list: newest first, and its decision-role filter
        Index("ix_contacts_live_created", "deleted_at", "created_at", "id"),
        Index("ix_contacts_decision_role", "decision_role", "deleted_at"),
    )

    def __str__(self) -> str:
        return self.name


def chosen_contact(customer, contact_id: int | None) -> Contact | None:
    """The live contact of `customer` a form chose (None when none was); DomainError beside `contact_id` when it
    is not one of the customer's."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    from ..core.errors import DomainError
    if not contact_id:
        return None
    contact = db.session.scalar(select(Contact).where(Contact.id == contact_id, Contact.customer_id == customer.id,
                                                      Contact.deleted_at.is_(None)))
    if contact is None:
        raise DomainError(_("Choose a contact of this customer."), "contact_id")
    return contact
