"""The questions, declared as data: one `Step` per field, grouped as the review shows them.

Adding a question is one entry here and one catalog entry; the engine is the only code that walks
these lists. Field ids are the contract of shared/design/case-fields.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from conversations.i18n import N_
from conversations.kinds import (
    Alnum,
    Amount,
    CardMasked,
    Choice,
    CreditCode,
    Date,
    DateTime,
    Digits,
    File,
    Kind,
    Phone,
    Reference,
    Text,
    YesNo,
)

Condition = Callable[[dict, dict | None], bool]  # (case, item of a repeating group or None)


@dataclass(frozen=True)
class Button:
    """One press that answers several fields: "My terminal was stolen" is the scenario and how."""

    sets: tuple[tuple[str, str], ...]  # (field id, option value), the asked field first
    label: str
    quiet: bool = False  # True: the label says it all; False: the other fields set are noted

    @property
    def id(self) -> str:
        return "&".join(f"{field}={value}" for field, value in self.sets)


@dataclass(frozen=True)
class Step:
    field: str  # dotted id, e.g. "txn.reference_no"
    ask: str  # the question (message id)
    kind: Kind
    label: str  # short name for the review
    optional: bool = False
    when: Condition | None = None
    help: str | None = None  # what /help says at this question
    # the buttons instead of the kind's options (each may answer later fields too); typed answers
    # and the plain `FIELD=VALUE` ids stay accepted
    buttons: Callable[[dict], tuple[Button, ...]] | None = None
    # a value earlier answers settle: stored without asking (shown in the review, editable there)
    derive: Callable[[dict, dict | None], object] | None = None
    # an answer offered as one tap: (case, now) -> the typed form of the value, or None
    default: Callable[[dict, datetime], str | None] | None = None
    default_label: str = ""  # its button, with {value}

    @property
    def group(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.field.split(".", 1)[1]


@dataclass(frozen=True)
class Group:
    id: str  # "merchant"; also the `edit:` id of the review
    title: str
    steps: tuple[Step, ...]
    repeat: bool = False  # a list of items (transactions, evidence), ended with `done`
    min_items: int = 0
    max_items: int = 30
    when: Condition | None = None
    item_title: str = ""


@dataclass(frozen=True)
class Together:
    """Fields asked in one message, one line each, where a person on a phone would type them together.

    The prompt lists those of them still unanswered that apply (`asks_all`); an answer of one line
    answers the first, several lines answer them in order (an empty line or "-" leaves an optional
    field empty). Choices stay buttons and are not put together.
    """

    fields: tuple[str, ...]
    ask: str


def lost(case: dict, item: dict | None = None) -> bool:
    return case.get("scenario") == "lost_terminal"


def has_bank_notice(case: dict, item: dict | None = None) -> bool:
    return (case.get("dispute") or {}).get("stage") not in (None, "none")


def _incident(name: str) -> Condition:
    return lambda case, item: bool((case.get("incident") or {}).get(name))


def _after_loss(case: dict, txn: dict | None) -> bool:
    """A charge made once the terminal was gone: not a sale of the merchant's."""
    lost_at = (case.get("incident") or {}).get("lost_at")
    when = (txn or {}).get("datetime")
    return lost(case) and bool(lost_at and when) and str(when) >= str(lost_at)


def _a_sale(case: dict, txn: dict | None) -> bool:
    return not _after_loss(case, txn)


def thief_charges(case: dict, item: dict | None = None) -> bool:
    """Every disputed charge came after the loss: the cardholder is no customer of the merchant's."""
    txns = case.get("txn") or []
    return bool(txns) and all(_after_loss(case, txn) for txn in txns)


def _customer_questions(case: dict, item: dict | None = None) -> bool:
    return not thief_charges(case)


def _stage_known(case: dict, item: dict | None = None) -> bool:
    return (case.get("dispute") or {}).get("stage") is not None


def _via_bank(case: dict, item: dict | None) -> object:
    """A retrieval or chargeback comes from the cardholder's bank: the customer went through it."""
    return "via_bank" if has_bank_notice(case) else None


def _today(case: dict, now: datetime) -> str:
    return now.date().isoformat()


def _english(case: dict, item: dict | None = None) -> bool:
    """An English-speaking merchant: Chinese letters need the Chinese name and descriptions too."""
    return case.get("language") == "en"


def _english_and(group_name: str, name: str) -> Condition:
    def condition(case: dict, item: dict | None) -> bool:
        source = item if item is not None else (case.get(group_name) or {})
        return _english(case) and bool(source.get(name))

    return condition


def _individual_business(case: dict, item: dict | None = None) -> bool:
    return (case.get("merchant") or {}).get("entity_type") == "individual_business"


def _not_lost(case: dict, item: dict | None = None) -> bool:
    return case.get("scenario") != "lost_terminal"


def _chargeback(case: dict, item: dict | None = None) -> bool:
    return (case.get("dispute") or {}).get("stage") in ("chargeback", "arbitration")


def _acquirer_involved(case: dict, item: dict | None = None) -> bool:
    return has_bank_notice(case) or bool((case.get("incident") or {}).get("reported_to_acquirer"))


SCENARIOS = (
    ("lost_terminal", N_("My POS terminal was lost or stolen")),
    ("denied_charge", N_("A customer denies a card payment")),
)
SCENARIO_WORDS = {
    "lost_terminal": (
        "机器丢了", "pos丢了", "终端丢了", "丢了", "被偷", "偷了", "丢失", "被盗", "找不到", "lost", "stolen", "lost pos",
        "missing",
    ),
    "denied_charge": (
        "不认账", "否认交易", "客户否认", "持卡人否认", "顾客不认", "没消费", "不承认", "说没刷", "拒付", "退单", "调单",
        "denied", "denies", "dispute", "chargeback", "didn't pay", "didn't make",
    ),
}  # fmt: skip
GOALS = (
    ("collect_payment", N_("Get the money paid")),
    ("defend_chargeback", N_("Answer the bank's retrieval or chargeback")),
    ("confirm_with_customer", N_("Confirm the payment with the customer")),
    ("report_only", N_("Report it and protect myself")),
)
GOAL_WORDS = {
    "collect_payment": (
        "要回钱", "拿回钱", "收回货款", "要回货款", "追款", "追回", "拿到钱", "收钱", "get paid", "get the money",
        "money back", "my money", "payment",
    ),
    "defend_chargeback": ("应对调单", "应对拒付", "申诉", "回复银行", "chargeback", "retrieval", "appeal"),
    "confirm_with_customer": ("联系客户", "跟客户确认", "和客户确认", "ask the customer", "confirm with customer"),
    "report_only": ("报案", "备案", "保护自己", "只报告", "report", "protect myself"),
}  # fmt: skip
ACQUIRERS = (
    ("银联商务", N_("China UMS (银联商务)")),
    ("拉卡拉", N_("Lakala (拉卡拉)")),
    ("通联支付", N_("Allinpay (通联支付)")),
    ("随行付", N_("Vbill (随行付)")),
    ("汇付天下", N_("Huifu (汇付天下)")),
    ("乐刷", N_("Leshua (乐刷)")),
)
ACQUIRER_WORDS = {
    "银联商务": ("银商", "ums", "chinaums", "china ums"),
    "拉卡拉": ("lakala",),
    "通联支付": ("通联", "allinpay"),
    "随行付": ("vbill", "suixingpay"),
    "汇付天下": ("汇付", "huifu"),
    "乐刷": ("leshua",),
}
POS_TYPES = (
    ("traditional", N_("Traditional POS")),
    ("mobile", N_("Mobile POS (电签)")),
    ("smart", N_("Smart POS")),
)
POS_TYPE_WORDS = {
    "traditional": (
        "传统",
        "传统pos",
        "传统的",
        "大pos",
        "有线pos",
        "固定pos",
        "普通pos",
        "countertop",
        "traditional",
    ),
    "mobile": ("电签", "电签pos", "电签版", "手刷", "移动pos", "蓝牙pos", "mpos", "mobile"),
    "smart": ("智能", "智能pos", "安卓pos", "smart", "android pos"),
}
HOW = (("lost", N_("Lost")), ("stolen", N_("Stolen")), ("unknown", N_("Not sure")))
ENTITY_TYPES = (
    ("individual_business", N_("Individual business (个体工商户)")),
    ("company", N_("Company (公司/企业)")),
    ("individual", N_("No business licence")),
)
ENTRY_MODES = (
    ("chip", N_("Chip inserted (插卡)")),
    ("contactless", N_("Tapped (挥卡/闪付)")),
    ("swipe", N_("Swiped (刷卡)")),
    ("fallback", N_("Chip failed, then swiped (降级)")),
    ("manual", N_("Card number typed in")),
    ("unknown", N_("Not sure")),
)
SUPPLIES = (
    ("goods", N_("Goods")),
    ("service", N_("A service (meal, treatment, repair…)")),
    ("prepaid", N_("A prepaid card, package or membership")),
)
DELIVERED = (
    ("yes", N_("Yes, fully")),
    ("partly", N_("Partly")),
    ("no", N_("Not yet")),
)
ENTITY_WORDS = {
    "individual_business": ("个体", "个体户", "个体工商户", "individual business", "sole trader"),
    "company": ("公司", "企业", "有限公司", "company", "ltd", "limited company"),
    "individual": ("没有执照", "没执照", "个人", "no licence", "no license", "private person"),
}  # fmt: skip
ENTRY_WORDS = {
    "chip": ("插卡", "芯片", "ic卡", "/c", "chip", "inserted"),
    "contactless": ("挥卡", "闪付", "拍卡", "非接", "tap", "tapped", "contactless", "nfc"),
    "swipe": ("刷卡", "磁条", "/s", "swipe", "swiped", "magstripe"),
    "fallback": ("降级", "芯片降级", "fallback"),
    "manual": ("手输", "手工输入", "输卡号", "manual", "keyed", "typed in"),
    "unknown": ("不知道", "不清楚", "not sure", "unknown"),
}  # fmt: skip
SUPPLY_WORDS = {
    "goods": ("商品", "货", "东西", "买东西", "goods", "products", "items"),
    "service": ("服务", "吃饭", "餐饮", "维修", "理发", "美容", "按摩", "service", "meal", "repair", "treatment"),
    "prepaid": ("预付", "充值", "办卡", "会员卡", "套餐", "次卡", "prepaid", "package", "membership", "top-up"),
}  # fmt: skip
DELIVERED_WORDS = {
    "yes": ("全部", "都给了", "已提供", "做完了", "吃完了", "fully", "all", "done", "yes"),
    "partly": ("部分", "一部分", "没做完", "part", "partly", "some"),
    "no": ("还没", "没有提供", "没给", "not yet", "no", "none"),
}  # fmt: skip
HOW_WORDS = {
    "lost": ("丢了", "丢失", "遗失", "掉了", "弄丢", "丢在", "落在", "忘在", "找不到", "misplaced", "lost it", "left it"),
    "stolen": ("被偷", "偷了", "偷走", "人偷", "被盗", "被抢", "抢了", "stolen", "theft", "robbed", "took it", "thief"),
    "unknown": ("不确定", "不知道", "不清楚", "说不准", "not sure", "unknown", "don't know"),
}  # fmt: skip
TXN_TYPES = (
    ("sale", N_("Sale (消费)")),
    ("preauth_completion", N_("Pre-auth completion (预授权完成)")),
    ("refund", N_("Refund (退货)")),
    ("other", N_("Other")),
)
CLAIMS = (("other", N_("Other")),)
TXN_TYPE_WORDS = {
    "sale": ("消费", "普通消费", "刷卡消费", "刷卡", "purchase", "payment", "sale"),
    "preauth_completion": ("预授权", "预授权完成", "pre-auth", "preauth", "pre auth"),
    "refund": ("退货", "退款", "refund", "return"),
    "other": ("其他", "其它", "别的", "other"),
}
CLAIMS = (
    ("not_me", N_("Says they did not make it")),
    ("amount_wrong", N_("Says the amount is wrong")),
    ("not_received", N_("Says goods or service not received")),
    ("duplicate", N_("Says they were charged twice")),
    ("card_lost", N_("Says the card was lost or stolen")),
    ("other", N_("Something else")),
)
CLAIM_WORDS = {
    "not_me": (
        "不是本人",
        "不是他",
        "不是我",
        "本人没消费",
        "没消费过",
        "盗刷",
        "not me",
        "fraud",
        "unauthorised",
        "unauthorized",
    ),
    "amount_wrong": ("金额不对", "金额错了", "多扣了", "多收了", "wrong amount", "overcharged"),
    "not_received": (
        "没收到货",
        "没收到",
        "未收到",
        "没提供服务",
        "not received",
        "never received",
        "no goods",
    ),
    "duplicate": ("重复扣款", "扣了两次", "重复", "两次", "charged twice", "double charge", "duplicate"),
    "card_lost": ("卡丢了", "卡被盗", "卡丢失", "卡被偷", "card lost", "card stolen", "lost card"),
    "other": ("其他", "其它", "别的", "other"),
}
CHANNELS = (
    ("in_person", N_("In person")),
    ("phone", N_("By phone")),
    ("via_bank", N_("Through their bank")),
    ("online", N_("Online or by message")),
)
CHANNEL_WORDS = {
    "in_person": ("当面", "面对面", "到店", "来店里", "face to face", "in person"),
    "phone": ("电话", "打电话", "phone", "call", "called"),
    "via_bank": ("银行", "发卡行", "通过银行", "bank", "issuer", "their bank"),
    "online": ("网上", "微信", "短信", "消息", "online", "message", "wechat", "sms"),
}
STAGES = (
    ("none", N_("No notice from the bank yet")),
    ("retrieval", N_("Retrieval request (调单)")),
    ("chargeback", N_("Chargeback (拒付/退单)")),
    ("arbitration", N_("Arbitration (仲裁)")),
)
STAGE_WORDS = {
    "none": (
        "还没有",
        "还没",
        "没有",
        "没通知",
        "没有通知",
        "没收到通知",
        "none",
        "no",
        "not yet",
        "nothing yet",
    ),
    "retrieval": ("调单", "调阅", "retrieval", "retrieval request", "copy request"),
    "chargeback": ("拒付", "退单", "chargeback", "charge back", "charged back"),
    "arbitration": ("仲裁", "arbitration"),
}
EVIDENCE_KINDS = (
    ("signed_slip", N_("Signed sales slip")),
    ("e_slip", N_("Electronic slip (电子签购单)")),
    ("bank_statement", N_("Bank statement")),
    ("pos_record", N_("Terminal or provider record")),
    ("cctv", N_("Camera footage still")),
    ("chat", N_("Chat screenshot")),
    ("invoice", N_("Invoice or receipt")),
    ("delivery", N_("Delivery proof")),
    ("witness", N_("Witness statement")),
    ("police_receipt", N_("Police report receipt")),
    ("booking", N_("Booking, membership or order")),
    ("dispute_notice", N_("The acquirer's notice")),
    ("other", N_("Other")),
)
EVIDENCE_WORDS = {
    "signed_slip": ("签购单", "小票", "纸质签购单", "签字的小票", "slip", "signed slip", "sales slip"),
    "e_slip": ("电子签购单", "电子小票", "电子单", "e-slip", "eslip", "electronic slip"),
    "bank_statement": ("银行流水", "流水", "对账单", "statement"),
    "pos_record": (
        "交易记录",
        "后台记录",
        "后台",
        "服务商记录",
        "pos record",
        "terminal record",
        "provider record",
    ),
    "cctv": ("监控", "录像", "监控截图", "视频", "cctv", "camera", "video", "footage"),
    "chat": ("聊天记录", "聊天截图", "聊天", "微信聊天", "chat", "wechat", "messages"),
    "invoice": ("发票", "收据", "invoice", "receipt"),
    "delivery": ("快递", "物流", "签收", "送货", "delivery", "shipping"),
    "witness": ("证人", "证言", "witness"),
    "police_receipt": ("报案回执", "回执", "police receipt", "police report"),
    "other": ("其他", "其它", "别的", "other"),
}


def _scenario_buttons(case: dict) -> tuple[Button, ...]:
    terminal = (("case.scenario", "lost_terminal"),)
    return (
        Button((*terminal, ("incident.how", "stolen")), N_("My POS terminal was stolen"), quiet=True),
        Button((*terminal, ("incident.how", "lost")), N_("My POS terminal was lost"), quiet=True),
        Button(terminal, N_("My POS terminal is gone, I don't know how"), quiet=True),
        Button((("case.scenario", "denied_charge"),), N_("A customer denies a card payment"), quiet=True),
    )


def _stage_buttons(case: dict) -> tuple[Button, ...]:
    """A bank notice settles the goal (answer it); a lost terminal's is to report it. Editable later."""
    out = []
    for value, label in STAGES:
        sets: tuple[tuple[str, str], ...] = (("dispute.stage", value),)
        if lost(case):
            sets += (("case.goal", "report_only"),)
        elif value != "none":
            sets += (("case.goal", "defend_chargeback"),)
        out.append(Button(sets, label))
    return tuple(out)


CASE = Group(
    "case",
    N_("Case"),
    (
        Step(
            "case.scenario",
            N_("What happened?"),
            Choice(SCENARIOS, words=SCENARIO_WORDS),
            N_("Situation"),
            buttons=_scenario_buttons,
        ),
        Step(
            "case.goal",
            N_("What do you want to achieve?"),
            Choice(GOALS, words=GOAL_WORDS),
            N_("Goal"),
            when=_stage_known,  # asked after the bank notice, when the notice does not settle it
        ),
    ),
)

MERCHANT = Group(
    "merchant",
    N_("Merchant"),
    (
        Step(
            "merchant.name",
            N_("Your shop's name, as printed on the slips (商户名称)?"),
            Text(max_len=100),
            N_("Merchant name"),
            help=N_(
                "It is printed at the top of every slip (商户名称 / MERCHANT NAME) and in your provider's app."
            ),
        ),
        Step(
            "merchant.name_zh",
            N_(
                "Your shop's name in Chinese, as on the business licence? Letters to Chinese banks "
                "and courts use it. /skip if it has none."
            ),
            Text(max_len=100),
            N_("Name in Chinese"),
            optional=True,
            when=_english,
        ),
        Step(
            "merchant.merchant_no",
            N_("Merchant number (商户编号, 15 digits, on every slip)? /skip if you don't have it."),
            Digits(
                length=15,
                message=N_(
                    "The merchant number (商户编号) has 15 digits; it is printed on every slip as "
                    "MERCHANT NO. You sent {got} digits. Please send it again, or /skip."
                ),
            ),
            N_("Merchant number"),
            optional=True,
        ),
        Step(
            "merchant.terminal_id",
            N_(
                "Terminal number (终端编号, 8 letters or digits) of the terminal concerned? /skip if unknown."
            ),
            Alnum(
                length=8,
                message=N_(
                    "The terminal number (终端编号) has 8 letters or digits, printed as TERMINAL NO. on "
                    "the slip. Please send it again, or /skip."
                ),
            ),
            N_("Terminal number"),
            optional=True,
        ),
        Step(
            "merchant.acquirer",
            N_(
                "Who provides your card acceptance (收单机构 or payment company)? Press one or type its name."
            ),
            Choice(ACQUIRERS, free_text=True, words=ACQUIRER_WORDS),
            N_("Acquirer"),
            help=N_(
                "The company named on the terminal, on the slip (收单机构) or in the app where your money "
                "arrives. Type its name if it is not listed."
            ),
        ),
        Step(
            "merchant.pos_type",
            N_("What kind of terminal is it?"),
            Choice(POS_TYPES, words=POS_TYPE_WORDS),
            N_("Terminal type"),
        ),
        Step(
            "merchant.contact_name",
            N_("Contact person's name for the letters?"),
            Text(max_len=50),
            N_("Contact"),
            optional=True,
        ),
        Step(
            "merchant.phone",
            N_("Contact phone number for the letters?"),
            Phone(),
            N_("Phone"),
            help=N_("A number where the bank, the police or the court can reach you: yours or the shop's."),
        ),
        Step(
            "merchant.address",
            N_("Shop address for the letters?"),
            Text(max_len=200),
            N_("Address"),
            optional=True,
        ),
        Step(
            "merchant.credit_code",
            N_("Unified social credit code (统一社会信用代码, 18 characters, on the business licence)?"),
            CreditCode(),
            N_("Credit code"),
            optional=True,
        ),
        Step(
            "merchant.entity_type",
            N_("Is your shop registered as an individual business (个体工商户) or a company?"),
            Choice(ENTITY_TYPES, words=ENTITY_WORDS),
            N_("Registered as"),
            optional=True,
        ),
        Step(
            "merchant.operator_name",
            N_("The operator's name (经营者) on the business licence?"),
            Text(max_len=50),
            N_("Operator"),
            optional=True,
            when=_individual_business,
        ),
    ),
)

INCIDENT = Group(
    "incident",
    N_("Lost terminal"),
    (
        Step(
            "incident.lost_at",
            N_("When did you last see the terminal? (e.g. 2025-11-20 21:10, 昨天晚上9点)"),
            DateTime(),
            N_("Last seen"),
            help=N_("Your best estimate is fine, e.g. 昨天晚上9点 or yesterday 9pm."),
        ),
        Step(
            "incident.discovered_at",
            N_("When did you notice it was gone?"),
            DateTime(after="incident.lost_at"),
            N_("Noticed missing"),
        ),
        Step("incident.place", N_("Where was it lost?"), Text(max_len=200), N_("Place"), optional=True),
        Step(
            "incident.place_zh",
            N_("The same place in Chinese, for the police and the acquirer?"),
            Text(max_len=200),
            N_("Place in Chinese"),
            optional=True,
            when=_english_and("incident", "place"),
        ),
        Step(
            "incident.how", N_("Was it lost or stolen?"), Choice(HOW, words=HOW_WORDS), N_("Lost or stolen")
        ),
        Step(
            "incident.reported_to_acquirer",
            N_("Have you reported it to the provider and had the terminal frozen (挂失/冻结)?"),
            YesNo(),
            N_("Reported and frozen"),
        ),
        Step(
            "incident.police_report",
            N_("Have you reported it to the police (报案)?"),
            YesNo(),
            N_("Reported to police"),
        ),
        Step(
            "incident.acquirer_ticket",
            N_("The provider's ticket number for the report?"),
            Reference(),
            N_("Provider ticket"),
            optional=True,
            when=_incident("reported_to_acquirer"),
        ),
        Step(
            "incident.frozen_at",
            N_(
                "When did you report it and ask for the freeze? (charges after that are the provider's to explain)"
            ),
            DateTime(after="incident.lost_at"),
            N_("Freeze reported"),
            optional=True,
            when=_incident("reported_to_acquirer"),
        ),
        Step(
            "incident.police_receipt_no",
            N_("The number on the police report receipt (报案回执)?"),
            Reference(),
            N_("Police receipt number"),
            optional=True,
            when=_incident("police_report"),
        ),
    ),
    when=lost,
)

TXN = Group(
    "txn",
    N_("Disputed transactions"),
    (
        Step(
            "txn.datetime",
            N_("Date and time of the disputed transaction (交易时间), e.g. 2025-11-22 18:30?"),
            DateTime(),
            N_("Date and time"),
            help=N_("It is printed on the slip as DATE/TIME. You can also send a photo of the slip."),
        ),
        Step(
            "txn.amount",
            N_("Amount in yuan (金额)?"),
            Amount(),
            N_("Amount"),
            help=N_("It is printed on the slip as AMOUNT (金额), and listed in your provider's app."),
        ),
        Step(
            "txn.reference_no",
            N_("Reference number (参考号, REFER NO., 12 digits on the slip)?"),
            Digits(
                length=12,
                message=N_(
                    "The reference number (参考号) has 12 digits, on the slip's REFER NO. line. You sent "
                    "{got} digits. Please send it again, or /skip."
                ),
            ),
            N_("Reference number"),
            optional=True,
        ),
        Step(
            "txn.voucher_no",
            N_("Voucher number (凭证号, VOUCHER NO., 6 digits)?"),
            Digits(
                length=6,
                message=N_(
                    "The voucher number (凭证号) has 6 digits, on the slip's VOUCHER NO. line. "
                    "Please send it again, or /skip."
                ),
            ),
            N_("Voucher number"),
            optional=True,
        ),
        Step(
            "txn.batch_no",
            N_("Batch number (批次号, BATCH NO., 6 digits)?"),
            Digits(
                length=6,
                message=N_(
                    "The batch number (批次号) has 6 digits, on the slip's BATCH NO. line. "
                    "Please send it again, or /skip."
                ),
            ),
            N_("Batch number"),
            optional=True,
        ),
        Step(
            "txn.auth_code",
            N_("Authorisation code (授权码, AUTH NO., 6 letters or digits)?"),
            Alnum(
                length=6,
                message=N_(
                    "The authorisation code (授权码) has 6 letters or digits, on the slip's AUTH NO. line. "
                    "Please send it again, or /skip."
                ),
            ),
            N_("Authorisation code"),
            optional=True,
        ),
        Step(
            "txn.card_masked",
            N_(
                "Card number as printed on the slip (masked, e.g. 622588******1234)? Card details are "
                "sensitive personal information: sending it means you agree that I keep this masked form "
                "for your letters. /skip leaves it out."
            ),
            CardMasked(),
            N_("Card"),
            optional=True,
        ),
        Step("txn.issuer", N_("Card-issuing bank (发卡行)?"), Text(max_len=60), N_("Issuer"), optional=True),
        Step("txn.type", N_("Type of transaction?"), Choice(TXN_TYPES, words=TXN_TYPE_WORDS), N_("Type")),
        Step(
            "txn.goods",
            N_("What was sold or served?"),
            Text(max_len=300),
            N_("Goods or service"),
            optional=True,
            when=_a_sale,
        ),
        Step(
            "txn.goods_zh",
            N_("The same in Chinese, for the Chinese letters?"),
            Text(max_len=300),
            N_("Goods in Chinese"),
            optional=True,
            when=_english_and("txn", "goods"),
        ),
        Step(
            "txn.supply",
            N_("Was the payment for goods, a service, or a prepaid package?"),
            Choice(SUPPLIES, words=SUPPLY_WORDS),
            N_("Paid for"),
            optional=True,
            when=_not_lost,
        ),
        Step(
            "txn.delivered",
            N_("Were the goods or the service fully provided?"),
            Choice(DELIVERED, words=DELIVERED_WORDS),
            N_("Provided"),
            optional=True,
            when=_not_lost,
        ),
        Step(
            "txn.signed",
            N_("Does the slip carry the cardholder's signature (paper or electronic)?"),
            YesNo(),
            N_("Signed"),
            optional=True,
            when=_a_sale,
        ),
        Step(
            "txn.entry_mode",
            N_("How was the card read? The slip prints it beside the card number (/C chip, /S swipe…)."),
            Choice(ENTRY_MODES, words=ENTRY_WORDS),
            N_("Card read by"),
            optional=True,
        ),
        Step(
            "txn.pin_verified",
            N_("Did the cardholder enter the PIN (凭密)?"),
            YesNo(),
            N_("PIN entered"),
            optional=True,
        ),
    ),
    repeat=True,
    min_items=1,
    item_title=N_("Transaction {n}"),
)

CUSTOMER = Group(
    "customer",
    N_("Customer"),
    (
        Step(
            "customer.claim",
            N_("What does the customer (cardholder) claim?"),
            Choice(CLAIMS, words=CLAIM_WORDS),
            N_("Claim"),
        ),
        Step(
            "customer.name",
            N_("The customer's (cardholder's) name, if you know it?"),
            Text(max_len=50),
            N_("Name"),
            optional=True,
        ),
        Step(
            "customer.phone",
            N_("The customer's phone number, if you know it?"),
            Phone(),
            N_("Phone"),
            optional=True,
        ),
        Step(
            "customer.address",
            N_("An address where a letter would reach them (home or delivery address), if you know it?"),
            Text(max_len=200),
            N_("Address"),
            optional=True,
            when=_not_lost,
        ),
        Step(
            "customer.statement",
            N_("What did they say, in your words?"),
            Text(max_len=2000),
            N_("Statement"),
            optional=True,
        ),
        Step(
            "customer.statement_zh",
            N_("The same in Chinese, for the Chinese letters?"),
            Text(max_len=2000),
            N_("Statement in Chinese"),
            optional=True,
            when=_english_and("customer", "statement"),
        ),
        Step(
            "customer.channel",
            N_("How are they disputing it?"),
            Choice(CHANNELS, words=CHANNEL_WORDS),
            N_("Channel"),
            optional=True,
            derive=_via_bank,
        ),
    ),
    when=_customer_questions,
)

DISPUTE = Group(
    "dispute",
    N_("Bank notice"),
    (
        Step(
            "dispute.stage",
            N_("Has your acquirer told you of a retrieval request or chargeback?"),
            Choice(STAGES, words=STAGE_WORDS),
            N_("Stage"),
            buttons=_stage_buttons,
        ),
        Step(
            "dispute.notified_at",
            N_("On what date did the acquirer tell you?"),
            Date(not_future=True),
            N_("Notified on"),
            optional=True,
            when=has_bank_notice,
            default=_today,
            default_label=N_("Today ({value})"),
        ),
        Step(
            "dispute.deadline",
            N_("By what date must you reply, as the acquirer's notice says? (/skip if it gives none)"),
            Date(after="dispute.notified_at", reply_by=True),
            N_("Reply by"),
            optional=True,
            when=has_bank_notice,
            help=N_("The acquirer sets this date on its notice. If you cannot find it, ask them today."),
        ),
        Step(
            "dispute.case_no",
            N_("The acquirer's case number for it?"),
            Reference(),
            N_("Case number"),
            optional=True,
            when=has_bank_notice,
        ),
        Step(
            "dispute.reason_code",
            N_("The reason code or reason the notice gives (e.g. 4837 非持卡人本人交易)?"),
            Text(max_len=200),
            N_("Reason"),
            optional=True,
            when=has_bank_notice,
        ),
        Step(
            "dispute.debited",
            N_("Has the disputed amount already been taken from your settlement (已扣款)?"),
            YesNo(),
            N_("Already debited"),
            optional=True,
            when=_chargeback,
        ),
        Step(
            "dispute.acquirer_problem",
            N_(
                "Did the acquirer handle anything wrongly (no written notice, no answer, money taken "
                "without explanation…)? Say what, or /skip."
            ),
            Text(max_len=1000),
            N_("Acquirer's handling"),
            optional=True,
            when=_acquirer_involved,
        ),
        Step(
            "dispute.acquirer_problem_zh",
            N_("The same in Chinese, for the report to the People's Bank?"),
            Text(max_len=1000),
            N_("In Chinese"),
            optional=True,
            when=_english_and("dispute", "acquirer_problem"),
        ),
    ),
)

EVIDENCE = Group(
    "evidence",
    N_("Evidence"),
    (
        Step(
            "evidence.file",
            N_(
                "Send your evidence now: photos of the slip, chat screenshots, camera stills, receipts, "
                "the bank's notice. Several at once is fine; a caption with a photo says what it shows. "
                "Tip: “send as file” keeps the original quality. Press Done when you have sent everything."
            ),
            File(),
            N_("File"),
        ),
        Step(
            "evidence.kind",
            N_("What is “{file}”?"),
            Choice(EVIDENCE_KINDS, words=EVIDENCE_WORDS),
            N_("Kind"),
        ),
        Step(
            "evidence.caption",
            N_("In a few words, what does “{file}” show?"),
            Text(max_len=300),
            N_("Shows"),
            optional=True,
        ),
    ),
    repeat=True,
    item_title=N_("Evidence {n}"),
)

# What is asked in one message. A new field joins one of these (or stands alone) by adding its id.
TOGETHER: tuple[Together, ...] = (
    Together(
        ("incident.lost_at", "incident.discovered_at", "incident.place", "incident.place_zh"),
        N_("When and where did it happen? One per line (e.g. 昨天晚上9点):"),
    ),
    Together(
        ("incident.acquirer_ticket", "incident.frozen_at", "incident.police_receipt_no"),
        N_("The numbers you were given, one per line (leave a line empty for one you don't have):"),
    ),
    Together(
        ("txn.datetime", "txn.amount", "txn.reference_no"),
        N_(
            "Send a photo of the slip (签购单) and I will read it — or type what you have, one per line "
            "(e.g. 2025-11-22 18:30, then 1288.00, then the 12-digit reference number):"
        ),
    ),
    Together(
        (
            "merchant.merchant_no",
            "merchant.terminal_id",
            "txn.voucher_no",
            "txn.batch_no",
            "txn.auth_code",
            "txn.card_masked",
            "txn.issuer",
            "txn.entry_mode",
            "txn.pin_verified",
            "txn.signed",
            "txn.supply",
            "txn.delivered",
            "txn.goods",
            "txn.goods_zh",
        ),
        N_(
            "If you have them, the other details, one per line in this order (an empty line or - for "
            "one you don't have), or press Skip. The card number goes in masked (622588******1234): "
            "card details are sensitive personal information, and sending it means you agree that I "
            "keep this masked form for your letters."
        ),
    ),
    Together(
        (
            "merchant.name",
            "merchant.name_zh",
            "merchant.contact_name",
            "merchant.phone",
            "merchant.address",
            "merchant.entity_type",
            "merchant.credit_code",
        ),
        N_("Your shop's details for the letters, one per line (an empty line or - for one you don't have):"),
    ),
    Together(
        (
            "dispute.notified_at",
            "dispute.deadline",
            "dispute.case_no",
            "dispute.reason_code",
            "dispute.debited",
            "dispute.acquirer_problem",
            "dispute.acquirer_problem_zh",
        ),
        N_("From the acquirer's notice, one per line (an empty line or - for one it does not give):"),
    ),
    Together(
        (
            "customer.name",
            "customer.phone",
            "customer.address",
            "customer.statement",
            "customer.statement_zh",
        ),
        N_("What you know of the customer, one per line (an empty line or - for what you don't know):"),
    ),
    Together(
        ("evidence.file", "evidence.caption"), N_("Send the photo or file, with a caption if you like.")
    ),
)

GROUPS: tuple[Group, ...] = (CASE, MERCHANT, INCIDENT, TXN, CUSTOMER, DISPUTE, EVIDENCE)  # as reviewed
# as asked: the slip first (its photo fills the merchant's numbers too), the bank notice before the
# customer (a notice settles how the customer disputes)
ASK_ORDER: tuple[Group, ...] = (CASE, INCIDENT, TXN, MERCHANT, DISPUTE, CUSTOMER, EVIDENCE)
GROUPS_BY_ID = {g.id: g for g in GROUPS}
STEPS_BY_FIELD = {s.field: s for g in GROUPS for s in g.steps}
TOGETHER_BY_FIELD = {f: together for together in TOGETHER for f in together.fields}
MERCHANT_FIELDS = tuple(s.name for s in MERCHANT.steps)
