"""Choosing, ordering and resetting one's tiles: stored per user, audited, refused for unknown or unavailable tiles,
and never for someone else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.home import services
from crm_server.home.models import DashboardTile
from tests import factories

from .helpers import clear_cache, tile_keys

SALES_DEFAULTS = ["my_quota", "my_followups", "my_pipeline", "my_won", "my_new_customers", "my_receivables"]


@pytest.fixture(autouse=True)
def _fresh_cache(app):
    clear_cache()


def stored(user) -> list[str]:
    return list(db.session.scalars(select(DashboardTile.tile_key).where(DashboardTile.user_id == user.id)
                                   .order_by(DashboardTile.position)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("dashboard.%"))
                                   .order_by(AuditLog.id)))


def home_keys(client) -> list[str]:
    return tile_keys(client.get("/").get_data(as_text=True))


def test_defaults_per_role_have_four_to_eight_tiles(app, admin):
    for role in ("sales", "sales_manager", "sales_director", "finance", "admin", "service"):
        user = factories.make_user(role)
        keys = services.default_keys(user)
        assert 4 <= len(keys) <= 8, (role, keys)
        assert keys == services.chosen_keys(user)
    assert services.default_keys(factories.make_user("sales")) == SALES_DEFAULTS


def test_customise_page_offers_only_what_the_user_may_choose(client, login_as):
    login_as("sales")
    html = client.get("/home/tiles").get_data(as_text=True)
    assert 'value="my_pipeline"' in html and 'value="my_receivables"' in html
    # team figures of an own-records scope and receivables of the finance department are not offered
    for key in ("team_pipeline", "aging", "company_won_by_month", "receivables_totals"):
        assert f'value="{key}"' not in html


def test_choose_reorder_and_reset_persist(client, login_as):
    seller = login_as("sales")
    assert home_keys(client) == SALES_DEFAULTS
    response = client.post("/home/tiles", data={"order": SALES_DEFAULTS, "show": ["my_won", "my_pipeline"],
                                                "save": "1"})
    assert response.status_code == 302
    assert stored(seller) == ["my_pipeline", "my_won"]
    assert home_keys(client) == ["my_pipeline", "my_won"]

    # the move buttons of the form (no JavaScript): my_won up, above my_pipeline
    order = ["my_pipeline", "my_won", "my_quota", "my_followups", "my_new_customers", "my_receivables"]
    response = client.post("/home/tiles", data={"order": order, "show": ["my_pipeline", "my_won", "my_quota"],
                                                "move": "up:my_won"})
    assert response.status_code == 302 and "/home/tiles" in response.headers["Location"]
    assert stored(seller) == ["my_won", "my_pipeline", "my_quota"]
    client.post("/home/tiles", data={"order": ["my_won", "my_pipeline", "my_quota"],
                                     "show": ["my_won", "my_pipeline", "my_quota"], "move": "down:my_won"})
    assert home_keys(client) == ["my_pipeline", "my_won", "my_quota"]
    assert client.get("/home/tiles").status_code == 200

    assert client.post("/home/tiles/reset").status_code == 302
    assert stored(seller) == [] and home_keys(client) == SALES_DEFAULTS
    assert actions() == ["dashboard.tiles_changed"] * 3 + ["dashboard.tiles_reset"]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "dashboard.tiles_changed")
                            .order_by(AuditLog.id).limit(1))
    assert row.actor_id == seller.id and row.change_items == [("tiles", ",".join(SALES_DEFAULTS),
                                                               "my_pipeline,my_won")]


def test_unknown_or_unavailable_tiles_are_refused(client, login_as):
    seller = login_as("sales")
    for data in ({"show": ["my_won", "no_such_tile"]}, {"order": ["drop table"], "show": ["my_won"]},
                 {"show": ["aging"]}, {"show": ["team_pipeline"]}, {"show": ["my_won"], "move": "up:bogus"},
                 {"show": ["my_won", "my_won"]}, {"show": []}):
        response = client.post("/home/tiles", data=data)
        assert response.status_code == 400, data
    assert stored(seller) == [] and actions() == []
    assert home_keys(client) == SALES_DEFAULTS


def test_someone_elses_tiles_cannot_be_changed(client, login_as):
    other = factories.make_user("sales")
    services.save_tiles(other, ["my_quota", "my_won"])
    db.session.commit()
    seller = login_as("sales")
    client.post("/home/tiles", data={"show": ["my_pipeline"], "user_id": other.id, "user": other.id})
    client.post(f"/home/tiles?user_id={other.id}", data={"show": ["my_receivables"]})
    client.post("/home/tiles/reset", data={"user_id": other.id})
    assert stored(other) == ["my_quota", "my_won"]
    assert stored(seller) == []  # the reset was the seller's own


def test_the_form_needs_its_csrf_token(app, client, login_as):
    seller = login_as("sales")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/home/tiles", data={"show": ["my_won"]}).status_code == 400
        assert 'name="csrf_token"' in client.get("/home/tiles").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert stored(seller) == []


def test_a_tile_no_longer_available_is_left_out(app, client, login_as):
    """Stored keys the user may no longer see (permission taken away) are skipped, not an error."""
    from crm_server.forecast.access import ForecastPermission
    seller = login_as("sales")
    services.save_tiles(seller, ["my_quota", "my_won"])
    db.session.commit()
    role = seller.role
    role.permission_rows = [r for r in role.permission_rows if r.permission != ForecastPermission.VIEW]
    db.session.commit()
    assert home_keys(client) == ["my_won"]
    assert client.get("/tiles/my_quota.png").status_code == 404


def test_deleting_a_user_deletes_their_tiles(app, admin):
    from sqlalchemy import delete

    from crm_server.core.models import User
    user = factories.make_user("sales")
    services.save_tiles(user, ["my_won"])
    db.session.commit()
    db.session.execute(delete(AuditLog).where(AuditLog.actor_id == user.id))
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    assert db.session.scalars(select(DashboardTile)).all() == []
