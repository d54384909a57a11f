"""Contract pages over HTTP: permissions by id (404 out of scope, 403 for finance), the list's filters and sorts,
creating from a quote through the form, the lock, files checked by content, renewals, and the sections on the
customer, opportunity and quote pages."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_server.contracts import services
from crm_server.contracts.models import ACTIVE, DRAFT, Contract
from crm_server.extensions import db
from tests import factories

from .helpers import make_accepted_quote, make_active, make_contract, make_flow, make_opportunity

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def owner(app):
    return factories.make_user("sales", display_name="张三")


@pytest.fixture
def customer(owner):
    return factories.make_customer(owner, name="南京紫金制造有限公司")


def form_data(**overrides) -> dict:
    data = {"title": "设备采购合同", "contract_type": "sales", "sign_date": "2026-03-01", "start_date": "2026-03-01",
            "end_date": "2027-02-28", "payment_terms": "货到付款", "payment_days": "30", "amount": "8888.88"}
    data.update(overrides)
    return data


def row_ids(html: str, contracts) -> list[int]:
    return [c.id for c in contracts if f'id="contract-{c.id}"' in html]


def test_out_of_scope_ids_are_404(app, client, login_as, owner, customer):
    contract = make_active(owner, customer)
    revision = services.revise_contract(owner, contract)
    db.session.commit()
    login_as("sales")
    for url in (f"/contracts/{contract.id}", f"/contracts/{contract.id}/edit", f"/contracts/{contract.id}/pdf",
                f"/contracts/{contract.id}/print", f"/contracts/{revision.id}", f"/contracts/{revision.id}/edit"):
        assert client.get(url).status_code == 404, url
    for url in (f"/contracts/{contract.id}/submit", f"/contracts/{contract.id}/revise",
                f"/contracts/{contract.id}/renew", f"/contracts/{contract.id}/execute",
                f"/contracts/{contract.id}/delete", f"/contracts/{revision.id}/submit"):
        assert client.post(url).status_code == 404, url
    assert client.get("/contracts/999999").status_code == 404


def test_finance_sees_but_may_not_edit(app, client, login_as, owner, customer):
    draft = make_contract(owner, customer)
    active = make_active(owner, customer)
    db.session.commit()
    login_as("finance")
    html = client.get("/contracts/").get_data(as_text=True)
    assert row_ids(html, [draft, active]) == [draft.id, active.id]
    page = client.get(f"/contracts/{draft.id}")
    assert page.status_code == 200 and 'id="edit-contract"' not in page.get_data(as_text=True)
    assert client.get(f"/contracts/{draft.id}/pdf").status_code == 200
    assert client.get(f"/contracts/{draft.id}/edit").status_code == 403
    assert client.post(f"/contracts/{draft.id}/edit", data=form_data()).status_code == 403
    assert client.post(f"/contracts/{draft.id}/submit").status_code == 403
    assert client.post(f"/contracts/{active.id}/revise").status_code == 403
    assert client.get(f"/contracts/new?customer_id={customer.id}").status_code == 403
    db.session.refresh(draft)
    assert draft.status == DRAFT and draft.title == "年度服务合同"


def test_an_active_contract_cannot_be_edited(app, client, login_as, owner, customer):
    contract = make_active(owner, customer)
    db.session.commit()
    login_as(owner)
    assert client.get(f"/contracts/{contract.id}/edit").status_code == 403
    assert client.post(f"/contracts/{contract.id}/edit", data=form_data(title="偷改")).status_code == 403
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'id="locked-note"' in html and 'id="revise-contract"' in html
    response = client.post(f"/contracts/{contract.id}/revise")
    revision = db.session.scalar(select(Contract).where(Contract.revision_of_id == contract.id))
    assert response.headers["Location"].endswith(f"/contracts/{revision.id}")
    assert client.get(f"/contracts/{revision.id}/edit").status_code == 200
    assert client.post(f"/contracts/{revision.id}/edit", data=form_data(amount="9999.00")).status_code == 302
    assert client.post(f"/contracts/{revision.id}/submit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).amount == Decimal("9999.00")


def test_list_filters_and_sorts(app, client, login_as, owner, customer):
    other_customer = factories.make_customer(owner, name="苏州工业园区电子有限公司")
    a = make_contract(owner, customer, amount="300.00", sign_date=dt.date(2026, 1, 10), contract_type="service")
    b = make_active(owner, customer, amount="100.00", sign_date=dt.date(2026, 2, 10),
                    end_date=services.site_today() + dt.timedelta(days=10), start_date=dt.date(2026, 1, 1))
    c = make_active(owner, other_customer, amount="200.00", sign_date=dt.date(2026, 3, 10), title="园区布线合同")
    stranger = factories.make_user("sales")
    hidden = make_active(stranger, factories.make_customer(stranger, name="南京另一家公司"), amount="999.00")
    db.session.commit()
    login_as(owner)
    everything = [a, b, c, hidden]

    def ids(query: str) -> list[int]:
        html = client.get(f"/contracts/?{query}").get_data(as_text=True)
        positions = sorted((html.index(f'id="contract-{x.id}"'), x.id) for x in everything
                           if f'id="contract-{x.id}"' in html)
        return [contract_id for _pos, contract_id in positions]

    assert sorted(ids("")) == sorted([a.id, b.id, c.id])
    assert ids("status=active&sort=amount&dir=asc") == [b.id, c.id]
    assert ids("contract_type=service") == [a.id]
    assert ids("sign_from=2026-02-01&sign_to=2026-03-31&sort=sign_date") == [c.id, b.id]
    assert ids("sort=amount") == [a.id, c.id, b.id]
    assert ids("sort=amount&dir=asc") == [b.id, c.id, a.id]
    assert ids("expiring=1") == [b.id]
    assert ids("q=园区") == [c.id]
    assert ids(f"q={a.number}") == [a.id]
    assert ids(f"customer={other_customer.id}") == [c.id]
    assert ids("sort=number&dir=asc") == [a.id, b.id, c.id]
    assert ids(f"owner={hidden.owner_id}") == []


def test_create_from_an_accepted_quote_through_the_form(app, client, login_as, owner, customer):
    quote = make_accepted_quote(owner, customer)
    db.session.commit()
    login_as(owner)
    page = client.get(f"/contracts/new?quote_id={quote.id}").get_data(as_text=True)
    assert "软件授权" in page and 'id="source-quote"' in page
    # the form posts the quote's lines back as shown
    data = form_data(title=quote.title, amount="")
    for index, ln in enumerate(quote.lines):
        data.update({f"lines-{index}-product_id": str(ln.product_id or ""),
                     f"lines-{index}-description": ln.description,
                     f"lines-{index}-quantity": str(ln.quantity), f"lines-{index}-unit_price": str(ln.unit_price),
                     f"lines-{index}-discount_percent": str(ln.discount_percent),
                     f"lines-{index}-tax_rate": str(ln.tax_rate)})
    response = client.post(f"/contracts/new?quote_id={quote.id}", data=data)
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id))
    assert contract.amount == quote.total == Decimal("5509.99") and contract.customer_id == customer.id
    quote_page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f"/contracts/new?quote_id={quote.id}" in quote_page


def test_a_quote_not_accepted_is_refused_by_the_form(app, client, login_as, owner, customer):
    quote = make_accepted_quote(owner, customer, accept=False)
    db.session.commit()
    login_as(owner)
    response = client.get(f"/contracts/new?quote_id={quote.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quotes/{quote.id}")
    assert f"/contracts/new?quote_id={quote.id}" not in client.get(f"/quotes/{quote.id}").get_data(as_text=True)


def test_form_errors_show_beside_the_field(app, client, login_as, owner, customer):
    login_as(owner)
    response = client.post(f"/contracts/new?customer_id={customer.id}",
                           data=form_data(start_date="2026-05-01", end_date="2026-04-01"))
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(select(Contract.id)) is None
    response = client.post(f"/contracts/new?customer_id={customer.id}", data=form_data(amount="-5"))
    assert response.status_code == 200 and db.session.scalar(select(Contract.id)) is None
    response = client.post(f"/contracts/new?customer_id={customer.id}", data=form_data())
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.amount == Decimal("8888.88") and contract.payment_days == 30


def test_submit_routes_through_the_flow_and_shows_the_panel(app, client, login_as, owner, customer):
    manager = factories.make_user("sales_director", display_name="李总监")
    make_flow(approvers=[manager], conditions=[("amount", "ge", "1000")])
    contract = make_contract(owner, customer, amount="5000.00")
    db.session.commit()
    login_as(owner)
    client.post(f"/contracts/{contract.id}/submit")
    db.session.refresh(contract)
    assert contract.status == "pending"
    assert 'id="approval-panel"' in client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    login_as(manager)
    from crm_server.approvals import services as approvals
    request = approvals.pending_request("contract", contract.id)
    response = client.post(f"/approvals/requests/{request.id}/approve", data={"comment": ""})
    assert response.status_code == 302
    db.session.refresh(contract)
    assert contract.status == ACTIVE


def test_files_checked_by_content_and_served_scoped(app, client, login_as, owner, customer):
    contract = make_active(owner, customer)
    db.session.commit()
    login_as(owner)
    fake = client.post(f"/contracts/{contract.id}/files", data={
        "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "签字版.pdf"), "is_signed_scan": "y"},
        content_type="multipart/form-data")
    assert fake.status_code == 302 and not db.session.get(Contract, contract.id).attachments
    doc = client.post(f"/contracts/{contract.id}/files", data={
        "file": (io.BytesIO(b"PK\x03\x04 not an office file"), "附件.docx")}, content_type="multipart/form-data")
    assert doc.status_code == 302 and not db.session.get(Contract, contract.id).attachments
    ok = client.post(f"/contracts/{contract.id}/files", data={
        "file": (io.BytesIO(PDF), "签字版.pdf"), "is_signed_scan": "y"}, content_type="multipart/form-data")
    assert ok.status_code == 302
    db.session.expire_all()
    attachment = db.session.get(Contract, contract.id).attachments[0]
    assert attachment.is_signed_scan and attachment.content_type == "application/pdf"
    download = client.get(f"/contracts/{contract.id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    other = make_active(owner, customer)
    db.session.commit()
    assert client.get(f"/contracts/{other.id}/files/{attachment.id}").status_code == 404
    login_as("sales")
    assert client.get(f"/contracts/{contract.id}/files/{attachment.id}").status_code == 404
    login_as("finance")
    assert client.get(f"/contracts/{contract.id}/files/{attachment.id}").status_code == 200
    assert client.post(f"/contracts/{contract.id}/files/{attachment.id}/delete").status_code == 403


def test_renewals_page_and_renew(app, client, login_as, owner, customer):
    today = services.site_today()
    due = make_active(owner, customer, start_date=today - dt.timedelta(days=300),
                      end_date=today + dt.timedelta(days=5))
    later = make_active(owner, customer, start_date=today, end_date=today + dt.timedelta(days=90))
    db.session.commit()
    login_as(owner)
    html = client.get("/contracts/renewals").get_data(as_text=True)
    assert f'id="renewal-{due.id}"' in html and f'id="renewal-{later.id}"' not in html
    response = client.post(f"/contracts/{due.id}/renew")
    new = db.session.scalar(select(Contract).where(Contract.renewed_from_id == due.id))
    assert response.headers["Location"].endswith(f"/contracts/{new.id}")
    assert new.start_date == due.end_date + dt.timedelta(days=1)
    assert "Renewed by" in client.get("/contracts/renewals").get_data(as_text=True) or \
        f"/contracts/{new.id}" in client.get("/contracts/renewals").get_data(as_text=True)


def test_terminate_needs_the_permission(app, client, login_as, owner, customer):
    contract = make_active(owner, customer)
    db.session.commit()
    login_as(owner)
    assert client.post(f"/contracts/{contract.id}/terminate", data={"reason": "x"}).status_code == 403
    login_as("sales_director")
    assert client.post(f"/contracts/{contract.id}/terminate", data={"reason": "客户违约"}).status_code == 302
    db.session.refresh(contract)
    assert contract.status == "terminated" and contract.termination_reason == "客户违约"


def test_sections_on_the_customer_and_opportunity_pages(app, client, login_as, owner, customer):
    won = make_opportunity(owner, customer)
    open_one = make_opportunity(owner, customer, won=False, name="二期项目")
    contract = services.create_contract(owner, opportunity_id=won.id, start_date=dt.date(2026, 1, 1),
                                        end_date=dt.date(2026, 12, 31))
    db.session.commit()
    login_as(owner)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'id="section-contract-{contract.id}"' in html
    html = client.get(f"/opportunities/{won.id}").get_data(as_text=True)
    assert f'id="section-contract-{contract.id}"' in html and f"/contracts/new?opportunity_id={won.id}" in html
    html = client.get(f"/opportunities/{open_one.id}").get_data(as_text=True)
    assert f"/contracts/new?opportunity_id={open_one.id}" not in html
    response = client.get(f"/contracts/new?opportunity_id={open_one.id}")
    assert response.status_code == 302


def test_pages_render(app, client, login_as, admin, owner, customer):
    contract = make_active(owner, customer)
    db.session.commit()
    login_as(admin)
    for url in ("/contracts/", "/contracts/renewals", "/contracts/new", f"/contracts/new?customer_id={customer.id}",
                f"/contracts/{contract.id}", f"/contracts/{contract.id}/print", "/contracts/settings",
                "/contracts/templates/", "/contracts/templates/new"):
        assert client.get(url).status_code == 200, url
    response = client.post("/contracts/settings", data={"number_pattern": "HT-{seq:06}", "renewal_days": "45"})
    assert response.status_code == 302
    assert services.number_pattern() == "HT-{seq:06}" and services.renewal_days() == 45
    response = client.post("/contracts/settings", data={"number_pattern": "HT {seq}", "renewal_days": "45"})
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
