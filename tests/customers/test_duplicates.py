"""查重: matches on normalised name, phone, e-mail and credit code, across owners, showing only name and owner."""
from __future__ import annotations

from crm_server.customers.duplicates import blocking_fields, find_duplicates
from crm_server.core.site_settings import set_setting

from .. import factories


def test_matches_on_normalised_fields_across_owners(app):
    alice, bob = factories.make_user("sales"), factories.make_user("sales")
    mine = factories.make_customer(alice, "上海华东贸易有限公司", phone="021-6234 5678")
    theirs = factories.make_customer(bob, "华东贸易（上海）", email="Sales@HuaDong.cn", credit_code="91310000MA1K000001")
    factories.make_customer(bob, "华南贸易有限公司")

    matches = find_duplicates(alice, name="华东贸易股份有限公司")
    assert [(m.customer_id, m.fields) for m in matches] == [(mine.id, ["name"]), (theirs.id, ["name"])]
    assert [m.visible for m in matches] == [True, False]  # bob's customer: name and owner only
    assert matches[1].owner_name == bob.display_name

    assert [m.customer_id for m in find_duplicates(alice, phone="+86 (021) 62345678")] == [mine.id]
    assert [m.customer_id for m in find_duplicates(alice, phone="02162345678")] == [mine.id]
    assert [m.customer_id for m in find_duplicates(alice, email=" sales@huadong.CN ")] == [theirs.id]
    both = find_duplicates(alice, name="华东贸易", credit_code="91310000ma1k000001")
    assert both[0].customer_id == theirs.id and both[0].fields == ["name", "credit_code"]
    assert find_duplicates(alice, name="华东贸易", exclude_id=mine.id)[0].customer_id == theirs.id
    assert find_duplicates(alice) == []


def test_deleted_customers_do_not_match_and_pool_customers_do(app):
    from crm_server.core.types import utcnow
    alice = factories.make_user("sales")
    gone = factories.make_customer(alice, "北京星辰科技有限公司")
    gone.deleted_at = utcnow()
    pooled = factories.make_customer(None, "星辰科技")
    matches = find_duplicates(alice, name="星辰科技有限公司")
    assert [(m.customer_id, m.owner_name, m.visible) for m in matches] == [(pooled.id, None, False)]


def test_blocking_fields_are_chosen_by_administrators(app):
    assert blocking_fields() == {"credit_code"}
    set_setting("customers.duplicate_blocking_fields", "name,phone,bogus")
    assert blocking_fields() == {"name", "phone"}
