"""quotas

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-11-25 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sales_quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_sales_quotas_updated_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sales_quotas_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quotas')),
    sa.UniqueConstraint('user_id', 'year', 'month', name=op.f('uq_sales_quotas_user_id_year_month'))
    )
    with op.batch_alter_table('sales_quotas', schema=None) as batch_op:
        batch_op.create_index('ix_sales_quotas_period', ['year', 'month', 'user_id'], unique=False)

    op.create_table('sales_commits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(), nullable=False),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sales_commits_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_commits')),
    sa.UniqueConstraint('user_id', 'year', 'quarter', name=op.f('uq_sales_commits_user_id_year_quarter'))
    )
    with op.batch_alter_table('sales_commits', schema=None) as batch_op:
        batch_op.create_index('ix_sales_commits_period', ['year', 'quarter', 'user_id'], unique=False)

    # Covering indexes for the forecast's grouped sums (declared in Opportunity.__table_args__).
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.create_index('ix_opportunities_forecast_open', ['status', 'expected_close_date', 'owner_id',
                                                                 'deleted_at', 'amount', 'probability'], unique=False)
        batch_op.create_index('ix_opportunities_forecast_won', ['status', 'closed_on', 'owner_id', 'deleted_at',
                                                                'amount'], unique=False)


def downgrade():
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunities_forecast_won')
        batch_op.drop_index('ix_opportunities_forecast_open')
    with op.batch_alter_table('sales_commits', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_commits_period')
    op.drop_table('sales_commits')
    with op.batch_alter_table('sales_quotas', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_quotas_period')
    op.drop_table('sales_quotas')
