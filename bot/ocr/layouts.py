"""What the three kinds of picture look like: their labels, the words that tell them apart, known issuers.

Labels are matched at the start of an OCR line, spaces removed; English labels upper-cased with
spaces and dots removed (OCR drops the spaces on slips: "REFERNO."). Labels that name no case field
("操作员号", "结算金额", "记账日期" …) are listed too, so that a line carrying one is never taken for
another field's value.
"""

from __future__ import annotations

FIELDS = (
    "merchant.name",
    "merchant.merchant_no",
    "merchant.terminal_id",
    "txn.datetime",
    "txn.amount",
    "txn.reference_no",
    "txn.voucher_no",
    "txn.batch_no",
    "txn.auth_code",
    "txn.card_masked",
    "txn.issuer",
    "txn.type",
)

# label kind → (Chinese labels, English labels). A kind is a field id, a partial (date, time)
# or "-" for a label of no interest. Order does not matter: the longest match wins.
LABELS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "merchant.name": (("商户名称", "商户名", "商家名称", "特约商户"), ("MERCHANTNAME",)),
    "merchant.merchant_no": (("商户编号", "商户号", "商户代码"), ("MERCHANTNO", "MERCHANTID", "MID")),
    "merchant.terminal_id": (("终端编号", "终端号", "终端代码"), ("TERMINALNO", "TERMINALID", "TID")),
    "txn.datetime": (("日期/时间", "交易时间", "日期时间", "交易日期时间"), ("DATE/TIME", "DATETIME")),
    "date": (("日期", "交易日期"), ("DATE",)),
    "time": (("时间",), ("TIME",)),
    "txn.amount": (("金额", "交易金额", "消费金额", "支付金额", "订单金额"), ("AMOUNT", "AMT")),
    "txn.reference_no": (
        ("参考号", "检索参考号", "系统参考号", "交易参考号"),
        ("REFERNO", "REFNO", "REFERENCENO"),
    ),
    "txn.voucher_no": (("凭证号", "凭证编号", "票据号"), ("VOUCHERNO", "TRACENO", "TRACE")),
    "txn.batch_no": (("批次号", "批次"), ("BATCHNO",)),
    "txn.auth_code": (("授权码", "授权号"), ("AUTHNO", "AUTHCODE", "APPCODE")),
    "txn.card_masked": (("卡号", "交易卡号", "银行卡号", "付款卡号", "支付卡号", "付款卡"), ("CARDNO",)),
    "txn.issuer": (("发卡行", "发卡银行", "发卡机构"), ("ISSUER", "ISSBANK")),
    "txn.type": (("交易类型", "类型", "交易类别"), ("TRANSTYPE", "TXNTYPE")),
    "-": (
        (
            "操作员号",
            "操作员",
            "收单行",
            "收单机构",
            "收单银行",
            "有效期",
            "备注",
            "持卡人签名",
            "结算金额",
            "入账金额",
            "实收金额",
            "手续费",
            "优惠金额",
            "记账日期",
            "入账日期",
            "清算日期",
            "结算日期",
            "交易流水号",
            "流水号",
            "订单号",
            "商户订单号",
            "交易状态",
            "交易渠道",
            "交易地点",
            "服务热线",
            "客服电话",
            "卡类型",
            "卡种",
            "币种",
        ),
        ("OPERATORNO", "ACQUIRER", "EXPDATE", "EXP", "REFERENCE", "CARDHOLDERSIGNATURE", "SIGNATURE"),
    ),
}

# Words that identify a layout, strongest first.
LAYOUT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("e_slip", ("电子签购单", "电子签名", "电子小票")),
    ("unionpay_slip", ("签购单", "商户存根", "持卡人存根", "MERCHANTCOPY", "CARDHOLDERCOPY", "银行存根")),
    ("bank_app", ("交易详情", "账单详情", "交易明细", "账单明细", "记账日期", "入账日期", "交易卡号")),
)

# Transaction type words. A value must consist of such words only (消费撒销 is not 消费), and its
# Chinese and English words must agree.
TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("消费撤销", "void"),
    ("撤销", "void"),
    ("预授权完成", "preauth_completion"),
    ("预授权完成(请求)", "preauth_completion"),
    ("预授权撤销", "other"),
    ("预授权", "other"),
    ("退货", "refund"),
    ("退款", "refund"),
    ("消费", "sale"),
    ("AUTHCOMPLETE", "preauth_completion"),
    ("AUTHCOMPLETION", "preauth_completion"),
    ("COMPLETION", "preauth_completion"),
    ("COMPLETE", "preauth_completion"),
    ("VOID", "void"),
    ("REFUND", "refund"),
    ("SALE", "sale"),
    ("PREAUTH", "other"),
    ("PRE-AUTH", "other"),
)

BANKS = frozenset(
    {
        "中国工商银行",
        "工商银行",
        "中国农业银行",
        "农业银行",
        "中国银行",
        "中国建设银行",
        "建设银行",
        "交通银行",
        "招商银行",
        "中信银行",
        "浦发银行",
        "上海浦东发展银行",
        "兴业银行",
        "民生银行",
        "中国民生银行",
        "光大银行",
        "中国光大银行",
        "平安银行",
        "广发银行",
        "华夏银行",
        "中国邮政储蓄银行",
        "邮储银行",
        "北京银行",
        "上海银行",
        "江苏银行",
        "宁波银行",
        "南京银行",
        "杭州银行",
        "浙商银行",
        "渤海银行",
        "恒丰银行",
        "农村信用社",
    }
)


def detect_layout(compact_upper_texts: list[str]) -> str:
    """Layout from the page's words: the first layout with a word present, else 'unknown'."""
    joined = "\n".join(compact_upper_texts)
    for layout, words in LAYOUT_WORDS:
        if any(w in joined for w in words):
            return layout
    english = sum(
        1 for text in compact_upper_texts if "(" in text and any(e in text for e in ("NO", "TYPE", "AMOUNT"))
    )
    if english >= 3:
        return "unionpay_slip"
    return "unknown"
