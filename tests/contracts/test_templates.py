"""Contract templates: merge fields filled by a plain substitution, unknown fields refused by name, the default
template as reference data, the print view and the PDF (read back with pypdf)."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm_server.contracts import merge, services
from crm_server.contracts.models import ContractTemplate
from crm_server.core.errors import DomainError
from crm_server.core.roles import ensure_reference_data
from crm_server.extensions import db
from tests import factories

from .helpers import line, make_contract


@pytest.fixture
def owner(app):
    return factories.make_user("sales", display_name="张三")


@pytest.fixture
def customer(owner):
    return factories.make_customer(owner, name="杭州云栖数据服务有限公司", province="浙江省", city="杭州市",
                                   address="西湖区文三路100号")


def test_the_default_template_is_reference_data_once(app, admin):
    templates = db.session.scalars(select(ContractTemplate)).all()
    assert [(t.name, t.is_default, t.is_active) for t in templates] == [(merge.DEFAULT_TEMPLATE_NAME, True, True)]
    merge.check_body(templates[0].body)
    ensure_reference_data()
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 1
    services.delete_template(admin, templates[0])
    ensure_reference_data()  # an administrator's deletion is kept
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 0


def test_unknown_fields_are_refused_by_name(app, admin):
    with pytest.raises(DomainError) as caught:
        services.create_template(admin, name="坏模板", body="甲方：{{客户名称}}，乙方：{{供应商}}")
    assert caught.value.field == "body" and "{{供应商}}" in caught.value.message
    with pytest.raises(DomainError):
        services.create_template(factories.make_user("sales"), name="x", body="{{客户名称}}")


def test_rendering_substitutes_without_evaluating(owner, customer):
    contact = factories.make_contact(customer, name="王五")
    contract = make_contract(owner, customer, amount="100000.05", contact_id=contact.id,
                             sign_date=dt.date(2026, 11, 25), payment_terms="签约后10日内付清")
    body = ("{{ 客户名称 }}于{{签订日期}}签订{{合同编号}}，金额{{合同金额}}元（{{金额大写}}），"
            "{{付款方式}}，联系人{{签约联系人}}，负责人{{负责人}}。{{ 7*7 }} {% if x %}<b>{{我方名称}}</b>")
    with pytest.raises(DomainError):
        merge.check_body(body)  # {{ 7*7 }} is not a field
    body = body.replace("{{ 7*7 }} ", "")
    blocks = merge.render(merge.check_body(body), merge.values_for(contract, "本公司", "销售合同"))
    assert [block.kind for block in blocks] == ["text"]
    assert blocks[0].text == (f"杭州云栖数据服务有限公司于2026年11月25日签订{contract.number}，金额100,000.05元"
                              "（壹拾万元零伍分），签约后10日内付清，联系人王五，负责人张三。{% if x %}<b>本公司</b>")


def test_the_product_table_splits_the_text(owner, customer):
    contract = make_contract(owner, customer, lines=[line(description="服务器", quantity="2", unit_price="5000")])
    blocks = merge.render("明细如下：\n{{产品明细}}\n合计{{合同金额}}元", merge.values_for(contract, "我方", "销售合同"))
    expected = [("text", "明细如下：\n"), ("lines", ""), ("text", "\n合计11,300.00元")]
    assert [(block.kind, block.text) for block in blocks] == expected


def test_a_contract_prints_from_its_type_default(app, admin, owner, customer):
    service_template = services.create_template(admin, name="服务合同模板", contract_type="service",
                                                body="服务合同 {{合同编号}}", is_default=True)
    sales = make_contract(owner, customer)
    service = make_contract(owner, customer, contract_type="service")
    assert services.template_for(service) == service_template
    assert services.template_for(sales).name == merge.DEFAULT_TEMPLATE_NAME
    chosen = services.create_template(admin, name="简版", body="简版 {{合同编号}}")
    services.update_contract(owner, sales, template_id=chosen.id)
    assert services.rendered_blocks(sales, "我方")[0].text == f"简版 {sales.number}"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def test_pdf_has_the_chinese_customer_and_capital_amount(app, client, login_as, owner, customer):
    contract = make_contract(owner, customer, lines=[
        line(description="企业级防火墙", quantity="2", unit_price="12345.67", tax_rate="13")])
    # 24,691.34 + 13 % (3,209.8742 → 3,209.87) = 27,901.21
    assert contract.amount == Decimal("27901.21")
    db.session.commit()
    login_as(owner)
    response = client.get(f"/contracts/{contract.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data).replace(" ", "").replace("\n", "")
    assert "杭州云栖数据服务有限公司" in text
    assert "贰万柒仟玖佰零壹元贰角壹分" in text
    assert "企业级防火墙" in text and "27,901.21" in text
    assert contract.number in text


def test_print_view(app, client, login_as, owner, customer):
    contract = make_contract(owner, customer, amount="1234.56")
    db.session.commit()
    login_as(owner)
    html = client.get(f"/contracts/{contract.id}/print").get_data(as_text=True)
    assert "杭州云栖数据服务有限公司" in html and "壹仟贰佰叁拾肆元伍角陆分" in html
    assert "浙江省 杭州市 西湖区文三路100号" in html and "{{" not in html


def test_template_admin_pages(app, client, login_as, admin):
    login_as(admin)
    assert client.get("/contracts/templates/").status_code == 200
    response = client.post("/contracts/templates/new", data={
        "name": "框架协议模板", "contract_type": "framework", "body": "协议 {{合同编号}} {{未知字段}}",
        "is_active": "y"})
    assert response.status_code == 200 and "{{未知字段}}" in response.get_data(as_text=True)
    response = client.post("/contracts/templates/new", data={
        "name": "框架协议模板", "contract_type": "framework", "body": "协议 {{合同编号}}", "is_active": "y"})
    assert response.status_code == 302
    template = db.session.scalar(select(ContractTemplate).where(ContractTemplate.name == "框架协议模板"))
    assert template.contract_type == "framework"
    sales = login_as("sales")
    assert sales and client.get("/contracts/templates/").status_code == 403
