"""What the workbench shows: the user's own account, recent activity, and the dashboard tiles they chose (or their
role's defaults), each tile's figures cached per (tile, scope, data version) and its chart drawn once per scale."""
from __future__ import annotations

import datetime as dt

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..charts import render
from ..charts.cache import cached
from ..core import audit
from ..core.audit import AuditLog
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import Scope
from ..extensions import db
from ..reports.service import figure
from .models import DashboardTile
from .tiles import CHART, FALLBACK_ROLE, DEFAULT_BY_SCOPE, MAX_TILES, TILES, Tile, TileData

RECENT = 5

audit.register_actions({
    "dashboard.tiles_changed": _l("Changed the tiles of the home dashboard"),
    "dashboard.tiles_reset": _l("Reset the home dashboard to the role's tiles"),
})
audit.register_entity_labels({"dashboard_tiles": _l("Dashboard tiles")})


def recent_activity(user: User) -> list[AuditLog]:
    return list(db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == user.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(RECENT)))


# --- which tiles ---------------------------------------------------------------------------------

def available_tiles(user: User) -> list[Tile]:
    """The tiles the user may choose, in the registry's order."""
    return sorted((t for t in TILES.values() if t.available_to(user)), key=lambda t: (t.order, t.key))


def _default_role(user: User) -> str:
    code = user.role.code
    if any(code in t.defaults for t in TILES.values()):
        return code
    return DEFAULT_BY_SCOPE.get(user.role.data_scope, FALLBACK_ROLE)


def default_keys(user: User) -> list[str]:
    """The role's starting tiles (4–8 for the built-in roles) that the user may see."""
    role = _default_role(user)
    return [t.key for t in available_tiles(user) if role in t.defaults]


def chosen_keys(user: User) -> list[str]:
    """The user's tiles in their order: what they chose (less tiles they may no longer see), else the defaults."""
    stored = list(db.session.scalars(select(DashboardTile.tile_key).where(DashboardTile.user_id == user.id)
                                     .order_by(DashboardTile.position, DashboardTile.tile_key)))
    if not stored:
        return default_keys(user)
    allowed = {t.key for t in available_tiles(user)}
    return [key for key in stored if key in allowed]


def is_customised(user: User) -> bool:
    return db.session.scalar(select(DashboardTile.tile_key).where(DashboardTile.user_id == user.id).limit(1)) \
        is not None


def check_keys(user: User, keys: list[str]) -> list[str]:
    """The keys, refused (DomainError) when one is unknown, not available to the user, or given twice."""
    allowed = {t.key for t in available_tiles(user)}
    for key in keys:
        if key not in TILES:
            raise DomainError(_("There is no tile “%(key)s”.", key=str(key)[:40]))
        if key not in allowed:
            raise DomainError(_("The tile “%(title)s” is not available to you.", title=TILES[key].title))
    if len(set(keys)) != len(keys):
        raise DomainError(_("A tile is listed twice."))
    return keys


def save_tiles(actor: User, keys: list[str]) -> bool:
    """Store the actor's own tiles in this order (at least one). Audited; False when nothing changed."""
    keys = check_keys(actor, list(keys))
    if not keys:
        raise DomainError(_("Choose at least one tile."))
    if len(keys) > MAX_TILES:
        raise DomainError(_("Choose at most %(n)d tiles.", n=MAX_TILES))
    before = chosen_keys(actor)
    customised = is_customised(actor)
    if customised and before == keys:
        return False
    db.session.execute(delete(DashboardTile).where(DashboardTile.user_id == actor.id))
    db.session.add_all(DashboardTile(user_id=actor.id, tile_key=key, position=n) for n, key in enumerate(keys))
    db.session.flush()
    audit.record(actor, "dashboard.tiles_changed", actor, {"tiles": [",".join(before), ",".join(keys)]},
                 label=actor.display_name)
    return True


def reset_tiles(actor: User) -> bool:
    """Back to the role's default tiles. Audited; False when the actor had not chosen any."""
    if not is_customised(actor):
        return False
    before = chosen_keys(actor)
    db.session.execute(delete(DashboardTile).where(DashboardTile.user_id == actor.id))
    db.session.flush()
    audit.record(actor, "dashboard.tiles_reset", actor, {"tiles": [",".join(before), ",".join(default_keys(actor))]},
                 label=actor.display_name)
    return True


def move(keys: list[str], key: str, step: int) -> list[str]:
    """`keys` with `key` moved `step` places (-1 up, +1 down), kept within the list."""
    keys = list(keys)
    if key not in keys:
        return keys
    index = keys.index(key)
    target = min(max(index + step, 0), len(keys) - 1)
    keys.insert(target, keys.pop(index))
    return keys


def arrangement(user: User) -> list[tuple[Tile, bool]]:
    """Every tile the user may choose, the chosen ones first in their order: (tile, chosen)."""
    chosen = chosen_keys(user)
    rest = [t for t in available_tiles(user) if t.key not in chosen]
    return [(TILES[key], True) for key in chosen] + [(t, False) for t in rest]


# --- figures and charts ------------------------------------------------------------------------

def site_today() -> dt.date:
    from ..activity.services import site_today as today
    return today()


def _language() -> str:
    return str(get_locale())


def tile_for(user: User, key: str) -> Tile | None:
    tile = TILES.get(key)
    return tile if tile is not None and tile.available_to(user) else None


def tile_data(viewer: User, tile: Tile, today: dt.date | None = None) -> TileData:
    """The tile's figures for the viewer, cached per (tile, scope, language, data version)."""
    today = today or site_today()
    key = ("home-tile", tile.key, tile.scope_key(viewer), today.isoformat(), _language())
    return cached(key, lambda: tile.compute(viewer, today))


def dashboard(viewer: User) -> list[tuple[Tile, TileData]]:
    today = site_today()
    return [(TILES[key], tile_data(viewer, TILES[key], today)) for key in chosen_keys(viewer)]


def tile_png(viewer: User, tile: Tile, scale: int) -> bytes | None:
    """The chart of a chart tile as PNG (scale 1 or 2), drawn once per scope and data version; None without one."""
    if tile.kind != CHART:
        return None
    today = site_today()

    def draw():
        data = tile_data(viewer, tile, today)
        if data.chart is None:
            return None
        return render.png(figure(data.chart), scale)

    key = ("home-png", tile.key, tile.scope_key(viewer), today.isoformat(), _language(), scale)
    return cached(key, draw)


def scope_label(user: User) -> str:
    return str(Scope.LABELS[user.role.data_scope])
