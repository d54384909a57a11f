"""An installation of an earlier version, holding data, upgrades: schema by migration, data kept, new permissions
offered once to the built-in roles that should have them (and not forced back after an administrator removes them)."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from crm_server.core.models import Role, User
from crm_server.core.permissions import Permission
from crm_server.core.roles import ensure_reference_data
from crm_server.core.site_settings import SiteSetting
from crm_server.customers.access import CustomerPermission
from crm_server.extensions import db
from crm_server.paths import MIGRATIONS_DIR

from .. import factories

FOUNDATION = "e0e2a1f8bb03"  # the first release: organisation, users, roles, audit, job leases


def _role(code: str) -> Role:
    return db.session.scalar(select(Role).where(Role.code == code))


def test_foundation_database_with_data_upgrades_to_head(app):
    branch = factories.make_branch("上海总部")
    department = factories.make_department("华东销售部", branch=branch)
    seller = factories.make_user("sales", username="lisi", department=department, display_name="李四")
    admin_role = _role("admin")
    # As the foundation release left them: nobody holds the permissions later modules registered.
    later = {p for p in admin_role.permissions if p.startswith(("customer.", "pool.", "activity."))}
    later |= {Permission.ADMIN_DICTIONARIES}
    for role in db.session.scalars(select(Role)):
        role.permission_rows = [row for row in role.permission_rows if row.permission not in later]
    db.session.commit()
    seller_id = seller.id
    db.session.remove()

    downgrade(directory=str(MIGRATIONS_DIR), revision=FOUNDATION)
    db.session.remove()
    assert "customers" not in inspect(db.engine).get_table_names()
    upgrade(directory=str(MIGRATIONS_DIR))
    db.session.remove()
    assert {"customers", "contacts", "followups", "site_settings"} <= set(inspect(db.engine).get_table_names())

    ensure_reference_data()
    db.session.commit()
    user = db.session.get(User, seller_id)
    assert (user.display_name, user.department.name, user.department.branch.name) == ("李四", "华东销售部", "上海总部")
    assert CustomerPermission.CREATE in _role("sales").permissions
    assert CustomerPermission.TRANSFER in _role("sales_manager").permissions
    assert CustomerPermission.TRANSFER not in _role("sales").permissions
    assert later <= _role("admin").permissions

    # An administrator takes a permission away; the next start does not give it back.
    sales = _role("sales")
    sales.permission_rows = [r for r in sales.permission_rows if r.permission != CustomerPermission.CREATE]
    db.session.commit()
    ensure_reference_data()
    db.session.commit()
    assert CustomerPermission.CREATE not in _role("sales").permissions
    assert db.session.get(SiteSetting, "roles.known_permissions") is not None


CUSTOMERS_RELEASE = "c3a5e1d2b4f6"  # customers, contacts, follow-ups and the public pool


def test_customers_release_with_data_upgrades_its_search_text_and_list_indexes(app):
    """The list-index revision puts every phone into search_text as digits too, for customers already there."""
    from crm_server.customers import normalise
    from crm_server.customers.models import Customer

    owner = factories.make_user("sales")
    customer = factories.make_customer(owner, "华东贸易有限公司", phone="021-6234 5678")
    factories.make_contact(customer, "李总", mobile="138-0013-8000")
    customer.search_text = normalise.search_text("华东贸易有限公司", None, "021-6234 5678", None, "李总",
                                                 "138-0013-8000")  # as the customers release wrote it
    db.session.commit()
    customer_id = customer.id
    db.session.remove()

    downgrade(directory=str(MIGRATIONS_DIR), revision=CUSTOMERS_RELEASE)
    db.session.remove()
    assert "ix_customers_live_kind" not in {ix["name"] for ix in inspect(db.engine).get_indexes("customers")}
    upgrade(directory=str(MIGRATIONS_DIR))
    db.session.remove()

    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("customers")}
    assert {"ix_customers_live_kind", "ix_customers_live_level", "ix_customers_live_province"} <= indexes
    text = db.session.get(Customer, customer_id).search_text
    assert "华东贸易有限公司" in text and "李总" in text
    assert "02162345678" in text and "13800138000" in text
