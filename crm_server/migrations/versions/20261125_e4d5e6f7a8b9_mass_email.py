"""mass email

Revision ID: e4d5e6f7a8b9
Revises: e3c4d5e6f7a8
Create Date: 2026-11-25 13:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import crm_server.core.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e4d5e6f7a8b9'
down_revision = 'e3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Unicode(length=100), nullable=False),
    sa.Column('subject', sa.Unicode(length=200), nullable=False),
    sa.Column('body', sa.UnicodeText(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mail_templates_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_templates'))
    )
    with op.batch_alter_table('mail_templates', schema=None) as batch_op:
        batch_op.create_index('ix_mail_templates_name', ['name', 'id'], unique=False)

    op.create_table('mail_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.Unicode(length=200), nullable=False),
    sa.Column('body', sa.UnicodeText(), nullable=False),
    sa.Column('audience', sa.Unicode(length=500), nullable=True),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.Unicode(length=300), nullable=False),
    sa.Column('status', sa.Unicode(length=20), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('bounced_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_mail_jobs_sender_id_users')),
    sa.ForeignKeyConstraint(['template_id'], ['mail_templates.id'], name=op.f('fk_mail_jobs_template_id_mail_templates'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_jobs'))
    )
    with op.batch_alter_table('mail_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_mail_jobs_sender', ['sender_id', 'id'], unique=False)
        batch_op.create_index('ix_mail_jobs_status', ['status', 'id'], unique=False)

    op.create_table('mail_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.Unicode(length=120), nullable=False),
    sa.Column('name', sa.Unicode(length=200), nullable=True),
    sa.Column('source_type', sa.Unicode(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('merge_values', sa.UnicodeText(), nullable=False),
    sa.Column('unsubscribe_token', sa.Unicode(length=64), nullable=False),
    sa.Column('status', sa.Unicode(length=20), nullable=False),
    sa.Column('error', sa.Unicode(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', crm_server.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['mail_jobs.id'], name=op.f('fk_mail_recipients_job_id_mail_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_recipients'))
    )
    with op.batch_alter_table('mail_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_mail_recipients_job_status', ['job_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_mail_recipients_status', ['status', 'job_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_recipients_unsubscribe_token'), ['unsubscribe_token'], unique=False)

    op.create_table('mail_suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.Unicode(length=120), nullable=False),
    sa.Column('reason', sa.Unicode(length=20), nullable=False),
    sa.Column('detail', sa.Unicode(length=500), nullable=True),
    sa.Column('created_at', crm_server.core.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_suppressions')),
    sa.UniqueConstraint('address', name=op.f('uq_mail_suppressions_address'))
    )


def downgrade():
    op.drop_table('mail_suppressions')
    op.drop_table('mail_recipients')
    op.drop_table('mail_jobs')
    op.drop_table('mail_templates')
