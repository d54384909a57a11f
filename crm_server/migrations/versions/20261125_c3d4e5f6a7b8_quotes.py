"""quotes: quotes, their lines, discount limits per role, and the number counters (core/numbering.py)

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7
Create Date: 2026-11-25 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import crm_server.core.types


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b2c3d4e5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_counters',
    sa.Column('series', sa.Unicode(length=30), nullable=False),
    sa.Column('period', sa.Unicode(length=10), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'period', name=op.f('pk_number_counters'))
    )
    op.create_table('quote_discount_limits',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('max_discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_quote_discount_limits_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', name=op.f('pk_quote_discount_limits'))
    )
    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Unicode(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Unicode(length=200), nullable=False),
    sa.Column('status', sa.Unicode(length=10), nullable=False),
    sa.Column('quote_date', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=True),
    sa.Column('delivery_terms', sa.Unicode(length=200), nullable=True),
    sa.Column('payment_terms', sa.Unicode(length=200), nullable=True),
    sa.Column('remarks', sa.UnicodeText(), nullable=True),
    sa.Column('overall_discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('subtotal', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('discount_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('net_total', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('tax_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('total', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('max_discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('approval_comment', sa.Unicode(length=500), nullable=True),
    sa.Column('sent_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_quotes_approved_by_id_users')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_quotes_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_quotes_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_quotes_customer_id_customers')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_quotes_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_quotes_owner_id_users')),
    sa.ForeignKeyConstraint(['previous_id'], ['quotes.id'], name=op.f('fk_quotes_previous_id_quotes')),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], name=op.f('fk_quotes_price_list_id_price_lists')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_quotes_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_quotes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('number', 'version', name='uq_quotes_number_version')
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index('ix_quotes_customer', ['customer_id', 'quote_date', 'id'], unique=False)
        batch_op.create_index('ix_quotes_expiry', ['status', 'valid_until'], unique=False)
        batch_op.create_index('ix_quotes_latest_date', ['is_latest', 'quote_date', 'id'], unique=False)
        batch_op.create_index('ix_quotes_opportunity', ['opportunity_id', 'quote_date', 'id'], unique=False)
        batch_op.create_index('ix_quotes_owner', ['owner_id', 'is_latest', 'quote_date', 'id'], unique=False)
        batch_op.create_index('ix_quotes_previous', ['previous_id'], unique=False)
        batch_op.create_index('ix_quotes_status', ['status', 'is_latest', 'quote_date', 'id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Unicode(length=200), nullable=False),
    sa.Column('specification', sa.Unicode(length=200), nullable=True),
    sa.Column('unit', sa.Unicode(length=20), nullable=True),
    sa.Column('quantity', crm_server.core.types.Quantity(precision=18, scale=2), nullable=False),
    sa.Column('list_price', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('unit_price', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('tax_rate', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('net_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('tax_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_quote_lines_product_id_products')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_lines_quote_id_quotes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_lines_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_lines_quote_id'), ['quote_id'], unique=False)


def downgrade():
    # indexes go with their tables (MariaDB refuses to drop one that a foreign key still needs)
    op.drop_table('quote_lines')
    op.drop_table('quotes')
    op.drop_table('quote_discount_limits')
    op.drop_table('number_counters')
