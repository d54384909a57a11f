"""Normal forms for the duplicate check (查重) and the keyword search: names, phones, e-mail addresses."""
from __future__ import annotations

import re
import unicodedata

# Words that say what kind of company it is, not which: "上海华东贸易有限公司" and "华东贸易（上海）" match.
# Matched after punctuation and spaces are gone ("Co., Ltd." is "coltd" by then).
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "股份公司", "分公司", "总公司", "公司",
                    "集团", "股份", "有限", "coltd", "ltd", "inc", "limited", "corporation", "corp", "company",
                    "llc", "gmbh")
# A leading province or city is how the same company is often written both ways: 上海华东贸易 / 华东贸易（上海）.
PLACES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
          "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
          "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门", "广州", "深圳", "杭州", "南京", "苏州",
          "武汉", "成都", "西安", "宁波", "无锡", "青岛", "厦门", "大连", "沈阳", "长沙", "郑州", "济南", "合肥",
          "福州", "东莞", "佛山", "昆明", "哈尔滨", "长春", "石家庄", "太原", "南昌", "南宁", "贵阳", "兰州")
_PLACE_PREFIX = re.compile("^(" + "|".join(sorted(PLACES, key=len, reverse=True)) + ")(省|市|自治区)?")
_BRACKETS = re.compile(r"[（(【\[{<《].*?[）)】\]}>》]")
_NOISE = re.compile(r"[\s·•,，.。、'\"“”‘’\-—_/\\:：;；!！?？&＆+]+")


def name_key(name: str | None) -> str:
    """A company name reduced to what identifies it: full-width to half-width (NFKC), lower case, without
    bracketed parts (often the city), punctuation, spaces, and legal-form words such as 有限公司."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _BRACKETS.sub("", text)
    text = _NOISE.sub("", text)
    bare_of_place = _PLACE_PREFIX.sub("", text)
    if len(bare_of_place) >= 2:
        text = bare_of_place
    changed = True
    while changed:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
    return text[:200]


def phone_digits(phone: str | None) -> str | None:
    """Digits only, without a leading +86/0086 country code: "+86 138-0013-8000" -> "13800138000"."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            digits = digits[len(prefix):]
            break
    return digits[:40] or None


def email_key(email: str | None) -> str | None:
    if not email:
        return None
    return unicodedata.normalize("NFKC", email).strip().lower()[:120] or None


def search_text(*parts: str | None) -> str:
    """The text a keyword search looks in: the parts, lower-cased (NFKC), joined by a separator no term has."""
    return "\u0001".join(unicodedata.normalize("NFKC", p).lower() for p in parts if p)


def customer_search_text(name: str | None, short_name: str | None, phone: str | None, email: str | None,
                         contacts=()) -> str:
    """A customer's search text: its name, short name, phone, e-mail and each contact's (name, mobile, phone),
    then the phones again as digits only where written otherwise, so that one LIKE on this one column finds
    "021-6234 5678" by "62345678" (a second column or the contacts table would mean scanning more)."""
    parts = [name, short_name, phone, email]
    phones = [phone]
    for contact_name, mobile, contact_phone in contacts:
        parts += [contact_name, mobile, contact_phone]
        phones += [mobile, contact_phone]
    for number in phones:
        digits = phone_digits(number)
        if digits and digits != number:
            parts.append(digits)
    return search_text(*parts)


def search_term(term: str) -> str:
    return unicodedata.normalize("NFKC", term).strip().lower()
