"""Extraction rules on OCR line lists: fast, no model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ocr import SlipReading, extract_fields  # noqa: E402
from bot.ocr import normalize as nz  # noqa: E402
from conversations.cards import luhn_ok

SLIP = [
    "银联POS签购单",
    "商户存根 MERCHANT COPY",
    "商户名称(MERCHANT NAME):",
    "杭州西湖小吃店",
    "商户编号(MERCHANT NO.):",
    "898330158120317",
    "终端编号(TERMINAL NO.):30519427",
    "操作员号(OPERATOR NO.):01",
    "发卡行(ISSUER):招商银行",
    "收单行(ACQUIRER):48021000",
    "卡号(CARD NO.):",
    "622588******1234 C",
    "有效期(EXP DATE):2028/12",
    "交易类型(TRANS TYPE):",
    "消费/SALE",
    "批次号(BATCH NO.):000127",
    "凭证号(VOUCHER NO.):004518",
    "授权码(AUTH NO.):83A2F1",
    "参考号(REFER NO.):",
    "251122183045",
    "日期/时间(DATE/TIME):",
    "2025/11/22 18:30:00",
    "金额(AMOUNT):",
    "RMB 1,288.00",
    "备注(REFERENCE):",
    "持卡人签名(CARDHOLDER SIGNATURE):",
]
SLIP_FIELDS = {
    "merchant.name": "杭州西湖小吃店",
    "merchant.merchant_no": "898330158120317",
    "merchant.terminal_id": "30519427",
    "txn.datetime": "2025-11-22T18:30:00+08:00",
    "txn.amount": "1288.00",
    "txn.reference_no": "251122183045",
    "txn.voucher_no": "004518",
    "txn.batch_no": "000127",
    "txn.auth_code": "83A2F1",
    "txn.card_masked": "622588******1234",
    "txn.issuer": "招商银行",
    "txn.type": "sale",
}


def lines(texts: list[str], score: float = 0.98) -> list[tuple[str, float]]:
    return [(t, score) for t in texts]


def boxed(
    rows: list[tuple[str, str]], *, angle_deg=0.0, x_label=40, x_value=520, top=200, step=60, value_shift=0.0
):
    """Two-column screen rows as RapidOCR-style (box, text, score), the whole page turned by angle_deg."""
    a = math.radians(angle_deg)

    def rot(x, y):
        return (x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a))

    out = []
    for i, (label, value) in enumerate(rows):
        for x, text in ((x_label, label), (x_value, value)):
            if not text:
                continue
            y = top + i * step + (value_shift if x == x_value else 0)
            w = 28 * len(text) if any(ord(c) > 0x2E80 for c in text) else 15 * len(text)
            box = [rot(x, y), rot(x + w, y), rot(x + w, y + 30), rot(x, y + 30)]
            out.append((box, text, 0.99))
    return out


def test_unionpay_slip_without_geometry_reads_every_field():
    r = extract_fields(lines(SLIP))
    assert isinstance(r, SlipReading)
    assert r.layout == "unionpay_slip"
    assert r.fields == {**SLIP_FIELDS, "txn.entry_mode": "chip"}  # the C after the card number
    assert set(r.confidence) == set(r.fields)
    assert all(0 < c <= 1 for c in r.confidence.values())
    assert r.lines == len(SLIP)


def test_ocr_squeezed_spaces_and_full_width_characters():
    texts = [
        "签购单",
        "参考号（REFERNO.）：",
        "２５１１２２１８３０４５",
        "日期/时间（DATE/TIME）：",
        "2025/11/2218:30-00",  # OCR drops the space between date and time, misreads a colon
        "金额（AMOUNT)：",
        "ＲＭＢ　１，２８８．００",
    ]
    r = extract_fields(lines(texts))
    assert r.fields["txn.reference_no"] == "251122183045"
    assert r.fields["txn.datetime"] == "2025-11-22T18:30:00+08:00"
    assert r.fields["txn.amount"] == "1288.00"


def test_letter_o_in_a_number_is_repaired_with_lower_confidence():
    r = extract_fields(lines(["参考号(REFER NO.):25112218304O", "凭证号(VOUCHER NO.):004518"]))
    assert r.fields["txn.reference_no"] == "251122183040"
    assert r.confidence["txn.reference_no"] < r.confidence["txn.voucher_no"]


def test_value_that_fails_its_rule_is_never_proposed():
    texts = [
        "参考号(REFER NO.):25112218304",  # 11 digits
        "凭证号(VOUCHER NO.):0045188",  # 7 digits
        "批次号(BATCH NO.):0O1IB7",  # too many repairs
        "金额(AMOUNT):RMB 1288",  # no fen
        "日期/时间(DATE/TIME):2025/13/22 18:30:00",  # no 13th month
        "交易类型(TRANS TYPE):消费撒销(SALE)",  # misread 撤销 that the English contradicts
        "卡号(CARD NO.):6225881234567890",  # full number failing Luhn
    ]
    r = extract_fields(lines(texts))
    assert r.fields == {}


def test_full_card_number_is_masked_and_never_returned():
    pan = "6225880137654324"  # passes Luhn
    assert luhn_ok(pan)
    r = extract_fields(lines(["卡号(CARD NO.):", f"{pan[:4]} {pan[4:8]} {pan[8:12]} {pan[12:]} C"]))
    assert r.fields["txn.card_masked"] == "622588******4324"
    assert pan not in repr(r)


def test_two_labels_that_disagree_cancel_each_other():
    r = extract_fields(lines(["参考号(REFER NO.):251122183045", "参考号:251122183046", "批次号:000127"]))
    assert "txn.reference_no" not in r.fields
    assert r.fields["txn.batch_no"] == "000127"


def test_separate_date_and_time_lines_combine():
    r = extract_fields(lines(["签购单", "日期(DATE):2025/08/23", "时间(TIME):12:08:07"]))
    assert r.fields["txn.datetime"] == "2025-08-23T12:08:07+08:00"


def test_two_fields_read_as_one_box_are_split():
    r = extract_fields(lines(["批次号:000299 凭证号:578046"]))
    assert r.fields["txn.batch_no"] == "000299"
    assert r.fields["txn.voucher_no"] == "578046"


def test_broken_labels_still_match():
    r = extract_fields(lines(["交时间", "2025-10-21 12:30:03", "步号号（REFERNOL]:", "845564979247"]))
    assert r.fields["txn.datetime"] == "2025-10-21T12:30:03+08:00"
    assert r.fields["txn.reference_no"] == "845564979247"


def test_garbled_label_remnant_is_not_a_merchant_name():
    r = extract_fields(lines(["商户名利MEROHANTNAME:"]))
    assert "merchant.name" not in r.fields


E_SLIP_ROWS = [
    ("电子签购单", ""),
    ("商户名称", "武汉市鑫源服装店"),
    ("商户编号", "848783533740681"),
    ("终端编号", "63170669"),
    ("交易类型", "消费撤销"),
    ("卡号", "625807******6362"),
    ("发卡行", "招商银行"),
    ("交易金额", "¥952.38"),
    ("交易时间", "2025-10-24 14:12:33"),
    ("批次号", "000874"),
    ("凭证号", "617614"),
    ("授权码", "A1RJ24"),
    ("参考号", "158683449786"),
    ("订单号", "70704999622830388368"),
]


@pytest.mark.parametrize("angle", [0.0, 4.0, -7.0])
def test_e_slip_rows_pair_labels_with_values_on_a_tilted_photo(angle):
    r = extract_fields(boxed(E_SLIP_ROWS, angle_deg=angle))
    assert r.layout == "e_slip"
    assert r.fields == {
        "merchant.name": "武汉市鑫源服装店",
        "merchant.merchant_no": "848783533740681",
        "merchant.terminal_id": "63170669",
        "txn.datetime": "2025-10-24T14:12:33+08:00",
        "txn.amount": "952.38",
        "txn.reference_no": "158683449786",
        "txn.voucher_no": "617614",
        "txn.batch_no": "000874",
        "txn.auth_code": "A1RJ24",
        "txn.card_masked": "625807******6362",
        "txn.issuer": "招商银行",
        "txn.type": "void",
    }


def test_values_drifting_below_their_labels_still_pair_up():
    # a phone held at an angle: the value column sits lower than the label column on every row
    r = extract_fields(boxed(E_SLIP_ROWS, value_shift=20))
    assert r.fields["merchant.terminal_id"] == "63170669"
    assert r.fields["txn.type"] == "void"
    assert len(r.fields) == 12


def test_a_missing_value_does_not_borrow_the_next_rows_value():
    rows = [("电子签购单", ""), ("参考号", ""), ("凭证号", "617614"), ("批次号", "000874")]
    r = extract_fields(boxed(rows))
    assert "txn.reference_no" not in r.fields
    assert r.fields["txn.voucher_no"] == "617614"


def test_bank_app_headline_amount_and_distractors():
    rows = [
        ("交易详情", ""),
        ("", "-1,288.00"),
        ("交易类型", "消费"),
        ("交易时间", "2025年11月22日 18:30"),
        ("交易卡号", "招商银行信用卡(尾号1234)"),
        ("结算金额", "1,283.11"),
        ("记账日期", "2025-11-23"),
        ("交易流水号", "893504394881910221"),
    ]
    items = boxed(rows)
    # the headline amount is drawn twice as tall, centred
    for i, (box, text, score) in enumerate(items):
        if text == "-1,288.00":
            (x0, y0), (x1, _), _, _ = box
            items[i] = ([(300, y0), (560, y0), (560, y0 + 64), (300, y0 + 64)], text, score)
    r = extract_fields(items)
    assert r.layout == "bank_app"
    assert r.fields == {
        "txn.datetime": "2025-11-22T18:30:00+08:00",
        "txn.amount": "1288.00",
        "txn.card_masked": "****1234",
        "txn.type": "sale",
    }


def test_nothing_readable():
    r = extract_fields([])
    assert r.fields == {} and r.lines == 0 and r.layout == "unknown"
    r = extract_fields(lines(["谢谢惠顾", "欢迎下次光临"]))
    assert r.fields == {} and r.lines == 2


# --- normalisers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("RMB 1,288.00", "1288.00"),
        ("￥18152.83", "18152.83"),
        ("-1,288.00元", "1288.00"),
        ("RMB:45.00", "45.00"),
        ("1.288.00", "1288.00"),
        ("1288", None),
        ("12.5", None),
        ("0.00", None),
        ("abc", None),
    ],
)
def test_amount(text, want):
    v = nz.as_amount(text)
    assert (v.value if v else None) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("622588******1234", "622588******1234"),
        ("6225 88** **** 1234", "622588******1234"),
        ("622588*.*0435C", "622588******0435"),
        ("625807******26031", "625807******2603"),
        ("尾号1234", "****1234"),
        ("浦发银行信用卡(尾号5731)", "****5731"),
        ("62148******4919", None),  # a digit of the first six lost
        ("898330158120317", None),  # a merchant number, not a card
    ],
)
def test_card(text, want):
    v = nz.as_card(text)
    assert (v.value if v else None) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("消费/SALE", "sale"),
        ("消费撤销(VOID)", "void"),
        ("预授权完成/AUTH COMPLETE", "preauth_completion"),
        ("退货REFUND", "refund"),
        ("预授权", "other"),
        ("消费撒销(VOID)", "void"),
        ("消费撒销(SALE)", None),
        ("消费/REFUND", None),
        ("消费券", None),
    ],
)
def test_type(text, want):
    v = nz.as_type(text)
    assert (v.value if v else None) == want


def test_issuer_snaps_to_known_bank_or_rejects():
    assert nz.as_issuer("招商银行").value == "招商银行"
    assert nz.as_issuer("中国邮政储服银行").value == "中国邮政储蓄银行"
    assert nz.as_issuer("招商银行 03080000").value == "招商银行"
    assert nz.as_issuer("DSSUER尔上海银行") is None
    assert nz.as_issuer("03080000") is None


def test_alnum_codes():
    assert nz.as_alnum("83a2f1", 6).value == "83A2F1"
    assert nz.as_alnum("OBDEAH", 6).value == "0BDEAH"
    assert nz.as_alnum("83A2F", 6) is None
    assert nz.as_alnum("83A2F1:", 6).value == "83A2F1"


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["622588", "621700", "436742", "518710"]),
    st.integers(min_value=6, max_value=12).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
    st.sampled_from(["卡号(CARD NO.):", "交易卡号", "备注(REFERENCE):", "订单号"]),
)
def test_a_full_card_number_never_leaves_unmasked(bin6, middle, label):
    pan = _luhn_complete(bin6 + middle)
    r = extract_fields(lines([label, pan, "参考号:" + pan[:12]]))
    for value in r.fields.values():
        assert pan not in value
    assert pan not in nz.mask_card_numbers(f"card {pan} paid")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="参考号凭证批次授权码卡金额0123456789OIl:()*. ", max_size=30), max_size=8))
def test_proposed_values_always_satisfy_their_rule(texts):
    r = extract_fields(lines(texts))
    rules = {
        "merchant.merchant_no": r"\d{15}",
        "merchant.terminal_id": r"[0-9A-Z]{8}",
        "txn.reference_no": r"\d{12}",
        "txn.voucher_no": r"\d{6}",
        "txn.batch_no": r"\d{6}",
        "txn.auth_code": r"[0-9A-Z]{6}",
        "txn.amount": r"[1-9]\d*\.\d{2}|0\.(0[1-9]|[1-9]\d)",
        "txn.card_masked": r"(\d{6}|\d{4})?\*{4,9}\d{4}",
    }
    import re

    for key, value in r.fields.items():
        if key in rules:
            assert re.fullmatch(rules[key], value), (key, value)


# --- issue 14: notices, labels by meaning, entry modes, transaction types ---------------------------

NOTICE = [
    "拉卡拉银行卡交易拒付通知书",
    "尊敬的商户：",
    "您好！贵单位的下列交易被发卡机构提出拒付，请按要求及时提供交易凭证。",
    "案件编号：CB2025091800123456",
    "通知日期：2025年9月18日",
    "原因码：4837 非持卡人本人交易",
    "商户编号：898330158120317",
    "终端号：30519427",
    "卡号：622588******1234",
    "交易时间：2025-09-02 18:30:00",
    "拒付金额：5876.50元",
    "交易金额：人民币 5,876.50 元",
    "检索参考号：251122183045",
    "客服热线：95516",
    "请于2025年9月28日前将签购单及相关材料提交至我司。",
]


def test_a_notice_as_a_list_is_read_into_dispute_and_transaction_fields():
    r = extract_fields(lines(NOTICE))
    assert r.layout == "notice" and r.kind == "notice" and r.evidence_kind == "dispute_notice"
    assert r.fields == {
        "merchant.merchant_no": "898330158120317",
        "merchant.terminal_id": "30519427",
        "txn.datetime": "2025-09-02T18:30:00+08:00",
        "txn.amount": "5876.50",  # the transaction's amount, not the amount charged back
        "txn.reference_no": "251122183045",
        "txn.card_masked": "622588******1234",
        "dispute.stage": "chargeback",
        "dispute.case_no": "CB2025091800123456",
        "dispute.notified_at": "2025-09-18",
        "dispute.deadline": "2025-09-28",  # said in a sentence
        "dispute.reason_code": "4837 非持卡人本人交易",
    }


@pytest.mark.parametrize(
    ("title", "stage"),
    [("调单通知书", "retrieval"), ("差错交易退单通知", "chargeback"), ("仲裁通知", "arbitration")],
)
def test_the_stage_comes_from_the_title(title, stage):
    r = extract_fields(lines([title, "调阅编号：DD20250918001", "通知日期：2025-09-18"]))
    assert r.fields["dispute.stage"] == stage


def test_a_notice_table_with_two_pairs_a_row():
    rows = boxed(
        [
            ("调单通知", ""),
            ("调单编号", "TD20250918889911"),
            ("通知日期", "2025-09-18"),
            ("参考号", "251122183045"),
        ]
    )
    # a second pair on the row of the notice date: the reply-by date
    rows += [([(700, 260), (860, 260), (860, 290), (700, 290)], "回复截止日期", 0.99)]
    rows += [([(1000, 260), (1150, 260), (1150, 290), (1000, 290)], "2025-09-25", 0.99)]
    r = extract_fields(rows)
    assert r.fields["dispute.notified_at"] == "2025-09-18"
    assert r.fields["dispute.deadline"] == "2025-09-25"
    assert r.fields["txn.reference_no"] == "251122183045"


def test_a_reply_by_date_before_the_notice_is_dropped():
    r = extract_fields(lines(["调单通知", "通知日期：2025-09-18", "回复截止日期：2025-09-08"]))
    assert "dispute.deadline" not in r.fields and r.fields["dispute.notified_at"] == "2025-09-18"


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("检索参考号码", "txn.reference_no"),
        ("POS流水号", "txn.voucher_no"),
        ("终端代号", "merchant.terminal_id"),
        ("授权编码", "txn.auth_code"),
        ("TID", "merchant.terminal_id"),
        ("RRN", "txn.reference_no"),
        ("TRACE NO", "txn.voucher_no"),
        ("APPR CODE", "txn.auth_code"),
    ],
)
def test_labels_are_known_by_meaning(label, field):
    value = {"txn.reference_no": "251122183045", "txn.voucher_no": "004518"}.get(field, "30519427")
    if field == "txn.auth_code":
        value = "83A2F1"
    r = extract_fields(lines(["签购单", f"{label}:{value}"]))
    assert r.fields.get(field) == value


def test_sentences_and_names_are_not_labels():
    from bot.ocr.extract import match_label

    assert match_label("经发卡行申请，贵商户如下交易已被调单，请协助核实") is None
    assert match_label("调单通知书") is None
    assert match_label("预授权完成(AUTH COMPLETE)") is None
    assert match_label("商户存根 MERCHANT COPY").kind == "-"


@pytest.mark.parametrize(
    ("card", "mode"),
    [
        ("622588******1234 /C", "chip"),
        ("622588******1234/S", "swipe"),
        ("6225 88** **** 1234 (F)", "fallback"),
        ("622588******1234 Q", "contactless"),
        ("622588******1234 I", "chip"),
    ],
)
def test_the_entry_mode_is_read_from_the_mark_beside_the_card(card, mode):
    r = extract_fields(lines(["签购单", "卡号(CARD NO.):", card]))
    assert r.fields["txn.card_masked"] == "622588******1234"
    assert r.fields["txn.entry_mode"] == mode


def test_no_entry_mode_without_a_mark():
    r = extract_fields(lines(["签购单", "卡号(CARD NO.):622588******1234"]))
    assert "txn.entry_mode" not in r.fields


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("消费撤销/VOID", "void"),
        ("撤销", "void"),
        ("退货(REFUND)", "refund"),
        ("预授权完成", "preauth_completion"),
    ],
)
def test_the_transaction_type_is_read(text, kind):
    r = extract_fields(lines(["签购单", "交易类型(TRANS TYPE):", text]))
    assert r.fields["txn.type"] == kind
