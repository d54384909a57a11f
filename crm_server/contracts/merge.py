"""Merge fields of contract templates (合同模板): a body is plain text with fields such as {{客户名称}} and
{{金额大写}}, filled by a plain substitution (never Jinja: the body is an administrator's text), with
{{产品明细}} standing for the table of product lines. An unknown field is refused with its name."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.errors import DomainError
from ..core.money import chinese_capital

FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
LINES_FIELD = "产品明细"
# name -> what it stands for (shown on the template editor)
FIELDS = {
    "合同编号": _l("Contract number"),
    "合同名称": _l("Contract title"),
    "合同类型": _l("Contract type"),
    "客户名称": _l("Customer name"),
    "客户地址": _l("Customer address"),
    "我方名称": _l("Our company name (config.ini)"),
    "合同金额": _l("Amount in figures, e.g. 1,234.56"),
    "金额大写": _l("Amount in Chinese capital numerals, e.g. 壹仟贰佰叁拾肆元伍角陆分"),
    "签订日期": _l("Sign date"),
    "开始日期": _l("Start date"),
    "结束日期": _l("End date"),
    "付款方式": _l("Payment terms"),
    "账期天数": _l("Payment period in days"),
    "签约联系人": _l("Signing contact of the customer"),
    "负责人": _l("Owner (our side)"),
    "备注": _l("Remarks"),
    LINES_FIELD: _l("The table of product lines with the totals"),
}


def fields_in(body: str) -> list[str]:
    return [match.group(1) for match in FIELD.finditer(body or "")]


def check_body(body: str | None, field: str = "body") -> str:
    """The body if every merge field in it is known; otherwise DomainError naming the first unknown one."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError(_("This field is required."), field)
    for name in fields_in(body):
        if name not in FIELDS:
            raise DomainError(_("Unknown merge field {{%(name)s}}. Known fields: %(known)s.", name=name,
                                known=" ".join("{{%s}}" % known for known in FIELDS)), field)
    return body


def chinese_date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "____年__月__日"


def money(value) -> str:
    return f"{value:,.2f}"


def values_for(contract, company_name: str, type_label: str) -> dict[str, str]:
    """The text each merge field stands for in this contract (blank lines to fill by hand where unknown)."""
    customer = contract.customer
    address = " ".join(part for part in (customer.province, customer.city, customer.district, customer.address)
                       if part)
    return {
        "合同编号": contract.number,
        "合同名称": contract.title,
        "合同类型": type_label,
        "客户名称": customer.name,
        "客户地址": address or "________",
        "我方名称": company_name,
        "合同金额": money(contract.amount),
        "金额大写": chinese_capital(contract.amount),
        "签订日期": chinese_date(contract.sign_date),
        "开始日期": chinese_date(contract.start_date),
        "结束日期": chinese_date(contract.end_date),
        "付款方式": contract.payment_terms or "________",
        "账期天数": str(contract.payment_days) if contract.payment_days is not None else "____",
        "签约联系人": contract.contact.name if contract.contact else "________",
        "负责人": contract.owner.display_name,
        "备注": contract.remarks or "",
    }


@dataclass(frozen=True)
class Block:
    """A run of text (newlines kept), or the product table (kind "lines")."""

    kind: str
    text: str = ""


def render(body: str, values: dict[str, str]) -> list[Block]:
    """The body with its fields replaced, as text blocks around the product table(s)."""
    blocks: list[Block] = []
    text: list[str] = []
    position = 0
    for match in FIELD.finditer(body):
        text.append(body[position:match.start()])
        position = match.end()
        name = match.group(1)
        if name == LINES_FIELD:
            blocks.append(Block("text", "".join(text)))
            blocks.append(Block("lines"))
            text = []
        elif name in values:
            text.append(values[name])
        else:
            raise DomainError(_("Unknown merge field {{%(name)s}} in the contract template.", name=name))
    text.append(body[position:])
    blocks.append(Block("text", "".join(text)))
    return [block for block in blocks if block.kind == "lines" or block.text.strip("\n")]


DEFAULT_TEMPLATE_NAME = "标准销售合同"
DEFAULT_TEMPLATE_BODY = """合同编号：{{合同编号}}
签订日期：{{签订日期}}

甲方（买方）：{{客户名称}}
地址：{{客户地址}}
乙方（卖方）：{{我方名称}}

根据《中华人民共和国民法典》及有关法律法规的规定，甲乙双方本着平等自愿、诚实信用的原则，经友好协商，就甲方向乙方购买下列产品事宜达成如下协议，以资共同遵守。

第一条  产品名称、规格、数量及价款
{{产品明细}}
合同总金额（含税）：人民币 {{合同金额}} 元（大写：{{金额大写}}）。

第二条  质量标准
乙方提供的产品应为全新、未经使用的合格产品，符合国家标准或行业标准；无相应标准的，按双方确认的技术要求执行。

第三条  交货时间、地点及方式
乙方应于本合同有效期内按甲方书面通知分批或一次交货，交货地点为甲方指定地点，运输及保险费用由乙方承担。

第四条  验收
甲方应在收货后七个工作日内按本合同约定进行验收；逾期未提出书面异议的，视为验收合格。

第五条  付款方式
{{付款方式}}。乙方应在每期款项支付前向甲方开具等额合法有效的增值税发票。

第六条  质量保证及售后服务
自验收合格之日起十二个月内为质保期。质保期内因产品本身质量问题造成的故障，乙方负责免费维修或更换。

第七条  违约责任
1. 乙方逾期交货的，每逾期一日，按逾期交货部分货款的千分之五向甲方支付违约金；
2. 甲方逾期付款的，每逾期一日，按逾期付款金额的千分之五向乙方支付违约金；
3. 任何一方违反本合同约定给对方造成损失的，应予以赔偿。

第八条  保密
双方对在履行本合同过程中知悉的对方商业秘密负有保密义务，本条款在合同终止后继续有效。

第九条  争议解决
因本合同引起的或与本合同有关的任何争议，双方应协商解决；协商不成的，任何一方均可向乙方所在地有管辖权的人民法院提起诉讼。

第十条  合同期限及其他
本合同有效期自{{开始日期}}起至{{结束日期}}止。本合同一式两份，甲乙双方各执一份，具有同等法律效力，自双方签字盖章之日起生效。未尽事宜，双方另行协商并签订补充协议。

甲方（盖章）：{{客户名称}}
授权代表：{{签约联系人}}
日期：________________

乙方（盖章）：{{我方名称}}
授权代表：{{负责人}}
日期：________________"""
