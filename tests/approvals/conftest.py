"""The approvals tests' organisation: a branch with a sales department (a manager, two salespeople), a
sub-team below it, a director; and the in-memory test document type."""
from __future__ import annotations

import pytest

from crm_server.extensions import db
from tests import factories

from .helpers import Docs


@pytest.fixture
def docs(app):
    store = Docs()
    store.register()
    yield store
    Docs.unregister()


@pytest.fixture
def org(app, admin):
    branch = factories.make_branch("华东分公司")
    sales = factories.make_department("华东销售部", branch=branch)
    team = factories.make_department("销售一组", parent=sales)
    director = factories.make_user("sales_director", department=sales, display_name="孙总监")
    manager = factories.make_user("sales_manager", department=sales, manager=director, display_name="王经理")
    manager2 = factories.make_user("sales_manager", department=sales, manager=director, display_name="钱经理")
    seller = factories.make_user("sales", department=team, manager=manager, display_name="李销售")
    other = factories.make_user("sales", department=team, manager=manager, display_name="赵销售")
    finance = factories.make_user("finance", department=sales, display_name="周财务")
    far = factories.make_user("sales_manager", department=factories.make_department("华北销售部"),
                              display_name="远经理")
    db.session.commit()
    return {"branch": branch, "sales": sales, "team": team, "director": director, "manager": manager,
            "manager2": manager2, "seller": seller, "other": other, "finance": finance, "far": far,
            "admin": admin}
