"""The duplicate-check page and its JSON variant: every live customer is searched, only visible ones link."""
from __future__ import annotations

import re

from crm_server.core.site_settings import set_setting
from crm_server.customers.duplicates import BLOCKING_KEY
from crm_server.extensions import db

from .. import factories


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="duplicate-match">(.*?)</tr>', page, re.S)


def test_page_shows_name_and_owner_of_a_customer_the_user_cannot_open_but_no_link(client, login_as):
    alice = login_as("sales", language="en", display_name="Alice")
    bob = factories.make_user("sales", display_name="王小明")
    mine = factories.make_customer(alice, "上海华东贸易有限公司")
    theirs = factories.make_customer(bob, "华东贸易（上海）")
    pooled = factories.make_customer(None, "华东贸易股份公司")
    factories.make_customer(bob, "华南贸易有限公司")
    db.session.commit()

    page = page_of(client.get("/customers/duplicates", query_string={"name": "华东贸易有限公司"}))
    found = rows(page)
    assert len(found) == 3 and "华南贸易" not in page
    own_row = next(r for r in found if "上海华东贸易有限公司" in r)
    their_row = next(r for r in found if "华东贸易（上海）" in r)
    pool_row = next(r for r in found if "华东贸易股份公司" in r)
    assert f'href="/customers/{mine.id}"' in own_row and "Alice" in own_row
    assert "王小明" in their_row and "<a " not in their_row and f"/customers/{theirs.id}" not in page
    assert "Public pool" in pool_row and "<a " not in pool_row and f"/customers/{pooled.id}" not in page
    assert all("Name" in r for r in found)  # which field matched


def test_page_matches_phone_email_and_credit_code_and_marks_blocking_fields(client, login_as):
    alice = login_as("sales", language="en")
    bob = factories.make_user("sales")
    factories.make_customer(bob, "甲公司", phone="021-6234 5678", email="info@jia.cn",
                            credit_code="91310000MA1K000001")
    db.session.commit()
    page = page_of(client.get("/customers/duplicates", query_string={
        "phone": "+86 021 62345678", "email": "INFO@jia.cn", "credit_code": "91310000ma1k000001"}))
    (row,) = rows(page)
    assert "甲公司" in row and "Phone" in row and "E-mail" in row and "Credit code" in row
    assert "Blocks saving" in row  # credit code blocks by default
    assert alice.id  # the salesperson could search though the customer is not theirs


def test_page_without_input_and_without_matches(client, login_as):
    login_as("sales", language="en")
    assert "Enter a name, phone" in page_of(client.get("/customers/duplicates"))
    page = page_of(client.get("/customers/duplicates", query_string={"name": "不存在的公司"}))
    assert 'id="no-duplicates"' in page


def test_a_badly_formed_phone_shows_beside_the_field(client, login_as):
    login_as("sales", language="en")
    page = page_of(client.get("/customers/duplicates", query_string={"phone": "call me"}))
    assert re.search(r'<input[^>]*is-invalid[^>]*name="phone"|<input[^>]*name="phone"[^>]*is-invalid', page)
    assert "Use digits, spaces" in page


def test_json_variant_for_forms(client, login_as):
    alice = login_as("sales", language="en")
    bob = factories.make_user("sales", display_name="王小明")
    mine = factories.make_customer(alice, "星辰科技有限公司", credit_code="91310000MA1K000009")
    factories.make_customer(bob, "北京星辰科技")
    factories.make_customer(None, "星辰科技（深圳）")
    db.session.commit()

    data = client.get("/customers/duplicates.json", query_string={"name": "星辰科技"}).get_json()
    by_name = {m["name"]: m for m in data["matches"]}
    assert set(by_name) == {"星辰科技有限公司", "北京星辰科技", "星辰科技（深圳）"}
    assert by_name["星辰科技有限公司"]["url"] == f"/customers/{mine.id}"
    expected = {"name": "北京星辰科技", "owner": "王小明", "fields": ["name"], "field_labels": ["Name"],
                "url": None, "blocking": False}
    assert by_name["北京星辰科技"] == expected
    assert by_name["星辰科技（深圳）"]["owner"] == "Public pool" and by_name["星辰科技（深圳）"]["url"] is None
    assert data["messages"]["title"] == "Possible duplicates"

    # a credit code match blocks by default; administrators may make a name match block too
    data = client.get("/customers/duplicates.json", query_string={"credit_code": "91310000MA1K000009"}).get_json()
    assert [(m["name"], m["blocking"]) for m in data["matches"]] == [("星辰科技有限公司", True)]
    set_setting(BLOCKING_KEY, "name")
    db.session.commit()
    data = client.get("/customers/duplicates.json", query_string={"name": "星辰科技"}).get_json()
    assert all(m["blocking"] for m in data["matches"])

    # the customer being edited is left out; nothing typed: nothing found
    data = client.get("/customers/duplicates.json", query_string={"name": "星辰科技", "exclude": mine.id}).get_json()
    assert "星辰科技有限公司" not in {m["name"] for m in data["matches"]}
    assert client.get("/customers/duplicates.json").get_json()["matches"] == []
    # a half-typed phone is left out rather than refused
    assert client.get("/customers/duplicates.json", query_string={"phone": "13"}).get_json()["matches"] == []


def test_deleted_customers_are_not_reported(client, login_as):
    alice = login_as("sales", language="en")
    gone = factories.make_customer(alice, "已删除贸易有限公司")
    from crm_server.core.types import utcnow
    gone.deleted_at = utcnow()
    db.session.commit()
    assert client.get("/customers/duplicates.json", query_string={"name": "已删除贸易"}).get_json()["matches"] == []


def test_only_users_who_may_create_customers_may_check(client, login_as):
    factories.make_customer(factories.make_user("sales"), "华东贸易有限公司")
    login_as("finance", language="en")
    assert client.get("/customers/duplicates", query_string={"name": "华东贸易"}).status_code == 403
    response = client.get("/customers/duplicates.json", query_string={"name": "华东贸易"})
    assert response.status_code == 403 and "华东贸易" not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(client, admin):
    response = client.get("/customers/duplicates.json", query_string={"name": "x"})
    assert response.status_code in (302, 401)


def test_script_for_forms_is_served_and_pages_have_no_inline_script(client, login_as):
    login_as("sales", language="en")
    script = client.get("/static/js/duplicates.js")
    body = script.get_data(as_text=True)
    script.close()
    assert script.status_code == 200 and "data-duplicate-check" in body and "duplicate-hints" in body
    page = page_of(client.get("/customers/duplicates", query_string={"name": "x"}))
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page)) and 'style="' not in page
