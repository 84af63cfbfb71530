"""What each document says, by the rules of issue 11, on cases built for them (tests/fixtures/cases/)."""

from __future__ import annotations

from bot.documents import render_output
from bot.documents.names import display, registered
from bot.documents.places import basic_court, pboc_branch
from tests.documents_support import NOW, file_text, load, squash

SERVICE = "chargeback-debited-service-zh"
STOLEN = "stolen-terminal-zh"
PREPAID = "prepaid-partly-en"


def zh(case: dict, output_id: str, lang: str | None = None) -> str:
    result = render_output(case, output_id, now=NOW, lang=lang)
    found = next(f for f in result.files if f.name == f"{output_id}.zh.pdf")
    return squash(file_text(found.name, found.data))


def chat(case: dict, output_id: str) -> str:
    return squash("".join(render_output(case, output_id, now=NOW).chat_html))


def has(text: str, *needles: str) -> None:
    for needle in needles:
        assert squash(needle) in text, needle


def lacks(text: str, *needles: str) -> None:
    for needle in needles:
        assert squash(needle) not in text, needle


# --- the contract a letter names follows txn.supply and txn.delivered -----------------------------


def test_a_meal_is_a_service_contract():
    text = zh(load(SERVICE), "complaint")
    has(text, "服务合同纠纷", "服务费（报酬）", "服务提供方", "原告已于消费当时全部提供")
    lacks(text, "买卖合同纠纷", "出卖人")
    has(zh(load(SERVICE), "lawyer_letter"), "服务合同关系", "已按约全部提供了服务")


def test_goods_are_a_sale():
    case = load(SERVICE)
    case["txn"][0].update(supply="goods", goods="金项链一条")
    text = zh(case, "complaint")
    has(text, "买卖合同纠纷", "价款", "出卖人", "买受人")
    lacks(text, "服务合同纠纷")


def test_a_prepaid_package_follows_the_prepaid_interpretation_and_claims_only_the_part_supplied():
    case = load(PREPAID)
    text = zh(case, "complaint")
    has(
        text,
        "服务合同纠纷（预付式消费）",
        "法释〔2025〕4号",
        "已提供一部分",
        "以被扣回的人民币4,800.00元为限",
    )
    lacks(text, "原告已于消费当时全部提供", "已全部提供")
    letter = zh(case, "lawyer_letter")
    has(letter, "已提供了其中一部分服务", "已提供服务部分的费用")
    lacks(letter, "全部提供")


def test_never_says_delivered_when_it_was_not():
    case = load(SERVICE)
    case["txn"][0]["delivered"] = "partly"
    for output_id in ("complaint", "lawyer_letter", "acquirer"):
        lacks(zh(case, output_id), "全部提供")


# --- the complaint: the 2025 model text's elements ------------------------------------------------


def test_complaint_has_the_model_texts_elements():
    text = zh(load(SERVICE), "complaint")
    has(
        text,
        "原告类型", "个体工商户", "陈静", "名称（字号）", "杭州西湖小吃店",
        "委托诉讼代理人", "代理权限", "诉前财产保全", "是否愿意先行调解", "诉讼费用",
        "湖墅南路 50 号",  # the defendant's address
        "人民币1,288.00元", "杭州市西湖区人民法院", "合同履行地",
    )  # fmt: skip
    company = load(SERVICE)
    company["merchant"].update(entity_type="company", credit_code="91330106MA2XXXXX1X")
    has(zh(company, "complaint"), "法人（公司 / 企业）", "法定代表人")


def test_the_court_and_the_pboc_branch_come_from_the_address():
    assert basic_court("江苏省南京市鼓楼区中山北路 88 号") == "南京市鼓楼区人民法院"
    assert basic_court("上海市静安区南京西路 1000 号") == "上海市静安区人民法院"
    assert basic_court("江苏省苏州市昆山市前进路 1 号") == "昆山市人民法院"
    assert basic_court("Night market, stall 14") is None
    assert pboc_branch("浙江省杭州市西湖区北山街 12 号") == "中国人民银行杭州市分行"
    assert pboc_branch("北京市朝阳区三里屯路 19 号") == "中国人民银行北京市分行"
    assert pboc_branch(None) is None


# --- the lawyer's letter and how to deliver it ----------------------------------------------------


def test_lawyer_letter_has_address_amount_where_to_pay_consequences():
    text = zh(load(SERVICE), "lawyer_letter")
    has(
        text,
        "送达地址",
        "湖墅南路 50 号",
        "人民币1,288.00元",
        "开户行",
        "账号",
        "逾期不付的后果",
        "提起诉讼",
        "特此函告",
    )
    check = squash("".join(render_output(load(SERVICE), "checklist", now=NOW).chat_html))
    has(check, "EMS", "回执", "已读", "送到对方才能中断诉讼时效", "第一百九十五条")


# --- the acquirer reply ----------------------------------------------------------------------------


def test_acquirer_reply_answers_the_reason_with_card_present_signals_and_links():
    text = zh(load(SERVICE), "acquirer")
    has(
        text,
        "“4837 非持卡人本人交易”", "针对争议原因的答复", "关于是否为持卡人本人交易",
        "以芯片插卡方式读卡", "持卡人输入了密码", "持卡人在签购单上签名", "未发生芯片降级刷卡",
        "交易与持卡人的关联", "李建华 11 月 20 日电话预订包厢",
        "附件", "证明内容", "页码", "booking.png",
        "再请款", "撤销对 ¥1,288.00 的拒付", "退还本商户",
    )  # fmt: skip


def test_arbitration_wording_fits_arbitration():
    case = load(SERVICE)
    case["dispute"]["stage"] = "arbitration"
    text = zh(case, "acquirer")
    has(text, "仲裁阶段答辩意见", "在仲裁程序中代为提交", "由发卡方承担")
    lacks(text, "再请款")


def test_weak_evidence_gets_an_accept_path_said_plainly_to_the_merchant():
    case = load(SERVICE)
    case["txn"][0].update(signed=False, pin_verified=False, entry_mode="fallback")
    case["evidence"] = []
    talk = chat(case, "acquirer")
    has(talk, "请如实权衡", "申诉成功的可能性不大", "不持异议，不再申诉")
    lacks(zh(case, "acquirer"), "请如实权衡")  # the file to the acquirer keeps to the reply
    has(squash("".join(render_output(case, "checklist", now=NOW).chat_html)), "可以考虑接受")
    lacks(chat(load(SERVICE), "acquirer"), "请如实权衡")


def test_stolen_terminal_reply_does_not_contest_and_asks_the_right_questions():
    text = zh(load(STOLEN), "acquirer")
    has(
        text,
        "不持异议", "同意将上述交易款项退回持卡人",
        "冻结生效的时间", "报告冻结时间：2025年11月21日 08:20", "第 2 笔（冻结之后）",
        "退货", "撤销", "结算账户", "位置信息", "银联商务股份有限公司",
    )  # fmt: skip
    lacks(text, "真实有效", "再请款", "交易时顾客在场")
    has(zh(load(STOLEN), "no_contest"), "不持异议", "251120234711", "251121090233", "款项属于持卡人")


def test_evidence_proves_what_fits_the_case():
    stolen = zh(load(STOLEN), "evidence_list")
    has(stolen, "终端丢失或被盗的经过及时间")
    lacks(stolen, "交易时顾客在场消费")
    has(zh(load(SERVICE), "evidence_list"), "交易时顾客在场消费", "交易与持卡人本人的关联")


# --- witness, names, quoting, the new papers -----------------------------------------------------


def test_witness_form_has_the_undertaking_and_the_court_appearance_note():
    has(zh(load(SERVICE), "witness"), "如实作证", "作伪证的要承担法律责任", "一般应当出庭作证")


def test_registered_names_whatever_the_merchant_typed():
    for typed, name in (
        ("lakala", "拉卡拉支付股份有限公司"), ("拉卡拉", "拉卡拉支付股份有限公司"),
        ("银商", "银联商务股份有限公司"), ("UMS", "银联商务股份有限公司"),
        ("通联", "通联支付网络服务股份有限公司"), ("随行付", "随行付支付有限公司"),
        ("中国银行", "中国银行股份有限公司"), ("银联", "中国银联股份有限公司"),
    ):  # fmt: skip
        assert registered(typed) == name, typed
    assert registered("某某支付") is None and display("某某支付", "zh") == "某某支付"
    case = load(SERVICE)
    case["merchant"]["acquirer"] = "lakala"
    text = zh(case, "acquirer")
    has(text, "拉卡拉支付股份有限公司：")
    lacks(text, "lakala")
    has(zh(case, "unionpay"), "中国银联股份有限公司")


def test_free_text_is_quoted_not_pasted_mid_sentence():
    text = zh(load(STOLEN), "police")
    has(text, "地点：“夜市 14 号摊位，收摊时放在推车上”")
    lacks(text, "地点为 夜市")
    has(zh(load(STOLEN), "acquirer"), "“夜市 14 号摊位，收摊时放在推车上”")


def test_an_english_merchants_chinese_papers_use_the_chinese_names():
    case = load(PREPAID)
    text = zh(case, "acquirer")
    has(text, "上海徐汇港湾瑜伽馆", "“瑜伽课 40 节次卡”", "拉卡拉支付股份有限公司", "“未收到商品或服务”")
    lacks(text, "Harbour Yoga", "40-class yoga pass")
    has(text, "（英文原文，请补充中文译文）")  # the statement typed in English is marked for translation
    case["customer"]["statement_zh"] = "上了 12 节课后不来了，要求全部退款"
    has(zh(case, "acquirer"), "“上了 12 节课后不来了，要求全部退款”")
    pboc = zh(case, "pboc")
    has(pboc, "中国人民银行上海市分行", "英文原文")
    case["dispute"]["acquirer_problem_zh"] = "没有先要材料就把 4,800 元全部扣回"
    has(zh(case, "pboc"), "“没有先要材料就把 4,800 元全部扣回”")


def test_cardholder_confirmation_is_for_the_customer_to_sign():
    text = zh(load(SERVICE), "confirmation")
    has(text, "持卡人交易确认书", "李建华", "¥1,288.00", "251122183045", "本人确认", "撤回", "持卡人（签名）")
    lacks(text, "不构成法律意见", "D4MD8B1T")


def test_settlement_note_for_a_partly_disputed_amount():
    text = zh(load(PREPAID), "settlement")
    has(
        text,
        "和解协议",
        "Zhang Wei",
        "¥4,800.00",
        "250905110001",
        "不超过上述合计金额",
        "已被银行从甲方结算款中扣回",
    )
    case = load(SERVICE)
    case["customer"]["claim"] = "amount_wrong"
    case["dispute"]["debited"] = False
    has(zh(case, "settlement"), "撤回对上述交易的争议")


def test_customer_letter_asks_to_withdraw_only_a_dispute_that_exists():
    case = load(SERVICE)
    case["dispute"] = {"stage": "none"}
    case["customer"]["channel"] = "in_person"
    text = zh(case, "customer")
    lacks(text, "撤回争议", "发卡银行")
    has(text, "如果您确认这笔消费，请回复我们一声")
    has(zh(load("denied-charge-zh"), "customer"), "撤回争议")


# --- the checklist ---------------------------------------------------------------------------------


def test_checklist_lists_the_transactions_and_follows_the_goal():
    case = load(STOLEN)
    text = squash("".join(render_output(case, "checklist", now=NOW).chat_html))
    has(text, "涉及的交易", "251120234711", "¥3,500.00", "251121090233", "¥1,999.00", "不要申诉")
    confirm = load(SERVICE)
    confirm["goal"] = "confirm_with_customer"
    steps = squash("".join(render_output(confirm, "checklist", now=NOW).chat_html))
    assert steps.index(squash("用确认函礼貌地联系顾客")) < steps.index(squash("向收单机构提交"))
    report = load(SERVICE)
    report["goal"] = "report_only"
    lacks(squash("".join(render_output(report, "checklist", now=NOW).chat_html)), "先由律师发律师函")


def test_payment_order_and_small_claims_only_for_an_undisputed_debt():
    has(zh(load(SERVICE), "checklist"), "支付令和小额诉讼都不适合")
    case = load(SERVICE)
    case["customer"]["claim"] = "not_received"
    other = zh(case, "checklist")
    has(other, "只适合对方不否认欠款的情形", "需要鉴定")
    lacks(other, "都不适合")
    en = render_output(load(SERVICE), "checklist", lang="en", now=NOW)
    assert "Neither a payment order nor small claims fits" in "".join(en.chat_html)
