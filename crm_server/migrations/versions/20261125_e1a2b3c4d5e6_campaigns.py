"""campaigns

Revision ID: e1a2b3c4d5e6
Revises: d4e5f6a7b8c9
Create Date: 2026-11-25 13:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5e6'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=200), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('budget', crm_server.core.types.Money(), nullable=True),
    sa.Column('actual_cost', crm_server.core.types.Money(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Unicode(length=12), nullable=False),
    sa.Column('description', sa.UnicodeText(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users')),
    sa.ForeignKeyConstraint(['kind_id'], ['dictionary_items.id'], name=op.f('fk_campaigns_kind_id_dictionary_items')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_campaigns_owner_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_campaigns_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    live = ['id', 'deleted_at', 'owner_id']
    live_order = ['updated_at', *live]
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_owner_live', ['owner_id', 'deleted_at', 'id'], unique=False)
        batch_op.create_index('ix_campaigns_updated', [*live_order, 'start_date'], unique=False)
        batch_op.create_index('ix_campaigns_status', ['status', *live_order, 'start_date'], unique=False)
        batch_op.create_index('ix_campaigns_kind', ['kind_id', *live_order, 'start_date'], unique=False)
        batch_op.create_index('ix_campaigns_start', ['start_date', *live], unique=False)
        batch_op.create_index('ix_campaigns_name', ['name', *live], unique=False)

    op.create_table('campaign_customers',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Unicode(length=200), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_campaign_customers_added_by_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_customers_campaign_id_campaigns'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_campaign_customers_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'customer_id', name=op.f('pk_campaign_customers'))
    )
    with op.batch_alter_table('campaign_customers', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_customers_customer', ['customer_id', 'campaign_id'], unique=False)

    # the campaign an opportunity came from; the index covers the campaign results' grouped sums
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_opportunities_campaign', ['campaign_id', 'status', 'deleted_at', 'amount'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_opportunities_campaign_id_campaigns'), 'campaigns',
                                    ['campaign_id'], ['id'])


def downgrade():
    # indexes go with their tables (MariaDB refuses to drop one that a foreign key still needs)
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opportunities_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_index('ix_opportunities_campaign')
        batch_op.drop_column('campaign_id')
    op.drop_table('campaign_customers')
    op.drop_table('campaigns')
