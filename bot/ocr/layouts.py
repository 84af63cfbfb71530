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
    "txn.entry_mode",
    "dispute.stage",
    "dispute.case_no",
    "dispute.notified_at",
    "dispute.deadline",
    "dispute.reason_code",
)
SLIP_FIELDS = FIELDS[:13]
NOTICE_FIELDS = (
    "dispute.stage",
    "dispute.case_no",
    "dispute.notified_at",
    "dispute.deadline",
    "dispute.reason_code",
    "txn.reference_no",
    "txn.amount",
    "txn.datetime",
    "txn.card_masked",
    "merchant.name",
    "merchant.merchant_no",
    "merchant.terminal_id",
)

# label kind → (Chinese labels, English labels). A kind is a field id, a partial (date, time)
# or "-" for a label of no interest. Order does not matter: the longest match wins.
LABELS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "merchant.name": (
        ("商户名称", "商户名", "商家名称", "特约商户", "特约商户名称", "商户"),
        ("MERCHANTNAME", "MERCHANT"),
    ),
    "merchant.merchant_no": (
        ("商户编号", "商户号", "商户代码", "商户编码", "商户ID"),
        ("MERCHANTNO", "MERCHANTID", "MID", "MERNO", "MERCHNO", "MERCHANTNUMBER"),
    ),
    "merchant.terminal_id": (
        ("终端编号", "终端号", "终端代码", "终端ID", "终端编码"),
        ("TERMINALNO", "TERMINALID", "TID", "TERMID", "TERMNO", "TERMINAL"),
    ),
    "txn.datetime": (
        ("日期/时间", "交易时间", "日期时间", "交易日期时间", "原交易时间", "交易日期/时间"),
        ("DATE/TIME", "DATETIME"),
    ),
    "date": (("日期", "交易日期", "原交易日期"), ("DATE", "TRANSDATE", "TXNDATE")),
    "time": (("时间",), ("TIME",)),
    "txn.amount": (
        ("金额", "交易金额", "消费金额", "支付金额", "订单金额", "原交易金额", "交易本金"),
        ("AMOUNT", "AMT", "TOTAL", "AMOUNT(RMB)", "TOTALAMOUNT", "SALEAMOUNT"),
    ),
    "txn.reference_no": (
        ("参考号", "检索参考号", "系统参考号", "交易参考号", "系统检索号", "检索号"),
        ("REFERNO", "REFNO", "REFERENCENO", "RRN", "RETRIEVALREFNO", "REFERENCENUMBER"),
    ),
    "txn.voucher_no": (
        ("凭证号", "凭证编号", "票据号", "流水号", "POS流水号", "终端流水号", "跟踪号"),
        ("VOUCHERNO", "TRACENO", "TRACE", "STAN", "INVOICENO", "INVOICE", "VOUCHER"),
    ),
    "txn.batch_no": (("批次号", "批次", "批次编号", "批号"), ("BATCHNO", "BATCH")),
    "txn.auth_code": (
        ("授权码", "授权号", "授权编号"),
        ("AUTHNO", "AUTHCODE", "APPCODE", "APPRCODE", "APPROVALCODE", "AUTH", "APPR"),
    ),
    "txn.card_masked": (
        ("卡号", "交易卡号", "银行卡号", "付款卡号", "支付卡号", "付款卡", "卡号码"),
        ("CARDNO", "CARDNUMBER", "CARD", "PAN"),
    ),
    "txn.issuer": (
        ("发卡行", "发卡银行", "发卡机构", "发卡方"),
        ("ISSUER", "ISSBANK", "ISSUERBANK", "ISS", "ISSUINGBANK"),
    ),
    "txn.type": (
        ("交易类型", "类型", "交易类别", "交易名称", "交易种类"),
        ("TRANSTYPE", "TXNTYPE", "TRANSACTIONTYPE", "TRANS", "TRANSACTION", "TYPE"),
    ),
    "dispute.stage": (("业务类型", "差错类型", "争议类型", "处理类型"), ()),
    "dispute.case_no": (
        (
            "案件编号",
            "案件号",
            "调单编号",
            "调单号",
            "差错编号",
            "差错单号",
            "工单号",
            "工单编号",
            "业务编号",
            "拒付编号",
            "退单编号",
            "争议编号",
            "通知编号",
            "编号",
            "单号",
        ),
        ("CASENO", "CASEID", "CASENUMBER", "TICKET", "TICKETNO"),
    ),
    "dispute.notified_at": (
        (
            "通知日期",
            "发起日期",
            "下发日期",
            "调单日期",
            "拒付日期",
            "退单日期",
            "通知时间",
            "发起时间",
            "提出日期",
            "受理日期",
            "申请日期",
        ),
        (),
    ),
    "dispute.deadline": (
        (
            "回复截止日期",
            "截止日期",
            "最迟回复日期",
            "回复期限",
            "处理期限",
            "反馈截止时间",
            "反馈截止日期",
            "截止时间",
            "最晚回复日期",
            "回复截止时间",
            "答复期限",
        ),
        ("DUEDATE", "DEADLINE", "REPLYBY"),
    ),
    "dispute.reason_code": (
        ("原因码", "原因代码", "调单原因", "拒付原因", "退单原因", "争议原因", "差错原因", "理由码", "原因"),
        ("REASONCODE", "REASON"),
    ),
    "-": (
        (
            "操作员号",
            "操作员",
            "收银员",
            "收单行",
            "收单机构",
            "收单银行",
            "收单方",
            "所属机构",
            "有效期",
            "卡有效期",
            "卡片有效期",
            "备注",
            "附言",
            "持卡人签名",
            "商户存根",
            "持卡人存根",
            "银行存根",
            "商户联",
            "结算金额",
            "入账金额",
            "实收金额",
            "手续费",
            "优惠金额",
            "拒付金额",
            "差错金额",
            "争议金额",
            "扣款金额",
            "调单金额",
            "退款金额",
            "记账日期",
            "入账日期",
            "清算日期",
            "结算日期",
            "交易流水号",
            "订单号",
            "商户订单号",
            "交易状态",
            "交易渠道",
            "交易地点",
            "服务热线",
            "客服电话",
            "客服热线",
            "联系电话",
            "联系人",
            "经办人",
            "经办人电话",
            "商户地址",
            "卡类型",
            "卡种",
            "币种",
        ),
        (
            "OPERATORNO",
            "OPERNO",
            "OPER",
            "CASHIER",
            "ACQUIRER",
            "ACQBANK",
            "ACQ",
            "EXPDATE",
            "EXPIRY",
            "EXP",
            "REFERENCE",
            "CARDHOLDERSIGNATURE",
            "SIGNATURE",
            "MEMO",
            "NOTE",
            "MERCHANTCOPY",
            "CARDHOLDERCOPY",
            "BANKCOPY",
        ),
    ),
}

# Labels known by their meaning: a Chinese label none of the above spells, read by the words in it.
# Tried in order; the first whose words are all in the label names its kind. A label is a short run of
# Chinese characters ending like a label does (号, 码, 期, 额 …), so a merchant's name is never one.
STEMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("原因",), "dispute.reason_code"),
    (("理由",), "dispute.reason_code"),
    (("截止",), "dispute.deadline"),
    (("期限",), "dispute.deadline"),
    (("最迟",), "dispute.deadline"),
    (("最晚",), "dispute.deadline"),
    (("结算",), "-"),
    (("清算",), "-"),
    (("入账",), "-"),
    (("记账",), "-"),
    (("有效",), "-"),
    (("手续",), "-"),
    (("电话",), "-"),
    (("热线",), "-"),
    (("地址",), "-"),
    (("收单",), "-"),
    (("机构",), "-"),
    (("订单",), "-"),
    (("通知", "日期"), "dispute.notified_at"),
    (("发起", "日期"), "dispute.notified_at"),
    (("下发",), "dispute.notified_at"),
    (("案件",), "dispute.case_no"),
    (("工单",), "dispute.case_no"),
    (("差错", "号"), "dispute.case_no"),
    (("调单", "号"), "dispute.case_no"),
    (("拒付", "号"), "dispute.case_no"),
    (("退单", "号"), "dispute.case_no"),
    (("拒付",), "-"),
    (("差错",), "-"),
    (("争议",), "-"),
    (("扣款",), "-"),
    (("参考",), "txn.reference_no"),
    (("检索",), "txn.reference_no"),
    (("凭证",), "txn.voucher_no"),
    (("票据",), "txn.voucher_no"),
    (("批次",), "txn.batch_no"),
    (("授权",), "txn.auth_code"),
    (("终端",), "merchant.terminal_id"),
    (("商户", "名"), "merchant.name"),
    (("商户", "号"), "merchant.merchant_no"),
    (("商户", "编"), "merchant.merchant_no"),
    (("商户", "码"), "merchant.merchant_no"),
    (("卡号",), "txn.card_masked"),
    (("发卡",), "txn.issuer"),
    (("类型",), "txn.type"),
    (("类别",), "txn.type"),
    (("金额",), "txn.amount"),
    (("日期", "时间"), "txn.datetime"),
    (("交易", "时间"), "txn.datetime"),
    (("日期",), "date"),
    (("时间",), "time"),
)
#: How a label's last character may be: a name of a number, a date, an amount, a kind.
LABEL_ENDINGS = "号码期间额型别行因限称户名方构由"

# Words that identify a layout, strongest first.
NOTICE_WORDS = ("通知书", "通知", "详情", "请于", "回复", "反馈", "申辩", "编号")
#: Words that name the stage of a dispute, in the notice's title or its 业务类型 row.
STAGE_WORDS: tuple[tuple[str, str], ...] = (
    ("仲裁", "arbitration"),
    ("调单", "retrieval"),
    ("调阅", "retrieval"),
    ("拒付", "chargeback"),
    ("退单", "chargeback"),
    ("拒绝付款", "chargeback"),
    ("争议退单", "chargeback"),
    ("CHARGEBACK", "chargeback"),
    ("RETRIEVAL", "retrieval"),
    ("ARBITRATION", "arbitration"),
)

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
    """Layout from the page's words: a notice when its top names a dispute stage, else the first layout
    with a word present, else 'unknown'. (A notice mentions 签购单 too: it asks for one.)"""
    joined = "\n".join(compact_upper_texts)
    head = "\n".join(compact_upper_texts[:8])
    if any(w in head for w, _ in STAGE_WORDS) and any(w in joined for w in NOTICE_WORDS):
        return "notice"
    for layout, words in LAYOUT_WORDS:
        if any(w in joined for w in words):
            return layout
    english = sum(
        1 for line in compact_upper_texts if "(" in line and any(e in line for e in ("NO", "TYPE", "AMOUNT"))
    )
    if english >= 3:
        return "unionpay_slip"
    return "unknown"
