"""回款: payment plans, payments and refunds, invoices, receivables and aging."""
from flask_babel import lazy_gettext as _l

from ..contracts.sections import register_action as register_contract_action
from ..contracts.sections import register_section as register_contract_section
from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.sections import register_section as register_customer_section
from . import access, jobs, sections, services  # noqa: F401  (permissions, document type, hooks, the job)
from .access import PaymentPermission
from .views import bp

register_nav("payments.index", "bi-cash-coin", _l("Payments"), order=37)
register_nav("payments.invoices", "bi-receipt", _l("Invoices"), order=37.5)
register_nav("payments.receivables_index", "bi-wallet2", _l("Receivables"), permission=PaymentPermission.RECEIVABLES,
             order=38)
register_nav("payments.aging", "bi-hourglass-split", _l("Aging"), permission=PaymentPermission.RECEIVABLES, order=39)

register_entity_labels({"payments": _l("Payment"), "invoices": _l("Invoice"),
                        "payment_instalments": _l("Instalment")})
register_field_labels({
    "payment_plan": _l("Payment plan"), "received_on": _l("Date received"), "method": _l("Payment method"),
    "account": _l("Receiving account"), "reference": _l("Transaction reference"),
    "unallocated_amount": _l("Unallocated"), "invoice_type": _l("Invoice type"), "issued_on": _l("Date of issue"),
    "tax_rate": _l("Tax rate %"),
})

register_contract_section("receivable", _l("Receivable"), "payments/_contract_balance.html",
                          sections.balance_section, order=50)
register_contract_section("payment-plan", _l("Payment plan"), "payments/_contract_plan.html",
                          sections.plan_section, order=51)
register_contract_section("payments", _l("Payments"), "payments/_contract_payments.html",
                          sections.payments_section, order=52)
register_contract_section("invoices", _l("Invoices"), "payments/_contract_invoices.html",
                          sections.invoices_section, order=53)
register_contract_action("record-payment", _l("Record payment"), "payments.create", permission=PaymentPermission.RECORD,
                         order=50, icon="bi-cash-coin", needs_edit=False)
register_contract_action("refund", _l("Refund"), "payments.refund", permission=PaymentPermission.RECORD, order=51,
                         icon="bi-arrow-counterclockwise", needs_edit=False)
register_contract_action("edit-plan", _l("Edit payment plan"), "payments.plan", permission=PaymentPermission.RECORD,
                         order=52, icon="bi-calendar-week", needs_edit=False)
register_contract_action("issue-invoice", _l("Issue invoice"), "payments.invoice_create",
                         permission=PaymentPermission.INVOICE, order=53, icon="bi-receipt", needs_edit=False)
register_customer_section("receivables", _l("Receivables"), "payments/_customer_receivables.html",
                          sections.customer_section, order=45)

__all__ = ["bp"]
