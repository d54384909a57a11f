"""leads: leads, their follow-ups and the round-robin assignment team

Revision ID: e2b3c4d5e6f7
Revises: e1a2b3c4d5e6
Create Date: 2026-11-25 13:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e2b3c4d5e6f7'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=60), nullable=False),
    sa.Column('company', sa.Unicode(length=200), nullable=True),
    sa.Column('title', sa.Unicode(length=60), nullable=True),
    sa.Column('mobile', sa.Unicode(length=40), nullable=True),
    sa.Column('phone', sa.Unicode(length=40), nullable=True),
    sa.Column('email', sa.Unicode(length=120), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('industry_id', sa.Integer(), nullable=True),
    sa.Column('company_size', sa.Unicode(length=10), nullable=True),
    sa.Column('requirement', sa.UnicodeText(), nullable=True),
    sa.Column('budget', crm_server.core.types.Money(precision=18, scale=2), nullable=True),
    sa.Column('urgency', sa.Unicode(length=10), nullable=False),
    sa.Column('province', sa.Unicode(length=30), nullable=True),
    sa.Column('city', sa.Unicode(length=30), nullable=True),
    sa.Column('address', sa.Unicode(length=200), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Unicode(length=12), nullable=False),
    sa.Column('invalid_reason', sa.Unicode(length=500), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Unicode(length=1), nullable=True),
    sa.Column('name_key', sa.Unicode(length=200), nullable=False),
    sa.Column('phone_digits', sa.Unicode(length=40), nullable=True),
    sa.Column('email_key', sa.Unicode(length=120), nullable=True),
    sa.Column('search_text', sa.UnicodeText(), nullable=False),
    sa.Column('web_form_id', sa.Integer(), nullable=True),
    sa.Column('converted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('converted_customer_id', sa.Integer(), nullable=True),
    sa.Column('converted_contact_id', sa.Integer(), nullable=True),
    sa.Column('converted_opportunity_id', sa.Integer(), nullable=True),
    sa.Column('converted_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('last_followup_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_leads_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['converted_by_id'], ['users.id'], name=op.f('fk_leads_converted_by_id_users')),
    sa.ForeignKeyConstraint(['converted_contact_id'], ['contacts.id'], name=op.f('fk_leads_converted_contact_id_contacts')),
    sa.ForeignKeyConstraint(['converted_customer_id'], ['customers.id'], name=op.f('fk_leads_converted_customer_id_customers')),
    sa.ForeignKeyConstraint(['converted_opportunity_id'], ['opportunities.id'], name=op.f('fk_leads_converted_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_leads_created_by_id_users')),
    sa.ForeignKeyConstraint(['industry_id'], ['dictionary_items.id'], name=op.f('fk_leads_industry_id_dictionary_items')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['leads.id'], name=op.f('fk_leads_merged_into_id_leads')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.ForeignKeyConstraint(['source_id'], ['dictionary_items.id'], name=op.f('fk_leads_source_id_dictionary_items')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_leads_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_campaign_status', ['campaign_id', 'status', 'deleted_at'], unique=False)
        batch_op.create_index('ix_leads_converted_customer', ['converted_customer_id', 'deleted_at'], unique=False)
        batch_op.create_index('ix_leads_email_key', ['email_key'], unique=False)
        batch_op.create_index('ix_leads_live_campaign', ['campaign_id', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_company', ['company', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_created', ['created_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_grade', ['grade', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_last_followup', ['last_followup_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_name', ['name', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_score', ['score', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_source', ['source_id', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_status', ['status', 'updated_at', 'id', 'deleted_at', 'owner_id'], unique=False)
        batch_op.create_index('ix_leads_live_updated', ['updated_at', 'id', 'deleted_at', 'owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_leads_name_key', ['name_key'], unique=False)
        batch_op.create_index('ix_leads_owner_live', ['owner_id', 'updated_at', 'id', 'deleted_at', 'status', 'grade', 'source_id', 'campaign_id', 'last_followup_at', 'company'], unique=False)
        batch_op.create_index('ix_leads_phone_digits', ['phone_digits'], unique=False)
        batch_op.create_index('ix_leads_web_form', ['web_form_id', 'created_at'], unique=False)
        if op.get_bind().dialect.name == 'sqlite':  # the keyword search's narrow copy
            batch_op.create_index('ix_leads_search', ['search_text', 'deleted_at', 'owner_id'], unique=False)

    op.create_table('lead_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Unicode(length=20), nullable=False),
    sa.Column('happened_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('content', sa.UnicodeText(), nullable=False),
    sa.Column('outcome', sa.Unicode(length=500), nullable=True),
    sa.Column('next_step', sa.Unicode(length=500), nullable=True),
    sa.Column('next_followup_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_followups_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lead_followups_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_followups'))
    )
    with op.batch_alter_table('lead_followups', schema=None) as batch_op:
        batch_op.create_index('ix_lead_followups_lead_time', ['lead_id', 'happened_at', 'id'], unique=False)
        batch_op.create_index('ix_lead_followups_user_time', ['user_id', 'happened_at', 'kind'], unique=False)

    op.create_table('lead_assignees',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('receives_a_grade', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_assigned_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('last_turn', sa.Integer(), nullable=True),
    sa.Column('added_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lead_assignees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_lead_assignees'))
    )


def downgrade():
    # indexes go with their tables (MariaDB refuses to drop one that a foreign key still needs)
    op.drop_table('lead_assignees')
    op.drop_table('lead_followups')
    op.drop_table('leads')
