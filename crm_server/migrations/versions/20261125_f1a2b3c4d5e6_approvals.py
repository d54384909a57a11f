"""approval flows and requests

Revision ID: f1a2b3c4d5e6
Revises: e4d5e6f7a8b9
Create Date: 2026-11-25 15:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'e4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('approval_flows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.Unicode(length=30), nullable=False),
    sa.Column('name', sa.Unicode(length=100), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Unicode(length=500), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_flows'))
    )
    with op.batch_alter_table('approval_flows', schema=None) as batch_op:
        batch_op.create_index('ix_approval_flows_type', ['document_type', 'is_active', 'priority', 'id'], unique=False)

    op.create_table('approval_conditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('fact', sa.Unicode(length=30), nullable=False),
    sa.Column('operator', sa.Unicode(length=10), nullable=False),
    sa.Column('value', sa.Unicode(length=60), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['approval_flows.id'], name=op.f('fk_approval_conditions_flow_id_approval_flows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_conditions'))
    )
    with op.batch_alter_table('approval_conditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_conditions_flow_id'), ['flow_id'], unique=False)

    op.create_table('approval_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.Unicode(length=30), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=True),
    sa.Column('flow_name', sa.Unicode(length=100), nullable=False),
    sa.Column('step_count', sa.Integer(), nullable=False),
    sa.Column('current_position', sa.Integer(), nullable=False),
    sa.Column('status', sa.Unicode(length=10), nullable=False),
    sa.Column('title', sa.Unicode(length=200), nullable=False),
    sa.Column('amount', crm_server.core.types.Money(precision=18, scale=2), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['flow_id'], ['approval_flows.id'], name=op.f('fk_approval_requests_flow_id_approval_flows'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_approval_requests_owner_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_approval_requests_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_requests'))
    )
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.create_index('ix_approval_requests_document', ['document_type', 'document_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_requests_status', ['status', 'submitted_at', 'id'], unique=False)
        batch_op.create_index('ix_approval_requests_submitter', ['submitted_by_id', 'status', 'submitted_at', 'id'], unique=False)

    op.create_table('approval_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=100), nullable=False),
    sa.Column('approver_kind', sa.Unicode(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['flow_id'], ['approval_flows.id'], name=op.f('fk_approval_steps_flow_id_approval_flows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_approval_steps_role_id_roles')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_approval_steps_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_steps'))
    )
    with op.batch_alter_table('approval_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_steps_flow_id'), ['flow_id'], unique=False)

    op.create_table('approval_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('step_name', sa.Unicode(length=100), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Unicode(length=20), nullable=False),
    sa.Column('comment', sa.Unicode(length=500), nullable=True),
    sa.Column('at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_approval_events_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_requests.id'], name=op.f('fk_approval_events_request_id_approval_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_events'))
    )
    with op.batch_alter_table('approval_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_events_request_id'), ['request_id'], unique=False)

    op.create_table('approval_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step_name', sa.Unicode(length=100), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Unicode(length=10), nullable=False),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_approval_tasks_approver_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_requests.id'], name=op.f('fk_approval_tasks_request_id_approval_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_tasks'))
    )
    with op.batch_alter_table('approval_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_approval_tasks_approver', ['approver_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_tasks_request_id'), ['request_id'], unique=False)


def downgrade():
    # tables, not their FK-backed indexes (MariaDB refuses to drop those first)
    op.drop_table('approval_tasks')
    op.drop_table('approval_events')
    op.drop_table('approval_steps')
    op.drop_table('approval_requests')
    op.drop_table('approval_conditions')
    op.drop_table('approval_flows')
