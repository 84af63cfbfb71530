"""Registered (full legal) names of acquirers, UnionPay and the large banks, whatever the merchant typed.

A letter to an institution names it as registered (拉卡拉支付股份有限公司), not as the merchant
calls it ("lakala", "银商"). Only names we are sure of are listed; anything else is printed as
typed, for the merchant to correct. Matching ignores case, spaces and punctuation.
"""

from __future__ import annotations

import re

# registered name -> the short forms and spellings merchants use
_REGISTERED = {
    "拉卡拉支付股份有限公司": ("拉卡拉", "拉卡拉支付", "lakala", "lakala payment"),
    "银联商务股份有限公司": (
        "银联商务",
        "银商",
        "ums",
        "chinaums",
        "china ums",
        "unionpay merchant services",
    ),
    "通联支付网络服务股份有限公司": ("通联", "通联支付", "allinpay"),
    "随行付支付有限公司": ("随行付", "vbill"),
    "汇付天下有限公司": ("汇付", "汇付天下", "huifu", "chinapnr"),
    "乐刷科技有限公司": ("乐刷", "leshua"),
    "中国银联股份有限公司": ("银联", "中国银联", "unionpay", "china unionpay", "cup"),
    "中国工商银行股份有限公司": ("工商银行", "中国工商银行", "工行", "icbc"),
    "中国农业银行股份有限公司": ("农业银行", "中国农业银行", "农行", "abc", "agricultural bank of china"),
    "中国银行股份有限公司": ("中国银行", "中行", "boc", "bank of china"),
    "中国建设银行股份有限公司": ("建设银行", "中国建设银行", "建行", "ccb"),
    "交通银行股份有限公司": ("交通银行", "交行", "bocom", "bank of communications"),
    "中国邮政储蓄银行股份有限公司": ("邮政储蓄银行", "中国邮政储蓄银行", "邮储银行", "邮储", "psbc"),
    "招商银行股份有限公司": ("招商银行", "招行", "cmb", "china merchants bank"),
}
_ENGLISH = {  # the brand an English reader knows; the registered Chinese name follows in brackets
    "拉卡拉支付股份有限公司": "Lakala",
    "银联商务股份有限公司": "China UMS",
    "通联支付网络服务股份有限公司": "Allinpay",
    "随行付支付有限公司": "Vbill",
    "汇付天下有限公司": "Huifu",
    "乐刷科技有限公司": "Leshua",
    "中国银联股份有限公司": "China UnionPay",
    "中国工商银行股份有限公司": "ICBC",
    "中国农业银行股份有限公司": "Agricultural Bank of China",
    "中国银行股份有限公司": "Bank of China",
    "中国建设银行股份有限公司": "China Construction Bank",
    "交通银行股份有限公司": "Bank of Communications",
    "中国邮政储蓄银行股份有限公司": "Postal Savings Bank of China",
    "招商银行股份有限公司": "China Merchants Bank",
}
UNIONPAY = "中国银联股份有限公司"


def _key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


_LOOKUP = {_key(alias): name for name, aliases in _REGISTERED.items() for alias in (name, *aliases)}


def registered(text: object) -> str | None:
    """The registered name for what the merchant typed, or None when it is not one we know."""
    if not isinstance(text, str) or not text.strip():
        return None
    key = _key(text)
    if key in _LOOKUP:
        return _LOOKUP[key]
    for suffix in ("有限公司", "股份有限公司", "coltd", "limited"):
        if key.endswith(suffix) and key[: -len(suffix)] in _LOOKUP:
            return _LOOKUP[key[: -len(suffix)]]
    for word in re.split(r"[\s/（）()]+", text):  # "lakala 拉卡拉", "银商（银联商务）"
        if word and _key(word) in _LOOKUP:
            return _LOOKUP[_key(word)]
    return None


def display(text: object, lang: str) -> str | None:
    """The name to print in a letter: registered when known (in English for an English paper)."""
    found = registered(text)
    if found is None:
        return text.strip() if isinstance(text, str) and text.strip() else None
    return f"{_ENGLISH[found]} ({found})" if lang == "en" else found


def is_bank(text: object) -> bool:
    name = registered(text) or (text if isinstance(text, str) else "")
    return "银行" in name or "bank" in name.lower()
