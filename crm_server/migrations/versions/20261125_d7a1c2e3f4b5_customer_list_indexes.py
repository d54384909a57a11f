"""customer list indexes: one per sort and filter, each also counting by itself; phones as digits in search_text

Revision ID: d7a1c2e3f4b5
Revises: c3a5e1d2b4f6
Create Date: 2026-11-25 11:48:32.691516

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a1c2e3f4b5'
down_revision = 'c3a5e1d2b4f6'
branch_labels = None
depends_on = None

LIVE = ['id', 'deleted_at', 'owner_id']
LIVE_ORDER = ['updated_at'] + LIVE
# index name -> (columns now, columns before this revision)
CHANGED = {
    'ix_customers_live_updated': (LIVE_ORDER + ['created_at', 'owner_since', 'last_followup_at', 'next_followup_at'],
                                  ['updated_at', 'id', 'deleted_at']),
    'ix_customers_live_created': (['created_at'] + LIVE, ['created_at', 'id', 'deleted_at']),
    'ix_customers_live_name': (['name'] + LIVE, ['name', 'id', 'deleted_at']),
    'ix_customers_live_last_followup': (['last_followup_at'] + LIVE + ['owner_since', 'created_at'],
                                        ['last_followup_at', 'id', 'deleted_at']),
    'ix_customers_live_next_followup': (['next_followup_at'] + LIVE, ['next_followup_at', 'id', 'deleted_at']),
    'ix_customers_live_city': (['city'] + LIVE_ORDER, ['city', 'deleted_at', 'owner_id']),
    'ix_customers_city': (['province', 'city'] + LIVE, ['province', 'city', 'deleted_at', 'owner_id']),
}
NEW = {
    'ix_customers_live_kind': ['kind'] + LIVE_ORDER,
    'ix_customers_live_industry': ['industry_id'] + LIVE_ORDER,
    'ix_customers_live_source': ['source_id'] + LIVE_ORDER,
    'ix_customers_live_level': ['level_id'] + LIVE_ORDER,
    'ix_customers_live_status': ['status_id'] + LIVE_ORDER,
    'ix_customers_live_credit_rating': ['credit_rating'] + LIVE_ORDER,
    'ix_customers_live_province': ['province'] + LIVE_ORDER,
    'ix_customers_live_address': ['address'] + LIVE,
    'ix_customers_live_phone': ['phone'] + LIVE,
    'ix_customers_live_email': ['email'] + LIVE,
    'ix_customers_live_credit_code': ['credit_code'] + LIVE,
    'ix_customers_live_owner_since': ['owner_since'] + LIVE,
    'ix_customers_live_last_deal': ['last_deal_at'] + LIVE,
}
# single-column indexes the new ones lead with the same column (MariaDB keeps one for each foreign key, so the new
# index is made before the old one goes)
REPLACED = {
    'ix_customers_industry_id': ['industry_id'],
    'ix_customers_source_id': ['source_id'],
    'ix_customers_level_id': ['level_id'],
    'ix_customers_status_id': ['status_id'],
    'ix_customers_credit_rating': ['credit_rating'],
    'ix_customers_credit_code': ['credit_code'],
}


FOLLOWUPS_USER_NEXT = (['user_id', 'next_done_at', 'next_followup_at', 'customer_id'],
                       ['user_id', 'next_done_at', 'next_followup_at'])


def upgrade():
    _add_phone_digits_to_search_text()
    with op.batch_alter_table('followups', schema=None) as batch_op:  # + customer_id: the overdue plans per owner
        batch_op.drop_index('ix_followups_user_next')
        batch_op.create_index('ix_followups_user_next', FOLLOWUPS_USER_NEXT[0], unique=False)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        for name, columns in NEW.items():
            batch_op.create_index(name, columns, unique=False)
        for name in REPLACED:
            batch_op.drop_index(name)
        for name, (columns, _before) in CHANGED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        if op.get_bind().dialect.name == 'sqlite':  # the keyword search's narrow copy of search_text
            batch_op.create_index('ix_customers_search', ['search_text', 'deleted_at', 'owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_user_next')
        batch_op.create_index('ix_followups_user_next', FOLLOWUPS_USER_NEXT[1], unique=False)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        if op.get_bind().dialect.name == 'sqlite':
            batch_op.drop_index('ix_customers_search')
        for name, (_now, columns) in CHANGED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        for name, columns in REPLACED.items():
            batch_op.create_index(name, columns, unique=False)
        for name in NEW:
            batch_op.drop_index(name)


# --- search_text now holds every phone as digits too (customers.normalise.customer_search_text, as of this
# revision: the code here is frozen so that later changes to the application do not change this upgrade) ---

customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('name', sa.Unicode),
                     sa.column('short_name', sa.Unicode), sa.column('phone', sa.Unicode),
                     sa.column('email', sa.Unicode), sa.column('search_text', sa.UnicodeText))
contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('customer_id', sa.Integer),
                    sa.column('name', sa.Unicode), sa.column('mobile', sa.Unicode), sa.column('phone', sa.Unicode),
                    sa.column('deleted_at', sa.DateTime))
BATCH = 1000


def _digits(phone):
    if not phone:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            digits = digits[len(prefix):]
            break
    return digits[:40] or None


def _search_text(name, short_name, phone, email, rows):
    parts, phones = [name, short_name, phone, email], [phone]
    for contact_name, mobile, contact_phone in rows:
        parts += [contact_name, mobile, contact_phone]
        phones += [mobile, contact_phone]
    for number in phones:
        digits = _digits(number)
        if digits and digits != number:
            parts.append(digits)
    return "\u0001".join(unicodedata.normalize("NFKC", p).lower() for p in parts if p)


def _add_phone_digits_to_search_text():
    connection = op.get_bind()
    last = 0
    while True:
        batch = connection.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.short_name, customers.c.phone,
                      customers.c.email, customers.c.search_text)
            .where(customers.c.id > last).order_by(customers.c.id).limit(BATCH)).all()
        if not batch:
            return
        first, last = batch[0].id, batch[-1].id
        people = {}
        for row in connection.execute(
                sa.select(contacts.c.customer_id, contacts.c.name, contacts.c.mobile, contacts.c.phone)
                .where(contacts.c.customer_id.between(first, last), contacts.c.deleted_at.is_(None))
                .order_by(contacts.c.id)):
            people.setdefault(row.customer_id, []).append((row.name, row.mobile, row.phone))
        changed = []
        for row in batch:
            text = _search_text(row.name, row.short_name, row.phone, row.email, people.get(row.id, []))
            if text != row.search_text:
                changed.append({"key": row.id, "text": text})
        if changed:
            connection.execute(customers.update().where(customers.c.id == sa.bindparam("key"))
                               .values(search_text=sa.bindparam("text")), changed)
