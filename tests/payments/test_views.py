"""Payment pages over HTTP: permissions by id, recording with the over-payment confirmation, the plan editor
refusing a plan that does not add up, refunds, invoices, receivables and aging pages, the sections, the job."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm_server.core.jobs import run_job
from crm_server.extensions import db
from crm_server.payments import services
from crm_server.payments.models import Instalment, Invoice, Payment
from crm_server.reminders.models import Reminder

from .helpers import make_contract, make_plan, make_team, pay

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def team(app, admin, monkeypatch):
    monkeypatch.setattr(services, "site_today", lambda: TODAY)
    team = make_team()
    team["contract"] = make_contract(team["seller"], team["customer"], amount="100000.00")
    team["foreign"] = make_contract(team["other"], team["other_customer"], amount="5000.00")
    db.session.commit()
    return team


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def payment_form(**kw):
    return {"received_on": "2026-06-20", "amount": "1000.00", "method": "bank_transfer", "account": "",
            "reference": "", "instalment_id": "", "remarks": "", **kw}


def test_other_salespersons_contracts_are_404_everywhere(client, login_as, team):
    foreign = team["foreign"]
    payment = pay(team["finance"], foreign, "100.00")
    bill = services.issue_invoice(team["finance"], foreign, number="00001", amount="100.00",
                                  issued_on=dt.date(2026, 6, 1))
    db.session.commit()
    login_as(team["manager"])  # another department
    for path in (f"/payments/contracts/{foreign.id}/plan", f"/payments/contracts/{foreign.id}/new",
                 f"/payments/contracts/{foreign.id}/refund",
                 f"/payments/{payment.id}", f"/payments/{payment.id}/edit"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/payments/contracts/{foreign.id}/new", data=payment_form()).status_code == 404
    assert client.post(f"/payments/{payment.id}/delete").status_code == 404
    login_as(team["finance"])
    finance_sees = client.get("/payments/").get_data(as_text=True)
    assert foreign.number in finance_sees
    invoices = client.get("/payments/invoices/")
    assert invoices.status_code == 200 and bill.number in invoices.get_data(as_text=True)
    login_as(team["seller"])
    assert client.post(f"/payments/invoices/{bill.id}/void").status_code == 403
    assert foreign.number not in client.get("/payments/").get_data(as_text=True)
    invoices = client.get("/payments/invoices/")
    assert invoices.status_code == 200 and foreign.number not in invoices.get_data(as_text=True)
    assert client.get(f"/payments/{payment.id}").status_code == 404
    db.session.expire_all()
    assert count(Payment) == 1 and db.session.get(Invoice, bill.id).status == "issued"


def test_finance_records_but_the_salesperson_may_not(client, login_as, team):
    contract = team["contract"]
    login_as(team["seller"])
    assert client.get(f"/payments/contracts/{contract.id}/new").status_code == 403
    assert client.post(f"/payments/contracts/{contract.id}/new", data=payment_form()).status_code == 403
    login_as(team["finance"])
    page = client.get(f"/payments/contracts/{contract.id}/new")
    assert page.status_code == 200 and "¥100,000.00" in page.get_data(as_text=True)
    response = client.post(f"/payments/contracts/{contract.id}/new", data=payment_form(amount="30,000.50"))
    assert response.status_code == 302
    db.session.expire_all()
    payment = db.session.scalar(select(Payment))
    assert payment.amount == D("30000.50") and payment.recorded_by_id == team["finance"].id
    assert contract.received_amount == D("30000.50")


def test_an_amount_above_the_outstanding_asks_for_confirmation(client, login_as, team):
    contract = team["contract"]
    make_plan(team["finance"], contract, [(dt.date(2026, 6, 1), "100000.00")])
    pay(team["finance"], contract, "99000.00")
    db.session.commit()
    login_as(team["finance"])
    response = client.post(f"/payments/contracts/{contract.id}/new", data=payment_form(amount="1500.00"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="confirm_excess"' in body
    assert "¥1,000.00" in body and "¥500.00" in body
    assert count(Payment) == 1
    response = client.post(f"/payments/contracts/{contract.id}/new",
                           data=payment_form(amount="1500.00", confirm_excess="y"))
    assert response.status_code == 302
    db.session.expire_all()
    assert contract.received_amount == D("100500.00")
    assert db.session.scalar(select(Payment).order_by(Payment.id.desc())).unallocated_amount == D("500.00")


def test_plan_editor_refuses_a_plan_that_does_not_add_up(client, login_as, team):
    contract = team["contract"]
    login_as(team["seller"])  # the owner keeps the plan
    url = f"/payments/contracts/{contract.id}/plan"
    assert client.get(url).status_code == 200
    split = client.post(url, data={"split": "1", "split_count": "3", "split_first_due": "2026-07-31",
                                   "split_months": "1"})
    body = split.get_data(as_text=True)
    assert split.status_code == 200 and 'value="33333.34"' in body and 'value="2026-09-30"' in body
    rows = {"rows-0-due_date": "2026-07-31", "rows-0-amount": "33333.33", "rows-1-due_date": "2026-08-31",
            "rows-1-amount": "33333.33", "rows-2-due_date": "2026-09-30", "rows-2-amount": "33333.33",
            "rows-3-due_date": "", "rows-3-amount": ""}
    refused = client.post(url, data={**rows, "save": "1"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "¥0.01" in body and count(Instalment) == 0
    rows["rows-2-amount"] = "33333.34"
    assert client.post(url, data={**rows, "save": "1"}).status_code == 302
    amounts = list(db.session.scalars(select(Instalment.amount).order_by(Instalment.sequence)))
    assert amounts == [D("33333.33"), D("33333.33"), D("33333.34")]
    login_as(team["other"])
    assert client.get(url).status_code == 404


def test_refund_page_and_its_detail(client, login_as, team):
    contract = team["contract"]
    make_plan(team["finance"], contract, [(dt.date(2026, 5, 1), "100000.00")])
    pay(team["finance"], contract, "2000.00")
    db.session.commit()
    login_as(team["finance"])
    response = client.post(f"/payments/contracts/{contract.id}/refund",
                           data={"received_on": "2026-06-21", "amount": "3000", "method": "bank_transfer",
                                 "remarks": "退货"})
    assert response.status_code == 200 and "¥2,000.00" in response.get_data(as_text=True)
    response = client.post(f"/payments/contracts/{contract.id}/refund",
                           data={"received_on": "2026-06-21", "amount": "500", "method": "bank_transfer",
                                 "remarks": "退货"})
    assert response.status_code == 302
    refund = db.session.scalar(select(Payment).where(Payment.amount < 0))
    assert refund.status == "confirmed" and contract.received_amount == D("1500.00")
    page = client.get(f"/payments/{refund.id}")
    assert page.status_code == 200 and "-¥500.00" in page.get_data(as_text=True).replace("¥-", "-¥")


def test_invoice_form_confirms_an_amount_above_what_is_left(client, login_as, team):
    contract = team["contract"]
    login_as(team["manager"])
    assert client.get(f"/payments/contracts/{contract.id}/invoices/new").status_code == 403
    login_as(team["finance"])
    page = client.get(f"/payments/contracts/{contract.id}/invoices/new").get_data(as_text=True)
    assert 'value="上海华信智能科技有限公司"' in page
    form = {"number": "INV-1", "invoice_type": "special", "amount": "100000.01", "tax_rate": "13",
            "issued_on": "2026-06-01", "title": "", "remarks": ""}
    asked = client.post(f"/payments/contracts/{contract.id}/invoices/new", data=form)
    assert asked.status_code == 200 and 'name="confirm_excess"' in asked.get_data(as_text=True)
    assert client.post(f"/payments/contracts/{contract.id}/invoices/new",
                       data={**form, "confirm_excess": "y"}).status_code == 302
    invoice = db.session.scalar(select(Invoice))
    assert invoice.amount == D("100000.01") and contract.invoiced_amount == D("100000.01")
    assert client.post(f"/payments/invoices/{invoice.id}/void").status_code == 302
    db.session.expire_all()
    assert invoice.status == "voided" and contract.invoiced_amount == D("0.00")


def test_receivables_and_aging_pages(client, login_as, team):
    contract = team["contract"]
    make_plan(team["finance"], contract, [(TODAY - dt.timedelta(days=31), "60000.00"), (TODAY, "40000.00")])
    pay(team["finance"], contract, "10000.00")
    db.session.commit()
    login_as(team["seller"])
    for path in ("/payments/receivables/", "/payments/receivables/customers", "/payments/aging"):
        assert client.get(path).status_code == 403, path
    login_as(team["manager"])
    body = client.get("/payments/receivables/?sort=overdue").get_data(as_text=True)
    assert contract.number in body and "¥50,000.00" in body and "¥90,000.00" in body
    assert team["foreign"].number not in body
    body = client.get("/payments/receivables/customers").get_data(as_text=True)
    assert "上海华信智能科技有限公司" in body and "北京远图" not in body
    body = client.get("/payments/aging").get_data(as_text=True)
    assert "¥50,000.00" in body and "¥40,000.00" in body and "周销售" in body
    body = client.get("/payments/aging?by=customer").get_data(as_text=True)
    assert "上海华信智能科技有限公司" in body and "¥90,000.00" in body


def test_contract_and_customer_pages_show_the_sections(client, login_as, team, app):
    contract = team["contract"]
    make_plan(team["finance"], contract, [(TODAY - dt.timedelta(days=3), "100000.00")])
    pay(team["finance"], contract, "25000.00")
    db.session.commit()
    login_as(team["seller"])
    body = client.get(f"/customers/{team['customer'].id}").get_data(as_text=True)
    assert 'id="receivables"' in body and "¥75,000.00" in body
    if "contracts.detail" in app.view_functions:
        login_as(team["finance"])
        page = client.get(f"/contracts/{contract.id}")
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and 'id="section-plan"' in body and "¥25,000.00" in body
        assert 'id="action-record-payment"' in body and 'id="action-issue-invoice"' in body


def test_overdue_reminders_are_made_once(client, login_as, team, monkeypatch):
    contract = team["contract"]
    plan = make_plan(team["finance"], contract, [(TODAY - dt.timedelta(days=1), "50000.00"),
                                                 (TODAY, "50000.00")])
    pay(team["finance"], contract, "20000.00")
    db.session.commit()
    assert run_job("payments.overdue").startswith("ran: 1 ")
    assert run_job("payments.overdue").startswith("ran: 0 ")
    reminder = db.session.scalar(select(Reminder).where(Reminder.kind == "payment_overdue"))
    assert reminder.user_id == team["seller"].id and "¥30,000.00" in reminder.title
    assert contract.number in reminder.title and reminder.entity_id == contract.id
    assert db.session.get(Instalment, plan[0].id).overdue_reminded_at is not None
    login_as(team["seller"])
    body = client.get("/reminders/?tab=overdue").get_data(as_text=True) + client.get("/reminders/").get_data(
        as_text=True)
    assert contract.number in body
