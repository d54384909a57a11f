"""The customer pages through the test client: the list (filters, search, sort, pages, columns, saved views,
bulk actions, export), create/edit with the duplicate check, the customer's page, and who may not."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zoneinfo

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm_server.core.audit import AuditLog
from crm_server.core.dictionaries import DictionaryItem
from crm_server.core.types import utcnow
from crm_server.customers import services
from crm_server.customers.dictionaries import INDUSTRY, LEVEL, SOURCE, STATUS
from crm_server.customers.export import COLUMNS as EXPORT_COLUMNS
from crm_server.customers.models import Customer, CustomerCollaborator, OwnerChange, SavedView, Tag
from crm_server.customers.sections import ACTIONS, SECTIONS
from crm_server.extensions import db

from .. import factories

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="customer-(\d+)"', page)]


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def error_beside(page: str, field: str) -> str | None:
    """The message shown right after the input named `field`, before the next input (None when it is not
    marked invalid)."""
    for tag in re.finditer(r"<(?:input|select|textarea)[^>]*>", page):
        if f'name="{field}"' in tag.group(0) and "is-invalid" in tag.group(0):
            rest = page[tag.end():]
            following = re.search(r"<(?:input|select|textarea)[^>]*>", rest)
            rest = rest[:following.start()] if following else rest
            message = re.search(r'<div class="invalid-feedback">([^<]*)</div>', rest)
            return html.unescape(message.group(1)) if message else None
    return None


def item(kind: str, flag: str | None = None, label: str | None = None) -> DictionaryItem:
    if flag is not None:
        return db.session.scalar(select(DictionaryItem).where(DictionaryItem.kind == kind,
                                                              DictionaryItem.flag == flag))
    return factories.dictionary_item(kind, label)


def local_midnight_utc(days_from_today: int) -> dt.datetime:
    today = dt.datetime.now(TZ).date() + dt.timedelta(days=days_from_today)
    return dt.datetime.combine(today, dt.time.min, tzinfo=TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)


def form_data(**overrides) -> dict:
    data = {"name": "上海星河软件有限公司", "short_name": "", "kind": "company", "industry_id": "",
            "source_id": "", "level_id": "", "status_id": "", "credit_rating": "", "province": "上海",
            "city": "上海市", "district": "", "address": "", "phone": "", "email": "", "website": "",
            "credit_code": "", "remarks": "", "tags": "", "owner_id": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the list: filters, search, sort, pages, columns ----------------------------------------------

@pytest.fixture
def file_of_customers(app):
    """Four customers that differ in every filtered field, seen by a sales director (data scope: all)."""
    department = factories.make_department()
    director = factories.make_user("sales_director", department=department, language="en", display_name="Dora")
    alice = factories.make_user("sales", department=department, display_name="Alice")
    bob = factories.make_user("sales", department=factories.make_department(), display_name="Bob")
    now = utcnow()
    a = factories.make_customer(
        alice, "甲科技有限公司", kind="company", industry=item(INDUSTRY, label="制造业"),
        source=item(SOURCE, label="展会"), level=item(LEVEL, label="A（重点客户）"), status=item(STATUS, "deal"),
        credit_rating="AAA", province="上海", city="上海市", phone="021-11112222",
        created_at=now - dt.timedelta(days=10),
        last_followup_at=now - dt.timedelta(days=2), next_followup_at=local_midnight_utc(1) - dt.timedelta(minutes=1))
    b = factories.make_customer(
        bob, "乙个人客户", kind="individual", industry=item(INDUSTRY, label="信息技术"),
        level=item(LEVEL, label="B（普通客户）"), status=item(STATUS, "new"), credit_rating="B", province="北京",
        city="北京市", created_at=now - dt.timedelta(days=40),
        last_followup_at=now - dt.timedelta(days=40), next_followup_at=local_midnight_utc(-2))
    c = factories.make_customer(alice, "丙贸易有限公司", created_at=now - dt.timedelta(days=50))
    d = factories.make_customer(director, "丁咨询有限公司")
    for customer, days in ((a, 10), (b, 40), (c, 50)):
        customer.owner_since = now - dt.timedelta(days=days)
    services.add_tags(director, [a], ["VIP"])
    services.set_collaborator(alice, c, director, can_edit=False)
    db.session.commit()
    return {"director": director, "alice": alice, "bob": bob, "a": a, "b": b, "c": c, "d": d}


def test_each_filter_returns_the_right_rows(client, login_as, file_of_customers):
    f = file_of_customers
    login_as(f["director"])
    today = dt.datetime.now(TZ).date()
    vip = db.session.scalar(select(Tag.id).where(Tag.name == "VIP"))
    cases = [
        ({}, "abcd"),
        ({"q": "甲科技"}, "a"),
        ({"q": "11112222"}, "a"),
        ({"kind": "individual"}, "b"),
        ({"industry": item(INDUSTRY, label="制造业").id}, "a"),
        ({"source": item(SOURCE, label="展会").id}, "a"),
        ({"level": item(LEVEL, label="B（普通客户）").id}, "b"),
        ({"status": item(STATUS, "deal").id}, "a"),
        ({"credit_rating": "AAA"}, "a"),
        ({"province": "北京"}, "b"),
        ({"city": "上海市"}, "a"),
        ({"owner": f["bob"].id}, "b"),
        ({"tag": vip}, "a"),
        ({"created_from": (today - dt.timedelta(days=20)).isoformat()}, "ad"),
        ({"created_to": (today - dt.timedelta(days=30)).isoformat()}, "bc"),
        ({"followup_from": (today - dt.timedelta(days=5)).isoformat()}, "a"),
        ({"followup_to": (today - dt.timedelta(days=30)).isoformat()}, "b"),
        ({"no_followup_days": "30"}, "bc"),  # c: never followed up, owner for 50 days
        ({"next_followup": "today"}, "a"),
        ({"next_followup": "overdue"}, "b"),
        ({"scope": "mine"}, "d"),
        ({"scope": "shared"}, "c"),
        ({"scope": "department"}, "acd"),
        ({"scope": "mine", "q": "甲"}, ""),
        ({"level": "abc", "created_from": "not-a-date", "kind": "robot"}, "abcd"),  # malformed: ignored
    ]
    for args, expected in cases:
        page = page_of(client.get("/customers/", query_string=args))
        assert sorted(listed_ids(page)) == sorted(f[key].id for key in expected), args
        if not expected:
            assert "No customers match." in page


def test_owner_filter_offers_only_users_in_scope(client, login_as, file_of_customers):
    f = file_of_customers
    manager = factories.make_user("sales_manager", department=f["alice"].department, language="en")
    login_as(manager)
    page = page_of(client.get("/customers/"))
    owner_select = re.search(r'<select[^>]*name="owner".*?</select>', page, re.S).group(0)
    assert "Alice" in owner_select and "Bob" not in owner_select
    assert sorted(listed_ids(page)) == sorted([f["a"].id, f["c"].id, f["d"].id])


def test_sort_by_columns_both_ways(client, login_as, file_of_customers):
    f = file_of_customers
    login_as(f["director"])

    def order(**args):
        return listed_ids(page_of(client.get("/customers/", query_string=args)))

    by_level = order(sort="level", dir="asc")
    assert by_level[:2] == [f["a"].id, f["b"].id] and set(by_level[2:]) == {f["c"].id, f["d"].id}
    assert order(sort="level", dir="desc")[:2] == [f["b"].id, f["a"].id]  # empty levels last either way
    assert order(sort="owner", dir="asc")[0] == f["a"].id or order(sort="owner", dir="asc")[0] == f["c"].id
    assert order(sort="owner", dir="desc")[0] == f["d"].id  # Dora
    assert order(sort="created_at", dir="asc") == [f["c"].id, f["b"].id, f["a"].id, f["d"].id]
    assert order(sort="created_at", dir="desc") == [f["d"].id, f["a"].id, f["b"].id, f["c"].id]
    assert order(sort="last_followup_at", dir="desc")[:2] == [f["a"].id, f["b"].id]
    assert order(sort="nonsense; drop table") == order()  # not a whitelisted column: the default order


def test_pages_come_from_the_database(client, login_as):
    user = login_as("sales", language="en")
    for n in range(25):
        factories.make_customer(user, f"分页客户{n:02d}")
    db.session.commit()
    first = page_of(client.get("/customers/", query_string={"sort": "name", "dir": "asc"}))
    assert len(listed_ids(first)) == 20 and "25 records, page 1 of 2" in first
    second = page_of(client.get("/customers/", query_string={"sort": "name", "dir": "asc", "page": 2}))
    assert len(listed_ids(second)) == 5 and "分页客户24" in second and "分页客户00" not in second
    assert len(listed_ids(page_of(client.get("/customers/", query_string={"per_page": 50})))) == 25
    assert len(listed_ids(page_of(client.get("/customers/", query_string={"per_page": 7})))) == 20


def test_keyword_search_finds_contacts_names_and_phones(client, login_as):
    user = login_as("sales", language="en")
    customer = factories.make_customer(user, "远航物流有限公司", phone="021-6234 5678")
    factories.make_customer(user, "其他公司", phone="010-8888 9999")
    factories.make_contact(customer, "张伟", mobile="139 1234 5678")
    db.session.commit()
    for term in ("张伟", "139 1234", "13912345678", "远航", "物流", "62345678", "021 6234"):
        assert listed_ids(page_of(client.get("/customers/", query_string={"q": term}))) == [customer.id], term
    for term in ("100%_[", "张三", "5555"):
        assert listed_ids(page_of(client.get("/customers/", query_string={"q": term}))) == [], term


def test_the_list_runs_the_same_number_of_queries_for_20_or_100_rows(client, login_as, app):
    from sqlalchemy import event
    user = login_as("sales", language="en")
    level, status = item(LEVEL, label="A（重点客户）"), item(STATUS, "deal")

    def add(n):
        for i in range(n):
            customer = factories.make_customer(user, f"查询客户{i:03d}{n}", level=level, status=status,
                                               industry=item(INDUSTRY, label="制造业"))
            services.add_tags(user, [customer], [f"标签{i % 3}"])
        db.session.commit()

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries(per_page):
        client.get("/customers/")  # first-start check and reloading the user after the commit: not counted
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = page_of(client.get("/customers/", query_string={"per_page": per_page,
                                                                   "cols": "level,status,industry,owner,tags"}))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(listed_ids(page)), len(statements)

    add(20)
    rows_small, small = queries(20)
    add(80)
    rows_large, large = queries(100)
    assert (rows_small, rows_large) == (20, 100)
    assert large == small


def test_column_chooser_shows_the_chosen_columns(client, login_as):
    user = login_as("sales", language="en")
    factories.make_customer(user, "列测试公司", phone="021-55556666", credit_code="91310000MA1K000009",
                            created_at=dt.datetime(2026, 1, 1, 16, 30))
    db.session.commit()
    page = page_of(client.get("/customers/", query_string=[("cols", "credit_code"), ("cols", "created_at")]))
    headings = re.findall(r'<th class="col-(\w+)"', page)
    assert headings == ["name", "credit_code", "created_at"]
    assert "91310000MA1K000009" in page and "021-55556666" not in page
    assert "2026-01-02" in page  # 16:30 UTC is the next day in Shanghai
    default = page_of(client.get("/customers/", query_string={"cols": "bogus"}))
    assert "021-55556666" in default and re.findall(r'<th class="col-(\w+)"', default)[1] == "level"


# --- saved views --------------------------------------------------------------------------------

def test_saved_views_are_per_user(client, login_as):
    alice = login_as("sales", language="en")
    factories.make_customer(alice, "视图客户", phone="021-1234567")
    db.session.commit()
    response = client.post("/customers/views", data={"view_name": "我的A类", "query": "q=视图&sort=name&page=4",
                                                     "columns": "phone,owner"})
    view = db.session.scalar(select(SavedView))
    assert (view.user_id, view.name, view.columns) == (alice.id, "我的A类", "phone,owner")
    assert view.query == "q=%E8%A7%86%E5%9B%BE&sort=name"  # without the page
    assert response.status_code == 302 and f"view={view.id}" in response.location
    opened = client.get(f"/customers/views/{view.id}")
    assert opened.status_code == 302
    for part in ("q=%E8%A7%86%E5%9B%BE", "sort=name", "cols=phone%2Cowner", f"view={view.id}"):
        assert part in opened.location
    page = page_of(client.get(opened.location))
    assert "我的A类" in page and "视图客户" in page
    assert re.findall(r'<th class="col-(\w+)"', page) == ["name", "phone", "owner"]
    assert len(audit_rows("customer_view.saved")) == 1

    bob = factories.make_user("sales", language="en")
    login_as(bob)
    assert "我的A类" not in page_of(client.get("/customers/"))
    assert client.get(f"/customers/views/{view.id}").status_code == 404
    assert client.post(f"/customers/views/{view.id}/delete").status_code == 404
    assert db.session.get(SavedView, view.id) is not None

    login_as(alice)
    assert client.post(f"/customers/views/{view.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(SavedView.id))) == 0


def test_saving_a_view_without_a_name_says_so(client, login_as):
    login_as("sales", language="en")
    response = client.post("/customers/views", data={"view_name": "", "query": "q=x"}, follow_redirects=True)
    assert "Name the view." in page_of(response)
    assert db.session.scalar(select(func.count(SavedView.id))) == 0


# --- bulk actions -------------------------------------------------------------------------------

@pytest.fixture
def team(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department, language="en", display_name="Mona")
    alice = factories.make_user("sales", department=department, language="en", display_name="Alice")
    bob = factories.make_user("sales", department=department, language="en", display_name="Bob")
    outsider = factories.make_user("sales", department=factories.make_department(), language="en",
                                   display_name="Olga")
    customers = [factories.make_customer(alice, f"团队客户{i}有限公司", phone=f"021-6000000{i}") for i in range(3)]
    foreign = factories.make_customer(outsider, "外部客户有限公司")
    db.session.commit()
    return {"manager": manager, "alice": alice, "bob": bob, "outsider": outsider, "customers": customers,
            "foreign": foreign}


def test_bulk_transfer_tag_level_and_delete_on_ticked_rows(client, login_as, team):
    login_as(team["manager"])
    first, second, third = team["customers"]
    ids = [first.id, second.id]
    response = client.post("/customers/bulk", data={"action": "transfer", "ids": ids, "to_user_id": team["bob"].id,
                                                    "reason": "调整分工", "query": "sort=name"})
    assert response.status_code == 302 and "sort=name" in response.location
    assert "2 customers transferred to Bob." in page_of(client.get(response.location))
    assert {first.owner_id, second.owner_id, third.owner_id} == {team["bob"].id, team["alice"].id}
    assert db.session.scalar(select(func.count(OwnerChange.id)).where(OwnerChange.kind == "transferred")) == 2

    client.post("/customers/bulk", data={"action": "tag", "ids": ids, "tags": "重点, 展会"})
    assert [t.name for t in first.tags] == ["展会", "重点"] and third.tags == []
    level = item(LEVEL, label="A（重点客户）")
    client.post("/customers/bulk", data={"action": "level", "ids": [third.id], "level_id": level.id})
    assert third.level_id == level.id and first.level_id is None
    client.post("/customers/bulk", data={"action": "delete", "ids": [third.id]})
    assert third.deleted_at is not None and first.deleted_at is None
    assert [len(audit_rows(a)) for a in ("customer.transferred", "customer.tagged", "customer.updated",
                                         "customer.deleted")] == [2, 2, 1, 1]


def test_bulk_on_all_matching_the_filter_stays_in_scope(client, login_as, team):
    login_as(team["manager"])
    response = client.post("/customers/bulk", data={"action": "tag", "target": "all", "tags": "批量",
                                                    "query": "q=团队客户"})
    assert response.status_code == 302
    tagged = db.session.scalars(select(Customer.name).join(Customer.tags).where(Tag.name == "批量")).all()
    assert sorted(tagged) == sorted(c.name for c in team["customers"])  # not the other department's


def test_bulk_actions_explain_missing_choices(client, login_as, team):
    login_as(team["manager"])
    page = page_of(client.post("/customers/bulk", data={"action": "tag", "ids": []}, follow_redirects=True))
    assert "Tick at least one customer" in page
    page = page_of(client.post("/customers/bulk", data={"action": "level", "ids": [team["customers"][0].id]},
                               follow_redirects=True))
    assert "Choose a level." in page
    page = page_of(client.post("/customers/bulk", data={"action": "transfer", "ids": [team["customers"][0].id],
                                                        "to_user_id": team["outsider"].id}, follow_redirects=True))
    assert "within your data scope" in page and team["customers"][0].owner_id == team["alice"].id


def test_export_of_ticked_and_of_all_filtered_rows(client, login_as, team):
    login_as(team["manager"])
    first, second, third = team["customers"]
    services.add_tags(team["manager"], [first], ["重点"])
    first.created_at = dt.datetime(2026, 3, 1, 20, 0)
    db.session.commit()
    response = client.post("/customers/bulk", data={"action": "export", "ids": [first.id, third.id],
                                                    "query": "sort=name&dir=asc"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    with force_locale("zh_CN"):
        assert list(rows[0]) == [str(header) for header, _value in EXPORT_COLUMNS]
    headers = list(rows[0])
    assert [r[0] for r in rows[1:]] == [first.name, third.name]
    record = dict(zip(headers, rows[1]))
    with force_locale("zh_CN"):
        assert record[str(EXPORT_COLUMNS[12][0])] == first.phone
        assert record[str(EXPORT_COLUMNS[16][0])] == "重点"
        assert record[str(EXPORT_COLUMNS[17][0])] == "Alice"
        assert record[str(EXPORT_COLUMNS[22][0])] == dt.datetime(2026, 3, 2, 4, 0)  # Shanghai time
    (row,) = audit_rows("customer.exported")
    assert json.loads(row.changes) == {"count": [None, 2]} and row.actor_id == team["manager"].id

    response = client.post("/customers/bulk", data={"action": "export", "target": "all", "query": "q=团队"})
    names = [r[0] for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(c.name for c in team["customers"])
    assert json.loads(audit_rows("customer.exported")[1].changes) == {"count": [None, 3]}


# --- who may not --------------------------------------------------------------------------------

def test_a_salesperson_cannot_reach_another_users_customer(client, login_as, team):
    customer = team["customers"][0]
    login_as(team["bob"])  # same department, but a salesperson sees only their own
    for url in (f"/customers/{customer.id}", f"/customers/{customer.id}/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/customers/{customer.id}/edit", data=form_data(name="改名")).status_code == 404
    assert client.get(f"/customers/{customer.id}/transfer").status_code == 403
    assert client.post(f"/customers/{customer.id}/delete").status_code == 403
    assert client.post(f"/customers/{customer.id}/collaborators", data={"user_id": team["bob"].id}).status_code == 404
    assert customer.id not in listed_ids(page_of(client.get("/customers/")))
    # posting the id in a bulk action
    assert client.post("/customers/bulk", data={"action": "tag", "ids": [customer.id], "tags": "偷改"}).status_code == 404
    assert client.post("/customers/bulk", data={"action": "level", "ids": [customer.id],
                                                "level_id": item(LEVEL, label="A（重点客户）").id}).status_code == 404
    for action in ("delete", "export", "transfer"):
        response = client.post("/customers/bulk", data={"action": action, "ids": [customer.id],
                                                        "to_user_id": team["bob"].id})
        assert response.status_code == 403, action
    db.session.expire_all()
    customer = db.session.get(Customer, customer.id)
    assert (customer.name, customer.owner_id, customer.deleted_at, customer.tags, customer.level_id) == (
        "团队客户0有限公司", team["alice"].id, None, [], None)
    assert db.session.scalar(select(func.count(CustomerCollaborator.customer_id))) == 0
    assert audit_rows("customer.exported") == []


def test_a_manager_sees_the_department_and_nothing_outside_it(client, login_as, team):
    login_as(team["manager"])
    page = page_of(client.get("/customers/"))
    assert sorted(listed_ids(page)) == sorted(c.id for c in team["customers"])
    assert client.get(f"/customers/{team['foreign'].id}").status_code == 404
    response = client.post("/customers/bulk", data={"action": "delete", "ids": [team["customers"][0].id,
                                                                                team["foreign"].id]})
    assert response.status_code == 404
    assert team["customers"][0].deleted_at is None and team["foreign"].deleted_at is None
    assert client.post(f"/customers/{team['foreign'].id}/delete").status_code == 404
    assert page_of(client.get(f"/customers/{team['customers'][0].id}"))
    response = client.post(f"/customers/{team['customers'][0].id}/delete")
    assert response.status_code == 302 and team["customers"][0].deleted_at is not None


def test_a_collaborator_sees_a_shared_customer_and_edits_only_with_the_edit_right(client, login_as, team):
    customer = team["customers"][0]
    bob = team["bob"]
    services.set_collaborator(team["alice"], customer, bob, can_edit=False)
    db.session.commit()
    login_as(bob)
    assert customer.name in page_of(client.get(f"/customers/{customer.id}"))
    assert client.get(f"/customers/{customer.id}/edit").status_code == 403
    assert client.post(f"/customers/{customer.id}/edit", data=form_data(name="改名")).status_code == 403
    assert client.post("/customers/bulk", data={"action": "tag", "ids": [customer.id], "tags": "x"}).status_code == 404
    assert customer.name == "团队客户0有限公司" and customer.tags == []

    services.set_collaborator(team["alice"], customer, bob, can_edit=True)
    db.session.commit()
    assert page_of(client.get(f"/customers/{customer.id}/edit"))
    response = client.post(f"/customers/{customer.id}/edit",
                           data=form_data(name="团队客户零有限公司", phone=customer.phone))
    assert response.status_code == 302
    assert customer.name == "团队客户零有限公司" and customer.owner_id == team["alice"].id


# --- create and edit ----------------------------------------------------------------------------

def test_create_a_customer(client, login_as):
    alice = login_as("sales", language="en")
    level = item(LEVEL, label="A（重点客户）")
    page = page_of(client.get("/customers/new"))
    assert 'name="owner_id"' not in page  # no transfer permission: the owner is oneself
    new_status = item(STATUS, "new")
    assert re.search(rf'<option selected value="{new_status.id}"|<option value="{new_status.id}" selected', page)
    response = client.post("/customers/new", data=form_data(
        level_id=level.id, phone="021-6234 5678", credit_code="91310000ma1k00000x", tags="重点，展会"))
    customer = db.session.scalar(select(Customer))
    assert response.status_code == 302 and response.location.endswith(f"/customers/{customer.id}")
    assert (customer.owner_id, customer.level_id) == (alice.id, level.id)
    assert customer.credit_code == "91310000MA1K00000X"
    assert sorted(t.name for t in customer.tags) == ["展会", "重点"]
    assert len(audit_rows("customer.created")) == 1


def test_validation_messages_sit_beside_their_fields(client, login_as):
    login_as("sales", language="en")
    page = page_of(client.post("/customers/new", data=form_data(
        name="", phone="call me", email="nobody", credit_code="123", tags="长" * 41)))
    assert error_beside(page, "name") == "Enter the customer's name."
    assert error_beside(page, "phone").startswith("Enter a phone number")
    assert error_beside(page, "email") == "Enter a valid e-mail address."
    assert error_beside(page, "credit_code") == "A unified social credit code has 18 letters and digits."
    assert error_beside(page, "tags") == "A tag has at most 40 characters."
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_a_similar_customer_warns_and_saves_only_when_confirmed(client, login_as):
    bob = factories.make_user("sales", display_name="王小明")
    theirs = factories.make_customer(bob, "上海星河软件有限公司")
    alice = login_as("sales", language="en")
    mine = factories.make_customer(alice, "星河软件（上海）", phone="021-12345678")
    db.session.commit()
    page = page_of(client.post("/customers/new", data=form_data(name="星河软件有限公司")))
    warning = re.search(r'id="duplicate-warning".*?</table>', page, re.S).group(0)
    assert "王小明" in warning and "上海星河软件有限公司" in warning
    assert f"/customers/{theirs.id}" not in warning  # not Alice's to open: name and owner only
    assert f'href="/customers/{mine.id}"' in warning
    assert 'name="confirm_duplicates"' in page
    assert db.session.scalar(select(func.count(Customer.id))) == 2  # nothing saved

    response = client.post("/customers/new", data=form_data(name="星河软件有限公司", confirm_duplicates="y"))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Customer.id))) == 3


def test_a_blocking_duplicate_shows_beside_the_field(client, login_as):
    bob = factories.make_user("sales", display_name="王小明")
    factories.make_customer(bob, "某某有限公司", credit_code="91310000MA1K000001")
    login_as("sales", language="en")
    db.session.commit()
    page = page_of(client.post("/customers/new",
                               data=form_data(credit_code="91310000MA1K000001", confirm_duplicates="y")))
    message = error_beside(page, "credit_code")
    assert message and "某某有限公司" in message and "王小明" in message
    assert db.session.scalar(select(func.count(Customer.id))) == 1


def test_a_manager_creates_a_customer_for_a_salesperson(client, login_as, team):
    login_as(team["manager"])
    page = page_of(client.get("/customers/new"))
    owner_select = re.search(r'<select[^>]*name="owner_id".*?</select>', page, re.S).group(0)
    assert "Alice" in owner_select and "Olga" not in owner_select
    client.post("/customers/new", data=form_data(owner_id=team["alice"].id))
    created = db.session.scalar(select(Customer).where(Customer.name == "上海星河软件有限公司"))
    assert created.owner_id == team["alice"].id and created.created_by_id == team["manager"].id
    page = page_of(client.post("/customers/new", data=form_data(name="别的公司", owner_id=team["outsider"].id)))
    assert error_beside(page, "owner_id") == "Choose a value from the list."


def test_edit_keeps_a_deactivated_value_and_shows_the_history(client, login_as):
    alice = login_as("sales", language="en")
    old_level, new_level = item(LEVEL, label="D（低价值客户）"), item(LEVEL, label="A（重点客户）")
    customer = services.create_customer(alice, name="历史客户有限公司", level_id=old_level.id, tags=["旧"])
    old_level.is_active = False
    db.session.commit()
    page = page_of(client.get(f"/customers/{customer.id}/edit"))
    assert "D（低价值客户）" in page and 'value="旧"' in page
    response = client.post(f"/customers/{customer.id}/edit",
                           data=form_data(name="历史客户有限公司", level_id=new_level.id, tags="旧, 新"))
    assert response.status_code == 302
    page = page_of(client.get(f"/customers/{customer.id}"))
    history = re.search(r'id="edit-history".*?</section>', page, re.S).group(0)
    assert "Edited a customer" in history and "Created a customer" in history
    assert "<del>D（低价值客户）</del> → <ins>A（重点客户）</ins>" in history
    assert "<del>旧</del> → <ins>新, 旧</ins>" in history or "<del>旧</del> → <ins>旧, 新</ins>" in history
    assert history.index("Edited a customer") < history.index("Created a customer")  # newest first


# --- the customer's page ------------------------------------------------------------------------

def test_detail_page_shows_the_card_sections_actions_and_collaborators(client, login_as, team):
    customer = team["customers"][0]
    customer.created_at = dt.datetime(2026, 5, 1, 17, 0)
    db.session.commit()
    login_as(team["alice"])
    page = page_of(client.get(f"/customers/{customer.id}"))
    assert customer.name in page and customer.phone in page and "2026-05-02 01:00" in page
    assert 'id="edit-customer"' in page and 'id="delete-customer"' not in page  # no delete permission
    assert 'id="transfer-customer"' not in page
    for section in SECTIONS:
        assert f'id="{section.key}"' in page
    for action in ACTIONS:
        shown = action.permission is None or team["alice"].can(action.permission)
        assert (f'id="action-{action.key}"' in page) == shown

    response = client.post(f"/customers/{customer.id}/collaborators",
                           data={"user_id": team["bob"].id, "can_edit": "y"})
    assert response.status_code == 302
    row = db.session.get(CustomerCollaborator, (customer.id, team["bob"].id))
    assert row is not None and row.can_edit
    page = page_of(client.get(f"/customers/{customer.id}"))
    assert re.search(r'class="[^"]*collaborator[^"]*".*?Bob.*?May edit', page, re.S)
    client.post(f"/customers/{customer.id}/collaborators/{team['bob'].id}/remove")
    assert db.session.get(CustomerCollaborator, (customer.id, team["bob"].id)) is None
    assert [r.action for r in db.session.scalars(select(AuditLog).where(AuditLog.entity_id == customer.id,
                                                                        AuditLog.entity_type == "customers")
                                                 .order_by(AuditLog.id))][-2:] == ["customer.shared",
                                                                                   "customer.unshared"]

    login_as(team["manager"])
    page = page_of(client.get(f"/customers/{customer.id}"))
    assert 'id="delete-customer"' in page and 'id="transfer-customer"' in page


def test_transfer_page(client, login_as, team):
    customer = team["customers"][0]
    login_as(team["manager"])
    page = page_of(client.get(f"/customers/{customer.id}/transfer"))
    assert "Bob" in page and "Olga" not in page
    page = page_of(client.post(f"/customers/{customer.id}/transfer", data={"to_user_id": ""}))
    assert error_beside(page, "to_user_id") == "Choose the new owner."
    response = client.post(f"/customers/{customer.id}/transfer",
                           data={"to_user_id": team["bob"].id, "reason": "客户要求"})
    assert response.status_code == 302 and customer.owner_id == team["bob"].id
    change = db.session.scalar(select(OwnerChange).where(OwnerChange.kind == "transferred"))
    assert (change.from_user_id, change.to_user_id, change.reason) == (team["alice"].id, team["bob"].id, "客户要求")


def test_the_sidebar_links_to_the_customers(client, login_as):
    login_as("sales", language="en")
    page = page_of(client.get("/"))
    assert re.search(r'<a class="app-nav-link[^"]*" href="/customers/">\s*<i class="bi bi-building"></i>'
                     r'<span>Customers</span>', page)
