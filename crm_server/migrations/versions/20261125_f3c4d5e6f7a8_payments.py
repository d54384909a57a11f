"""payment plans, payments and invoices

Revision ID: f3c4d5e6f7a8
Revises: f2b3c4d5e6f7
Create Date: 2026-11-25 15:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f3c4d5e6f7a8'
down_revision = 'f2b3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Unicode(length=30), nullable=False),
    sa.Column('invoice_type', sa.Unicode(length=10), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('tax_rate', crm_server.core.types.Percent(precision=7, scale=2), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Unicode(length=10), nullable=False),
    sa.Column('title', sa.Unicode(length=200), nullable=True),
    sa.Column('remarks', sa.Unicode(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_invoices_contract_id_contracts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_invoices_customer_id_customers')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_invoices_owner_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_invoices_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_contract', ['contract_id', 'issued_on', 'id'], unique=False)
        batch_op.create_index('ix_invoices_issued_on', ['issued_on', 'id', 'owner_id'], unique=False)
        batch_op.create_index('ix_invoices_owner', ['owner_id', 'issued_on', 'id'], unique=False)
        batch_op.create_index('ix_invoices_status', ['status', 'issued_on', 'id', 'owner_id'], unique=False)
        batch_op.create_index('ix_invoices_customer', ['customer_id', 'issued_on', 'id', 'owner_id'], unique=False)
        batch_op.create_index('ix_invoices_type', ['invoice_type', 'issued_on', 'id', 'owner_id'], unique=False)

    op.create_table('payment_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('received_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('is_effective', sa.Boolean(), nullable=False),
    sa.Column('remarks', sa.Unicode(length=200), nullable=True),
    sa.Column('overdue_reminded_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payment_instalments_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payment_instalments_customer_id_customers')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_payment_instalments_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_instalments'))
    )
    with op.batch_alter_table('payment_instalments', schema=None) as batch_op:
        batch_op.create_index('ix_instalments_aging', ['is_effective', 'is_open', 'due_date', 'owner_id', 'customer_id', 'contract_id', 'amount', 'received_amount'], unique=False)
        batch_op.create_index('ix_instalments_contract', ['contract_id', 'sequence'], unique=False)
        batch_op.create_index('ix_instalments_customer', ['customer_id', 'is_effective', 'is_open', 'due_date', 'owner_id', 'amount', 'received_amount'], unique=False)
        batch_op.create_index('ix_instalments_owner_aging', ['owner_id', 'is_effective', 'is_open', 'due_date', 'customer_id', 'amount', 'received_amount'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('method', sa.Unicode(length=20), nullable=False),
    sa.Column('account', sa.Unicode(length=100), nullable=True),
    sa.Column('reference', sa.Unicode(length=100), nullable=True),
    sa.Column('status', sa.Unicode(length=10), nullable=False),
    sa.Column('unallocated_amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('remarks', sa.Unicode(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payments_customer_id_customers')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_payments_owner_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_contract', ['contract_id', 'received_on', 'id'], unique=False)
        batch_op.create_index('ix_payments_customer', ['customer_id', 'received_on', 'id'], unique=False)
        batch_op.create_index('ix_payments_owner', ['owner_id', 'received_on', 'id', 'status'], unique=False)
        batch_op.create_index('ix_payments_received_on', ['received_on', 'id', 'owner_id', 'status'], unique=False)
        batch_op.create_index('ix_payments_status', ['status', 'received_on', 'id', 'owner_id', 'amount'], unique=False)
        batch_op.create_index('ix_payments_method', ['method', 'received_on', 'id', 'owner_id', 'status'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('instalment_id', sa.Integer(), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['instalment_id'], ['payment_instalments.id'], name=op.f('fk_payment_allocations_instalment_id_payment_instalments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocations_instalment_id'), ['instalment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_payment_id'), ['payment_id'], unique=False)

    # declared in payments/models.py: the receivables list's covering index on the contracts table
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index('ix_contracts_receivable', ['status', 'revision_of_id', 'deleted_at', 'amount', 'received_amount', 'owner_id', 'customer_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_receivable')
    # tables, not their FK-backed indexes (MariaDB refuses to drop those first)
    op.drop_table('payment_allocations')
    op.drop_table('payments')
    op.drop_table('payment_instalments')
    op.drop_table('invoices')
