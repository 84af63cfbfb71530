"""Label vocabularies: how different acquirers, terminal makers and banks word the same field.

Each vocabulary maps a field (or a distractor) to its (Chinese, English) label; either may be empty.
`DEV` vocabularies are the ones the reader's rules may be looked at against; `HELD_OUT` ones are only
ever drawn for the held-out set (bench/ocr.py), so a score on them says whether the rules generalise.
"""

from __future__ import annotations

Vocab = dict[str, tuple[str, str]]

UNIONPAY: Vocab = {
    "merchant.name": ("商户名称", "MERCHANT NAME"),
    "merchant.merchant_no": ("商户编号", "MERCHANT NO."),
    "merchant.terminal_id": ("终端编号", "TERMINAL NO."),
    "operator": ("操作员号", "OPERATOR NO."),
    "txn.issuer": ("发卡行", "ISSUER"),
    "acquirer": ("收单行", "ACQUIRER"),
    "txn.card_masked": ("卡号", "CARD NO."),
    "expiry": ("有效期", "EXP DATE"),
    "txn.type": ("交易类型", "TRANS TYPE"),
    "txn.batch_no": ("批次号", "BATCH NO."),
    "txn.voucher_no": ("凭证号", "VOUCHER NO."),
    "txn.auth_code": ("授权码", "AUTH NO."),
    "txn.reference_no": ("参考号", "REFER NO."),
    "txn.datetime": ("日期/时间", "DATE/TIME"),
    "date": ("日期", "DATE"),
    "time": ("时间", "TIME"),
    "txn.amount": ("金额", "AMOUNT"),
    "remark": ("备注", "REFERENCE"),
}

LAKALA: Vocab = {
    "merchant.name": ("商户名", "MERCHANT"),
    "merchant.merchant_no": ("商户号", "MID"),
    "merchant.terminal_id": ("终端号", "TID"),
    "operator": ("操作员", "OPER"),
    "txn.issuer": ("发卡机构", "ISS"),
    "acquirer": ("收单机构", "ACQ"),
    "txn.card_masked": ("卡号", "CARD"),
    "expiry": ("卡有效期", "EXP"),
    "txn.type": ("交易类型", "TXN TYPE"),
    "txn.batch_no": ("批次号", "BATCH"),
    "txn.voucher_no": ("凭证号", "TRACE NO."),
    "txn.auth_code": ("授权码", "AUTH CODE"),
    "txn.reference_no": ("参考号", "REF NO."),
    "txn.datetime": ("交易时间", "DATE TIME"),
    "date": ("交易日期", "DATE"),
    "time": ("交易时间", "TIME"),
    "txn.amount": ("交易金额", "AMT"),
    "remark": ("备注", "NOTE"),
}

# --- held out: wordings no rule of the reader was written against ---------------------------------

TERMINAL_MAKER: Vocab = {
    "merchant.name": ("特约商户", ""),
    "merchant.merchant_no": ("商户代码", "MERCHANT ID"),
    "merchant.terminal_id": ("终端代码", "TERMINAL ID"),
    "operator": ("收银员", "CASHIER"),
    "txn.issuer": ("发卡银行", "ISSUER BANK"),
    "acquirer": ("收单银行", "ACQ BANK"),
    "txn.card_masked": ("银行卡号", "CARD NUMBER"),
    "expiry": ("有效期", "EXPIRY"),
    "txn.type": ("交易类别", "TRANSACTION"),
    "txn.batch_no": ("批次", "BATCH NO"),
    "txn.voucher_no": ("流水号", "TRACE"),
    "txn.auth_code": ("授权号", "APPR CODE"),
    "txn.reference_no": ("检索参考号", "RRN"),
    "txn.datetime": ("交易日期时间", "DATETIME"),
    "date": ("日期", "DATE"),
    "time": ("时间", "TIME"),
    "txn.amount": ("消费金额", "TOTAL"),
    "remark": ("附言", "MEMO"),
}

BANK_POS: Vocab = {
    "merchant.name": ("商户名称", "MERCHANT"),
    "merchant.merchant_no": ("商户编码", "MER NO"),
    "merchant.terminal_id": ("终端ID", "TERM ID"),
    "operator": ("操作员号", "OPER NO"),
    "txn.issuer": ("发卡方", "ISSUER"),
    "acquirer": ("收单方", "ACQUIRER"),
    "txn.card_masked": ("卡号", "CARD NO"),
    "expiry": ("卡片有效期", "EXP"),
    "txn.type": ("交易名称", "TRANS"),
    "txn.batch_no": ("批次编号", "BATCH"),
    "txn.voucher_no": ("票据号", "INVOICE"),
    "txn.auth_code": ("授权码", "AUTH"),
    "txn.reference_no": ("系统参考号", "REFERENCE NO"),
    "txn.datetime": ("交易日期", "TRANS DATE"),
    "date": ("交易日期", "DATE"),
    "time": ("交易时间", "TIME"),
    "txn.amount": ("交易金额", "AMOUNT(RMB)"),
    "remark": ("备注", ""),
}

# notices: an acquirer's letter, table or app screen
NOTICE_A: Vocab = {
    "dispute.case_no": ("调单编号", "Case No."),
    "dispute.notified_at": ("通知日期", ""),
    "dispute.deadline": ("回复截止日期", ""),
    "dispute.reason_code": ("调单原因", ""),
    "merchant.name": ("商户名称", ""),
    "merchant.merchant_no": ("商户编号", ""),
    "merchant.terminal_id": ("终端编号", ""),
    "txn.card_masked": ("卡号", ""),
    "txn.datetime": ("交易时间", ""),
    "txn.amount": ("交易金额", ""),
    "txn.reference_no": ("参考号", ""),
    "dispute.amount": ("差错金额", ""),
    "contact": ("联系电话", ""),
    "acquirer": ("收单机构", ""),
}

NOTICE_B: Vocab = {
    "dispute.case_no": ("案件编号", "CASE NO"),
    "dispute.notified_at": ("发起日期", ""),
    "dispute.deadline": ("最迟回复日期", ""),
    "dispute.reason_code": ("原因码", "REASON CODE"),
    "merchant.name": ("商户名", ""),
    "merchant.merchant_no": ("商户号", ""),
    "merchant.terminal_id": ("终端号", ""),
    "txn.card_masked": ("交易卡号", ""),
    "txn.datetime": ("交易日期", ""),
    "txn.amount": ("原交易金额", ""),
    "txn.reference_no": ("检索参考号", ""),
    "dispute.amount": ("拒付金额", ""),
    "contact": ("客服热线", ""),
    "acquirer": ("收单行", ""),
}

# held out
NOTICE_C: Vocab = {
    "dispute.case_no": ("差错单号", ""),
    "dispute.notified_at": ("下发日期", ""),
    "dispute.deadline": ("反馈截止时间", ""),
    "dispute.reason_code": ("争议原因", ""),
    "merchant.name": ("特约商户名称", ""),
    "merchant.merchant_no": ("商户代码", ""),
    "merchant.terminal_id": ("终端代码", ""),
    "txn.card_masked": ("银行卡号", ""),
    "txn.datetime": ("原交易时间", ""),
    "txn.amount": ("交易本金", ""),
    "txn.reference_no": ("系统参考号", ""),
    "dispute.amount": ("争议金额", ""),
    "contact": ("经办人电话", ""),
    "acquirer": ("收单机构", ""),
}

NOTICE_D: Vocab = {
    "dispute.case_no": ("工单号", "Ticket"),
    "dispute.notified_at": ("调单日期", ""),
    "dispute.deadline": ("处理期限", ""),
    "dispute.reason_code": ("原因代码", ""),
    "merchant.name": ("商户", ""),
    "merchant.merchant_no": ("MID", ""),
    "merchant.terminal_id": ("TID", ""),
    "txn.card_masked": ("卡号", ""),
    "txn.datetime": ("交易时间", ""),
    "txn.amount": ("金额", ""),
    "txn.reference_no": ("参考号(RRN)", ""),
    "dispute.amount": ("扣款金额", ""),
    "contact": ("联系人", ""),
    "acquirer": ("所属机构", ""),
}

SLIP_VOCABS = {"unionpay": UNIONPAY, "lakala": LAKALA, "terminal_maker": TERMINAL_MAKER, "bank_pos": BANK_POS}
NOTICE_VOCABS = {"notice_a": NOTICE_A, "notice_b": NOTICE_B, "notice_c": NOTICE_C, "notice_d": NOTICE_D}
DEV = ("unionpay", "lakala", "notice_a", "notice_b")
HELD_OUT = ("terminal_maker", "bank_pos", "notice_c", "notice_d")
