"""Contract to cash in Chromium: a salesperson records the customer's acceptance of a quote and wins the
opportunity, creates the contract from the quote (lines and amount carried over) and submits it; the approval
flow for contracts of 100,000 and more sends it to her manager, who approves it from "waiting for me"; the
contract is printed and its PDF read back; the payment plan is split into an overdue and a future instalment (a
wrong sum refused with the difference); finance records two payments against it; the contract page,
receivables and aging show the hand-computed figures; the overdue job reminds the owner.

Figures (by hand):
  line 1  工业以太网交换机 40 × 2,350.00 = 94,000.00, tax 13 % = 12,220.00 → 106,220.00
  line 2  软件授权（三年） 1 × 9,999.99, tax 6 % = 599.9994 → 600.00 → 10,599.99
  contract amount 116,819.99 = 壹拾壹万陆仟捌佰壹拾玖元玖角玖分
  plan    instalment 1 due 40 days ago 50,000.00; instalment 2 due in 60 days 66,819.99
          (first tried with 66,000.00: 116,000.00 entered, a difference of 819.99)
  paid    20,000.00 (oldest due first → instalment 1), 12,345.67 (matched to instalment 2)
          received 32,345.67; outstanding 84,474.32
          instalment 1: 30,000.00 outstanding, 40 days overdue → aging bucket 31–60
          instalment 2: 54,474.32 outstanding, not yet due
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from crm_server.approvals.models import ApprovalCondition, ApprovalFlow, ApprovalRequest, ApprovalStep
from crm_server.contracts.models import Contract
from crm_server.core.jobs import run_job
from crm_server.extensions import db
from crm_server.opportunities import services as opportunity_services
from crm_server.opportunities.models import Pipeline, Stage
from crm_server.payments.models import Instalment, Payment
from crm_server.payments.services import site_today
from crm_server.products.models import Product
from crm_server.quotes import services as quote_services
from crm_server.quotes.services import LineInput
from crm_server.reminders.models import Reminder
from tests.factories import make_branch, make_contact, make_customer, make_department, make_user

from .test_quotes import _in_db, sign_in, sign_out

pytestmark = pytest.mark.browser

CUSTOMER = "苏州恒润精密制造有限公司"
AMOUNT = "116819.99"
CAPITAL = "壹拾壹万陆仟捌佰壹拾玖元玖角玖分"


def _stage(kind: str) -> Stage:
    return db.session.scalars(
        select(Stage).join(Pipeline, Stage.pipeline_id == Pipeline.id).where(Stage.kind == kind)
        .order_by(Pipeline.is_default.desc(), Pipeline.id, Stage.sort_order, Stage.id)).first()


@pytest.fixture
def deal(live_app):
    """The team, the customer, the contract approval flow (amount ≥ 100,000 → the submitter's manager), an open
    opportunity and its quote, already sent to the customer (made through the quotes service, so its totals
    are the service's)."""
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        manager = make_user("sales_manager", username="wangjl", display_name="王经理", department=department)
        seller = make_user("sales", username="lifang", display_name="李芳", department=department, manager=manager)
        make_user("finance", username="zhaokj", display_name="赵会计", department=department)
        customer = make_customer(seller, CUSTOMER)
        contact = make_contact(customer, "陈建国")
        product = Product(code="SW-2400", name="工业以太网交换机", specification="24口千兆", unit="台",
                          list_price=Decimal("2350.00"), tax_rate=Decimal("13.00"))
        db.session.add(product)
        flow = ApprovalFlow(document_type="contract", name="大额合同审批", priority=10, is_active=True)
        flow.conditions = [ApprovalCondition(fact="amount", operator="ge", value="100000")]
        flow.steps = [ApprovalStep(position=1, name="直属经理审批", approver_kind="manager")]
        db.session.add(flow)
        db.session.flush()
        opportunity = opportunity_services.create_opportunity(
            seller, customer, name="产线网络改造项目", amount=Decimal("100000.00"), stage_id=_stage("open").id)
        db.session.flush()
        quote = quote_services.create_quote(
            seller, customer_id=customer.id, title="产线网络改造报价", opportunity_id=opportunity.id,
            contact_id=contact.id, payment_terms="签约后预付50%，验收后付清",
            lines=[LineInput(product_id=product.id, quantity="40"),
                   LineInput(description="软件授权（三年）", quantity="1", unit_price="9999.99", tax_rate="6.00")])
        quote_services.mark_sent(seller, quote)  # no discount, no quote flow: approved at once, then sent
        assert quote.total == Decimal(AMOUNT)
        return {"customer_id": customer.id, "opportunity_id": opportunity.id, "quote_id": quote.id,
                "won_stage_id": _stage("won").id, "seller_id": seller.id, "today": site_today()}
    return _in_db(live_app, work)


def test_contract_to_cash(page, live_app, deal):
    today = deal["today"]

    # --- 1. 李芳 records the acceptance, wins the opportunity, makes the contract from the quote -----------
    sign_in(page, "lifang")
    page.goto(f"/quotes/{deal['quote_id']}")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "sent")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#accept-quote")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "accepted")

    page.goto(f"/opportunities/{deal['opportunity_id']}")
    expect(page.locator("#opportunity-amount")).to_have_attribute("data-amount", AMOUNT)  # the accepted total
    page.select_option("#stage-select", str(deal["won_stage_id"]))
    page.click("#move-stage")
    expect(page.locator("#opportunity-status")).to_have_attribute("data-status", "won")

    page.goto(f"/quotes/{deal['quote_id']}")
    page.click("#create-contract")
    expect(page).to_have_url(re.compile(rf"/contracts/new\?quote_id={deal['quote_id']}$"))
    expect(page.locator("#source-quote")).to_be_visible()
    expect(page.locator("#title")).to_have_value("产线网络改造报价")
    expect(page.locator('#line-row-0 [data-field="description"]')).to_have_value("工业以太网交换机")
    expect(page.locator('#line-row-0 [data-field="unit_price"]')).to_have_value(re.compile(r"^2350(\.00)?$"))
    expect(page.locator('#line-row-0 [data-field="quantity"]')).to_have_value(re.compile(r"^40(\.0+)?$"))
    expect(page.locator('#line-row-0 [data-field="tax_rate"]')).to_have_value(re.compile(r"^13(\.00)?$"))
    expect(page.locator('#line-row-1 [data-field="description"]')).to_have_value("软件授权（三年）")
    expect(page.locator('#line-row-1 [data-field="unit_price"]')).to_have_value("9999.99")
    expect(page.locator('#line-row-1 [data-field="tax_rate"]')).to_have_value(re.compile(r"^6(\.00)?$"))
    expect(page.locator('#line-row-2 [data-field="description"]')).to_have_value("")
    page.click("#save-contract")
    expect(page).to_have_url(re.compile(r"/contracts/\d+$"))
    contract_url = page.url
    contract_id = int(contract_url.rsplit("/", 1)[1])
    expect(page.locator("#contract-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#contract-customer")).to_have_text(CUSTOMER)
    expect(page.locator("#contract-quote")).to_be_visible()
    expect(page.locator("#contract-opportunity")).to_have_text("产线网络改造项目")
    expect(page.locator("#contract-lines-table .line-description")).to_have_text(["工业以太网交换机", "软件授权（三年）"])
    expect(page.locator("#contract-lines-table .line-amount")).to_have_text(["94,000.00", "9,999.99"])
    expect(page.locator("#contract-net")).to_have_text("103,999.99")
    expect(page.locator("#contract-tax")).to_have_text("12,820.00")
    expect(page.locator("#contract-total")).to_have_attribute("data-amount", AMOUNT)
    expect(page.locator("#contract-amount")).to_have_text("116,819.99")
    expect(page.locator("#contract-capital")).to_have_text(CAPITAL)
    number = page.locator("#contract-number").inner_text().strip()
    assert number

    page.click("#submit-contract")
    expect(page.locator("#contract-status")).to_have_attribute("data-status", "pending")
    expect(page.locator("#edit-contract")).to_have_count(0)  # waiting for approval: no more edits
    panel = page.locator("#approval-panel")
    expect(panel).to_contain_text("大额合同审批")
    expect(panel.locator(".approval-current")).to_contain_text("王经理")  # the flow chose the manager
    expect(page.locator("#approval-decision-form")).to_have_count(0)  # the submitter does not decide

    # --- 2. 王经理 approves it from "waiting for me" -----------------------------------------------------------
    sign_out(page)
    sign_in(page, "wangjl")
    page.goto("/approvals/")
    request_id = _in_db(live_app, lambda: db.session.scalar(
        select(ApprovalRequest.id).where(ApprovalRequest.document_type == "contract",
                                         ApprovalRequest.document_id == contract_id)))
    row = page.locator(f"#waiting-{request_id}")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text(CUSTOMER)
    expect(row).to_contain_text("116,819.99")
    expect(row).to_contain_text("李芳")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/approvals/requests/{request_id}$"))
    expect(page.locator("#approval-amount")).to_have_text("116,819.99")
    page.fill("#approval-decision-comment", "价格合理，同意签约")
    page.click("#approval-approve")
    expect(page).to_have_url(contract_url)
    expect(page.locator("#contract-status")).to_have_attribute("data-status", "active")
    expect(page.locator("#locked-note")).to_be_visible()
    request = page.locator(f"#approval-request-{request_id}")
    expect(request).to_have_attribute("data-status", "approved")
    expect(request.locator(".approval-event")).to_have_count(2)
    expect(request.locator('.approval-event[data-action="submitted"]')).to_contain_text("李芳")
    approved = request.locator('.approval-event[data-action="approved"]')
    expect(approved).to_contain_text("王经理")
    expect(approved).to_contain_text("直属经理审批")
    expect(approved.locator(".approval-comment")).to_contain_text("价格合理，同意签约")
    page.goto("/approvals/")
    expect(page.locator(f"#waiting-{request_id}")).to_have_count(0)

    # --- 3. the print view and the PDF -------------------------------------------------------------------
    sign_out(page)
    sign_in(page, "lifang")
    page.goto(contract_url)
    expect(page.locator("#edit-contract")).to_have_count(0)  # approved: locked
    with page.context.expect_page() as print_info:
        page.click("#print-contract")
    printed = print_info.value
    try:
        printed.wait_for_load_state()
        expect(printed.locator("#print-title")).to_have_text("产线网络改造报价")
        expect(printed.locator("main")).to_contain_text(f"甲方（买方）：{CUSTOMER}")
        expect(printed.locator("main")).to_contain_text(f"大写：{CAPITAL}")
        expect(printed.locator("main")).to_contain_text(number)
        expect(printed.locator("#contract-capital")).to_have_text(CAPITAL)
        expect(printed.locator("#contract-total")).to_have_text("116,819.99")
        expect(printed.locator(".alert-warning")).to_have_count(0)  # approved: no "not approved yet" note
        # The sheet's own styles apply (under the CSP they must come from a stylesheet, not inline): the title
        # centred, the contract's text keeping its line breaks. Checked now, asserted at the end, so that a
        # broken style does not hide what the rest of the flow would show.
        styles = printed.evaluate("""() => [
            getComputedStyle(document.querySelector('#print-title')).textAlign,
            getComputedStyle(document.querySelector('.contract-text')).whiteSpace]""")
    finally:
        printed.close()
    with page.expect_download() as download_info:
        page.click("#download-pdf")
    with open(download_info.value.path(), "rb") as handle:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    for expected in (CUSTOMER, number, "116,819.99", CAPITAL, "工业以太网交换机"):
        assert expected in text, expected

    # --- 4. the payment plan: a wrong sum is refused with the difference, then two instalments -----------
    overdue_due = today - dt.timedelta(days=40)
    future_due = today + dt.timedelta(days=60)
    page.click("#section-edit-plan")
    expect(page).to_have_url(re.compile(rf"/payments/contracts/{contract_id}/plan$"))
    expect(page.locator("#plan-contract-amount")).to_have_text("¥116,819.99")
    page.fill("#plan-row-0 input[name$=due_date]", overdue_due.isoformat())
    page.fill("#plan-row-0 input[name$=amount]", "50000.00")
    page.fill("#plan-row-0 input[name$=remarks]", "预付款")
    page.fill("#plan-row-1 input[name$=due_date]", future_due.isoformat())
    page.fill("#plan-row-1 input[name$=amount]", "66000.00")
    page.fill("#plan-row-1 input[name$=remarks]", "验收款")
    page.click("#save-plan")
    expect(page).to_have_url(re.compile(rf"/payments/contracts/{contract_id}/plan$"))
    expect(page.locator("#plan-error")).to_contain_text("¥819.99")
    expect(page.locator("#plan-error")).to_contain_text("¥116,000.00")
    expect(page.locator("#plan-entered")).to_have_text("¥116,000.00")
    expect(page.locator("#plan-difference")).to_contain_text("¥819.99")
    assert _in_db(live_app, lambda: db.session.scalar(
        select(Instalment.id).where(Instalment.contract_id == contract_id))) is None  # nothing saved
    expect(page.locator("#plan-row-0 input[name$=amount]")).to_have_value("50000.00")  # the entries are kept
    page.fill("#plan-row-1 input[name$=amount]", "66819.99")
    page.click("#save-plan")
    expect(page).to_have_url(contract_url)
    plan_rows = page.locator("#section-plan tbody tr")
    expect(plan_rows).to_have_count(2)
    expect(plan_rows.nth(0)).to_contain_text(overdue_due.isoformat())
    expect(plan_rows.nth(0)).to_contain_text("¥50,000.00")
    expect(plan_rows.nth(0)).to_have_class(re.compile(r"table-danger"))  # overdue
    expect(plan_rows.nth(1)).to_contain_text(future_due.isoformat())
    expect(plan_rows.nth(1)).to_contain_text("¥66,819.99")
    expect(page.locator("#plan-mismatch")).to_have_count(0)
    expect(page.locator("#balance-overdue")).to_have_text("¥50,000.00")
    expect(page.locator("#action-record-payment")).to_have_count(0)  # a salesperson does not record money
    instalments = _in_db(live_app, lambda: list(db.session.scalars(
        select(Instalment.id).where(Instalment.contract_id == contract_id).order_by(Instalment.sequence))))

    # --- 5. finance records two payments against the plan ------------------------------------------------
    sign_out(page)
    sign_in(page, "zhaokj")
    page.goto(contract_url)
    expect(page.locator("#edit-contract")).to_have_count(0)
    page.click("#action-record-payment")
    expect(page).to_have_url(re.compile(rf"/payments/contracts/{contract_id}/new$"))
    expect(page.locator("#payment-outstanding")).to_have_text("¥116,819.99")
    page.fill("#received_on", (today - dt.timedelta(days=3)).isoformat())
    page.fill("#amount", "20000.00")
    page.fill("#account", "招商银行苏州分行 6225 8812 3456 7890")
    page.fill("#reference", "HR-20000")
    page.click("#save-payment")  # "oldest due first": instalment 1
    expect(page).to_have_url(contract_url)
    expect(page.locator("#balance-received")).to_have_text("¥20,000.00")
    expect(page.locator("#balance-outstanding")).to_have_text("¥96,819.99")
    expect(page.locator("#balance-overdue")).to_have_text("¥30,000.00")

    page.click("#action-record-payment")
    expect(page.locator("#payment-outstanding")).to_have_text("¥96,819.99")
    page.fill("#received_on", today.isoformat())
    page.fill("#amount", "12345.67")
    page.fill("#reference", "HR-12345")
    page.select_option("#instalment_id", str(instalments[1]))
    page.click("#save-payment")
    expect(page).to_have_url(contract_url)
    expect(page.locator("#contract-received")).to_have_text("32,345.67")
    expect(page.locator("#balance-amount")).to_have_text("¥116,819.99")
    expect(page.locator("#balance-received")).to_have_text("¥32,345.67")
    expect(page.locator("#balance-outstanding")).to_have_text("¥84,474.32")
    expect(page.locator("#balance-overdue")).to_have_text("¥30,000.00")
    expect(page.locator("#balance-unallocated")).to_have_count(0)
    expect(page.locator(f"#instalment-{instalments[0]} .instalment-received")).to_have_text("¥20,000.00")
    expect(page.locator(f"#instalment-{instalments[0]} .instalment-outstanding")).to_have_text("¥30,000.00")
    expect(page.locator(f"#instalment-{instalments[1]} .instalment-received")).to_have_text("¥12,345.67")
    expect(page.locator(f"#instalment-{instalments[1]} .instalment-outstanding")).to_have_text("¥54,474.32")
    expect(page.locator("#section-payments tbody tr")).to_have_count(2)
    expect(page.locator("#section-payments")).to_contain_text("¥12,345.67")
    expect(page.locator("#section-payments")).to_contain_text("赵会计")

    def stored():
        contract = db.session.get(Contract, contract_id)
        payments = db.session.scalars(select(Payment.amount).where(Payment.contract_id == contract_id)
                                      .order_by(Payment.id)).all()
        return contract.amount, contract.received_amount, payments
    assert _in_db(live_app, stored) == (Decimal(AMOUNT), Decimal("32345.67"),
                                        [Decimal("20000.00"), Decimal("12345.67")])

    # --- 6. receivables and aging ------------------------------------------------------------------------
    page.goto("/payments/receivables/")
    receivable = page.locator(f"#receivable-{contract_id}")
    expect(receivable).to_contain_text(number)
    expect(receivable).to_contain_text(CUSTOMER)
    expect(receivable).to_contain_text("¥116,819.99")
    expect(receivable).to_contain_text("¥32,345.67")
    expect(receivable.locator(".receivable-outstanding")).to_have_text("¥84,474.32")
    expect(receivable.locator(".receivable-overdue")).to_have_text("¥30,000.00")
    expect(receivable).to_contain_text(future_due.isoformat())  # the next due date
    page.goto("/payments/aging")
    for row in (page.locator(f"#aging-owner-{deal['seller_id']}"), page.locator("#aging-totals")):
        expect(row.locator(".aging-not_due")).to_have_text("¥54,474.32")
        expect(row.locator(".aging-days_1_30")).to_have_text("¥0.00")
        expect(row.locator(".aging-days_31_60")).to_have_text("¥30,000.00")  # 40 days overdue
        expect(row.locator(".aging-days_61_90")).to_have_text("¥0.00")
        expect(row.locator(".aging-days_over_90")).to_have_text("¥0.00")
        expect(row.locator(".aging-total")).to_have_text("¥84,474.32")
    expect(page.locator(f"#aging-owner-{deal['seller_id']}")).to_contain_text("李芳")
    page.click("#aging-by-customer")
    by_customer = page.locator(f"#aging-customer-{deal['customer_id']}")
    expect(by_customer).to_contain_text(CUSTOMER)
    expect(by_customer.locator(".aging-days_31_60")).to_have_text("¥30,000.00")

    # --- 7. the overdue job (as the scheduler runs it) reminds the owner ---------------------------------
    with live_app.app_context():
        result = run_job("payments.overdue")
        db.session.remove()
    assert result.startswith("ran: 1 "), result

    def overdue_reminders():
        return [(r.user_id, r.entity_type, r.entity_id) for r in db.session.scalars(
            select(Reminder).where(Reminder.kind == "payment_overdue"))]
    assert _in_db(live_app, overdue_reminders) == [(deal["seller_id"], "contracts", contract_id)]
    sign_out(page)
    sign_in(page, "lifang")
    page.goto("/reminders/?tab=today")
    # the overdue reminder names the contract and what is still outstanding of instalment 1
    reminder = page.locator(".reminder-row", has_text=number).filter(has_text="¥30,000.00")
    expect(reminder).to_have_count(1)
    reminder.locator(".reminder-title a").click()
    expect(page).to_have_url(contract_url)

    assert styles == ["center", "pre-wrap"], f"the print view's styles are not applied: {styles}"
