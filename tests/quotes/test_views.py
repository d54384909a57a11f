"""Quote pages over HTTP: create with the line rows (no JavaScript), permissions by id, approval, PDF, print
view, the list and the settings page."""
from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm_server.extensions import db
from crm_server.quotes import services
from crm_server.quotes.models import APPROVED, DRAFT, PENDING, SENT, Quote
from tests import factories

from .helpers import line, make_opportunity, make_product, make_quote


@pytest.fixture
def team(app, admin):
    department = factories.make_department("华南销售部")
    manager = factories.make_user("sales_manager", department=department, display_name="陈经理")
    seller = factories.make_user("sales", department=department, manager=manager, display_name="周销售")
    other = factories.make_user("sales", department=department, manager=manager)
    customer = factories.make_customer(seller, name="深圳华信智能科技有限公司")
    db.session.commit()
    return {"manager": manager, "seller": seller, "other": other, "customer": customer}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_create_from_a_customer_with_rows_and_no_javascript(client, login_as, team):
    product = make_product("工业以太网交换机", price="2350.00", specification="24口千兆")
    db.session.commit()
    login_as(team["seller"])
    url = f"/quotes/new?customer_id={team['customer'].id}"
    page = client.get(url)
    assert page.status_code == 200 and "深圳华信智能科技有限公司" in page.get_data(as_text=True)
    form = {"title": "机房网络升级", "quote_date": "2026-11-20", "valid_until": "2026-12-20", "opportunity_id": "",
            "contact_id": "", "price_list_id": "", "overall_discount_percent": "",
            "lines-0-product_id": str(product.id), "lines-0-quantity": "4",
            "lines-1-description": "安装调试服务", "lines-1-quantity": "1", "lines-1-unit_price": "1200",
            "lines-1-tax_rate": "6", "lines-2-description": ""}
    more = client.post(url, data={**form, "add_rows": "1"})  # more rows: nothing saved, rows kept
    body = more.get_data(as_text=True)
    assert more.status_code == 200 and 'name="lines-5-product_id"' in body and "安装调试服务" in body
    assert db.session.scalar(select(func.count(Quote.id))) == 0
    response = client.post(url, data=form)
    assert response.status_code == 302
    quote = db.session.scalar(select(Quote))
    assert quote.title == "机房网络升级" and [row.description for row in quote.lines] == ["工业以太网交换机", "安装调试服务"]
    # 4 × 2,350 = 9,400 + 13 % = 10,622.00; 1,200 + 6 % = 1,272.00
    assert quote.total == D("11894.00") and quote.status == DRAFT
    assert response.headers["Location"].endswith(f"/quotes/{quote.id}")


def test_create_from_an_opportunity_copies_its_name(client, login_as, team):
    opportunity = make_opportunity(team["seller"], team["customer"], name="产线数字化项目")
    db.session.commit()
    login_as(team["seller"])
    page = client.get(f"/quotes/new?opportunity_id={opportunity.id}").get_data(as_text=True)
    assert 'value="产线数字化项目"' in page


def test_another_salespersons_quote_is_404_and_unchanged(client, login_as, team):
    quote = make_quote(team["seller"], team["customer"])
    db.session.commit()
    login_as(team["other"])
    for path in ("", "/pdf", "/print", "/edit"):
        assert client.get(f"/quotes/{quote.id}{path}").status_code == 404, path
    for action in ("submit", "send", "revise", "accept"):
        assert client.post(f"/quotes/{quote.id}/{action}").status_code == 404, action
    assert client.get("/quotes/").get_data(as_text=True).count(quote.number) == 0
    db.session.expire_all()
    assert quote.status == DRAFT


def test_a_customer_the_user_cannot_see_is_404(client, login_as, team):
    login_as(team["other"])
    assert client.get(f"/quotes/new?customer_id={team['customer'].id}").status_code == 404


def test_roles_without_the_edit_permission_cannot_create(client, login_as, team):
    login_as("service")
    assert client.get(f"/quotes/new?customer_id={team['customer'].id}").status_code == 403


def test_approval_over_http(client, login_as, team):
    product = make_product(price="1000.00")
    quote = make_quote(team["seller"], team["customer"], lines=[line(product, quantity="2", discount_percent="18")])
    db.session.commit()
    login_as(team["seller"])
    client.post(f"/quotes/{quote.id}/send")
    db.session.expire_all()
    assert quote.status == DRAFT  # above the 10 % limit: not sent
    client.post(f"/quotes/{quote.id}/submit")
    db.session.expire_all()
    assert quote.status == PENDING
    assert client.post(f"/quotes/{quote.id}/approval", data={"decision": "approve"}).status_code == 403
    login_as(team["manager"])
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'id="approve-quote"' in page
    client.post(f"/quotes/{quote.id}/approval", data={"decision": "approve", "comment": "同意"})
    db.session.expire_all()
    assert quote.status == APPROVED and quote.approved_by_id == team["manager"].id
    login_as(team["seller"])
    client.post(f"/quotes/{quote.id}/send")
    db.session.expire_all()
    assert quote.status == SENT


def test_pdf_has_the_chinese_text_and_total(client, login_as, team):
    products = [make_product("工业以太网交换机", price="2350.00"), make_product("光纤收发器", price="318.50")]
    quote = make_quote(team["seller"], team["customer"], delivery_terms="合同签订后15个工作日", payment_terms="预付30%",
                       lines=[line(products[0], quantity="4"), line(products[1], quantity="10", discount_percent="5")])
    db.session.commit()
    login_as(team["seller"])
    response = client.get(f"/quotes/{quote.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    # 9,400.00 + 3,025.75 = 12,425.75; tax 1,222.00 + 393.35 = 1,615.35; total 14,041.10
    assert quote.total == D("14041.10")
    for expected in ("深圳华信智能科技有限公司", "工业以太网交换机", "光纤收发器", "14,041.10", quote.number,
                     "合同签订后15个工作日", "周销售"):
        assert expected in text, expected


def test_print_view(client, login_as, team):
    quote = make_quote(team["seller"], team["customer"])
    db.session.commit()
    login_as(team["seller"])
    page = client.get(f"/quotes/{quote.id}/print").get_data(as_text=True)
    assert "quote-print.css" in page and "深圳华信智能科技有限公司" in page and quote.number in page


def test_list_filters_and_search(client, login_as, team):
    first = make_quote(team["seller"], team["customer"], title="甲")
    second = make_quote(team["seller"], factories.make_customer(team["seller"], name="杭州远景物流有限公司"), title="乙")
    services.mark_sent(team["seller"], second)
    db.session.commit()
    login_as(team["seller"])
    page = client.get("/quotes/?status=sent").get_data(as_text=True)
    assert f'id="quote-{second.id}"' in page and f'id="quote-{first.id}"' not in page
    page = client.get("/quotes/?q=远景").get_data(as_text=True)
    assert f'id="quote-{second.id}"' in page and f'id="quote-{first.id}"' not in page
    page = client.get(f"/quotes/?q={first.number}").get_data(as_text=True)
    assert f'id="quote-{first.id}"' in page and f'id="quote-{second.id}"' not in page
    page = client.get(f"/quotes/?customer={team['customer'].id}").get_data(as_text=True)
    assert f'id="quote-{first.id}"' in page and f'id="quote-{second.id}"' not in page


def test_manager_sees_the_team_quotes(client, login_as, team):
    quote = make_quote(team["seller"], team["customer"])
    db.session.commit()
    login_as(team["manager"])
    assert f'id="quote-{quote.id}"' in client.get("/quotes/").get_data(as_text=True)
    assert client.get(f"/quotes/{quote.id}/pdf").status_code == 200


def test_sections_on_the_customer_and_opportunity_pages(client, login_as, team):
    opportunity = make_opportunity(team["seller"], team["customer"])
    quote = make_quote(team["seller"], team["customer"], opportunity_id=opportunity.id)
    db.session.commit()
    login_as(team["seller"])
    assert f'id="section-quote-{quote.id}"' in client.get(f"/customers/{team['customer'].id}").get_data(as_text=True)
    assert f'id="section-quote-{quote.id}"' in client.get(f"/opportunities/{opportunity.id}").get_data(as_text=True)


def test_settings_page(client, login_as, team, admin):
    login_as(team["manager"])
    assert client.get("/quotes/settings").status_code == 403
    login_as(admin)
    role = team["seller"].role
    page = client.get("/quotes/settings").get_data(as_text=True)
    assert f'name="limit_{role.id}"' in page
    data = {"number_pattern": "Q{yyyy}{mm}-{seq:03}", f"limit_{role.id}": "12.5"}
    assert client.post("/quotes/settings", data=data).status_code == 302
    assert services.number_pattern() == "Q{yyyy}{mm}-{seq:03}" and services.discount_limit(role.id) == D("12.50")
    bad = client.post("/quotes/settings", data={"number_pattern": "Q{yyyy}", f"limit_{role.id}": "12.5"})
    assert bad.status_code == 200 and services.number_pattern() == "Q{yyyy}{mm}-{seq:03}"
