"""the tiles each user chose for the home dashboard

Revision ID: f4d5e6f7a8b9
Revises: f3c4d5e6f7a8
Create Date: 2026-11-25 16:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f4d5e6f7a8b9'
down_revision = 'f3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_tiles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('tile_key', sa.Unicode(length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dashboard_tiles_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'tile_key', name=op.f('pk_dashboard_tiles')),
    )


def downgrade():
    op.drop_table('dashboard_tiles')
