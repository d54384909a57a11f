"""follow-up counts per user and site day (the activity report reads them), filled from the follow-ups; an index
for the customers report's 30/60/90 days without a follow-up

Revision ID: f5e6f7a8b9c0
Revises: f4d5e6f7a8b9
Create Date: 2026-11-25 17:00:00

"""
import datetime as dt
import zoneinfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5e6f7a8b9c0'
down_revision = 'f4d5e6f7a8b9'
branch_labels = None
depends_on = None

DEFAULT_ZONE = 'Asia/Shanghai'
READ_BATCH = 5000
INSERT_BATCH = 500  # 5 parameters a row: within SQL Server's 2,100 a statement
METRICS = ('calls', 'visits', 'other')
CUSTOMERS_FOLLOWUP_AGE = ['owner_id', 'deleted_at', 'last_followup_at', 'owner_since', 'created_at']


def _site_zone():
    """The [app] time zone of the running application (flask db upgrade, upgrade_schema), else Shanghai."""
    try:
        from flask import current_app
        return zoneinfo.ZoneInfo(current_app.config['CRM_SETTINGS'].timezone)
    except Exception:  # no application context, or no settings: the default of config.ini
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def _metric(kind):
    return 'calls' if kind == 'call' else 'visits' if kind == 'visit' else 'other'


def upgrade():
    counts = op.create_table(
        'followup_day_counts',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('other', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_followup_day_counts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_followup_day_counts')),
        sqlite_with_rowid=False,  # SQLite: stored in key order, a user's days read without a lookup per row
    )
    _backfill(counts)
    op.create_index('ix_followup_day_counts_day', 'followup_day_counts',
                    ['day', 'user_id', 'calls', 'visits', 'other'], unique=False)
    op.create_index('ix_customers_followup_age', 'customers', CUSTOMERS_FOLLOWUP_AGE, unique=False)
    # the sales report's won amount per industry: per customer from this index alone
    op.create_index('ix_opportunities_won_customer', 'opportunities',
                    ['status', 'closed_on', 'customer_id', 'owner_id', 'deleted_at', 'amount'], unique=False)


def _backfill(counts):
    """Count the follow-ups per user and local day, reading them in batches by id, and insert the counts."""
    bind = op.get_bind()
    followups = sa.table('followups', sa.column('id', sa.Integer()), sa.column('user_id', sa.Integer()),
                         sa.column('kind', sa.Unicode(20)), sa.column('happened_at', sa.DateTime()))
    zone = _site_zone()
    utc = dt.timezone.utc
    found = {}
    last = 0
    while True:
        rows = bind.execute(sa.select(followups.c.id, followups.c.user_id, followups.c.kind,
                                      followups.c.happened_at)
                            .where(followups.c.id > last).order_by(followups.c.id).limit(READ_BATCH)).all()
        if not rows:
            break
        for _id, user_id, kind, happened_at in rows:
            if isinstance(happened_at, str):  # SQLite without the column's type: the stored text
                happened_at = dt.datetime.fromisoformat(happened_at)
            if happened_at.tzinfo is None:
                happened_at = happened_at.replace(tzinfo=utc)
            key = (user_id, happened_at.astimezone(zone).date())
            figures = found.get(key)
            if figures is None:
                figures = found[key] = {'calls': 0, 'visits': 0, 'other': 0}
            figures[_metric(kind)] += 1
        last = rows[-1][0]
    rows = [{'user_id': user_id, 'day': day, **figures} for (user_id, day), figures in sorted(found.items())]
    for start in range(0, len(rows), INSERT_BATCH):
        bind.execute(sa.insert(counts), rows[start:start + INSERT_BATCH])


def downgrade():
    op.drop_index('ix_opportunities_won_customer', table_name='opportunities')
    op.drop_index('ix_customers_followup_age', table_name='customers')
    op.drop_index('ix_followup_day_counts_day', table_name='followup_day_counts')
    op.drop_table('followup_day_counts')
