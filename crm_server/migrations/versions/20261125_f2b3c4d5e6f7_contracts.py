"""contracts

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-11-25 15:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f2b3c4d5e6f7'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=100), nullable=False),
    sa.Column('contract_type', sa.Unicode(length=20), nullable=True),
    sa.Column('body', sa.UnicodeText(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_contract_templates_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_contract_templates_name'))
    )

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Unicode(length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('revision_of_id', sa.Integer(), nullable=True),
    sa.Column('renewed_from_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.Unicode(length=200), nullable=False),
    sa.Column('contract_type', sa.Unicode(length=20), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('overall_discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('sign_date', sa.Date(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('payment_terms', sa.Unicode(length=200), nullable=True),
    sa.Column('payment_days', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Unicode(length=12), nullable=False),
    sa.Column('remarks', sa.UnicodeText(), nullable=True),
    sa.Column('termination_reason', sa.Unicode(length=500), nullable=True),
    sa.Column('received_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('invoiced_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('submitted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('approved_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('renewal_reminded_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contracts_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contracts_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contracts_customer_id_customers')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_contracts_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contracts_owner_id_users')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_contracts_quote_id_quotes')),
    sa.ForeignKeyConstraint(['renewed_from_id'], ['contracts.id'], name=op.f('fk_contracts_renewed_from_id_contracts')),
    sa.ForeignKeyConstraint(['revision_of_id'], ['contracts.id'], name=op.f('fk_contracts_revision_of_id_contracts')),
    sa.ForeignKeyConstraint(['template_id'], ['contract_templates.id'], name=op.f('fk_contracts_template_id_contract_templates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_contracts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', 'revision', name='uq_contracts_number_revision')
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index('ix_contracts_customer', ['customer_id', 'revision_of_id', 'deleted_at', 'id'], unique=False)
        batch_op.create_index('ix_contracts_amount', ['revision_of_id', 'amount', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_number', ['revision_of_id', 'number', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_type', ['contract_type', 'revision_of_id', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_end_date', ['status', 'end_date', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_end', ['revision_of_id', 'end_date', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_opportunity', ['opportunity_id'], unique=False)
        batch_op.create_index('ix_contracts_owner', ['owner_id', 'revision_of_id', 'deleted_at', 'status', 'id'], unique=False)
        batch_op.create_index('ix_contracts_quote', ['quote_id'], unique=False)
        batch_op.create_index('ix_contracts_renewed_from', ['renewed_from_id'], unique=False)
        batch_op.create_index('ix_contracts_revision_of', ['revision_of_id', 'id'], unique=False)
        batch_op.create_index('ix_contracts_sign_date', ['revision_of_id', 'sign_date', 'id', 'deleted_at', 'owner_id', 'status', 'amount'], unique=False)
        batch_op.create_index('ix_contracts_status', ['status', 'revision_of_id', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_contracts_updated', ['revision_of_id', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)

    op.create_table('contract_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.Unicode(length=200), nullable=False),
    sa.Column('stored_name', sa.Unicode(length=100), nullable=False),
    sa.Column('content_type', sa.Unicode(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('is_signed_scan', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_attachments_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_contract_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_attachments'))
    )
    with op.batch_alter_table('contract_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_attachments_contract_id'), ['contract_id'], unique=False)

    op.create_table('contract_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Unicode(length=200), nullable=False),
    sa.Column('specification', sa.Unicode(length=200), nullable=True),
    sa.Column('unit', sa.Unicode(length=20), nullable=True),
    sa.Column('quantity', crm_server.core.types.Quantity(precision=18, scale=2), nullable=False),
    sa.Column('unit_price', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('tax_rate', crm_server.core.types.Percent(precision=7, scale=2), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_lines_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_contract_lines_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_lines'))
    )
    with op.batch_alter_table('contract_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_lines_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_lines_product_id'), ['product_id'], unique=False)


def downgrade():
    # tables, not their FK-backed indexes (MariaDB refuses to drop those first)
    op.drop_table('contract_lines')
    op.drop_table('contract_attachments')
    op.drop_table('contracts')
    op.drop_table('contract_templates')
