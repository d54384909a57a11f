"""lead scoring and web forms

Revision ID: e3c4d5e6f7a8
Revises: e2b3c4d5e6f7
Create Date: 2026-11-25 13:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e3c4d5e6f7a8'
down_revision = 'e2b3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lead_scoring_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.Unicode(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Unicode(length=40), nullable=True),
    sa.Column('min_amount', crm_server.core.types.Money(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['dictionary_items.id'],
                            name=op.f('fk_lead_scoring_rules_item_id_dictionary_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_scoring_rules'))
    )
    with op.batch_alter_table('lead_scoring_rules', schema=None) as batch_op:
        batch_op.create_index('ix_lead_scoring_rules_active', ['is_active', 'criterion', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_scoring_rules_item_id'), ['item_id'], unique=False)

    op.create_table('lead_web_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=100), nullable=False),
    sa.Column('token', sa.Unicode(length=32), nullable=False),
    sa.Column('fields', sa.Unicode(length=200), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('auto_assign', sa.Boolean(), nullable=False),
    sa.Column('intro_text', sa.UnicodeText(), nullable=True),
    sa.Column('thank_you_text', sa.UnicodeText(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_lead_web_forms_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lead_web_forms_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_web_forms')),
    sa.UniqueConstraint('token', name=op.f('uq_lead_web_forms_token'))
    )
    with op.batch_alter_table('lead_web_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_web_forms_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('lead_web_form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('web_form_id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.Unicode(length=45), nullable=False),
    sa.Column('outcome', sa.Unicode(length=10), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['web_form_id'], ['lead_web_forms.id'],
                            name=op.f('fk_lead_web_form_submissions_web_form_id_lead_web_forms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_web_form_submissions'))
    )
    with op.batch_alter_table('lead_web_form_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_lead_web_form_submissions_created', ['created_at'], unique=False)
        batch_op.create_index('ix_lead_web_form_submissions_ip', ['web_form_id', 'ip', 'created_at'], unique=False)


def downgrade():
    op.drop_table('lead_web_form_submissions')
    op.drop_table('lead_web_forms')
    op.drop_table('lead_scoring_rules')
