"""What a slip or a notice says: random transactions and bank notices, and their canonical case-field values.

Everything is drawn from one `random.Random`, so a seed gives the same values on every machine. The
canonical forms are those of ../shared/design/case-fields.md (what the reader must return).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "招商银行",
    "中信银行",
    "浦发银行",
    "兴业银行",
    "民生银行",
    "光大银行",
    "平安银行",
    "广发银行",
    "华夏银行",
    "中国邮政储蓄银行",
    "北京银行",
    "上海银行",
)
ACQUIRERS = ("银联商务", "拉卡拉", "通联支付", "随行付", "中国银联", "中国工商银行", "招商银行", "快钱支付")
_CITIES = ("上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", "西安", "重庆", "苏州", "长沙")
_DISTRICTS = ("徐汇区", "朝阳区", "南山区", "天河区", "西湖区", "锦江区", "鼓楼区", "江汉区", "雁塔区", "")
_NAMES = (
    "老王",
    "鑫源",
    "佳美",
    "福满楼",
    "金鼎",
    "小林",
    "好运来",
    "百味",
    "新世纪",
    "华联",
    "蓝天",
    "同福",
)
_KINDS = (
    "餐饮店",
    "便利店",
    "美容美发店",
    "五金商行",
    "服装店",
    "超市",
    "火锅店",
    "电器商行",
    "药房",
    "茶庄",
)
_ALNUM = "ABCDEFGHJKLMNPRTUVWXY0123456789"  # no O/I/Q/S/Z: issuers avoid them and OCR confuses them
ENTRY_MODES = {"chip": "C", "swipe": "S", "contactless": "Q", "fallback": "F", "manual": "M"}
REASONS = (
    ("4837", "非持卡人本人交易"),
    ("4853", "货物或服务未收到"),
    ("4808", "交易未经授权"),
    ("4834", "重复交易"),
    ("4831", "交易金额不符"),
    ("1001", "持卡人否认交易"),
    ("1002", "持卡人要求提供交易凭证"),
    ("4527", "持卡人对交易有疑问"),
    ("4559", "商品或服务不符"),
    ("6301", "伪卡交易"),
)
STAGES = {"retrieval": ("调单", "调阅"), "chargeback": ("拒付", "退单", "争议退单"), "arbitration": ("仲裁",)}


def _luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


@dataclass
class Txn:
    merchant_name: str
    merchant_no: str
    terminal_id: str
    issuer: str
    acquirer: str
    pan: str
    when: datetime
    amount: str  # canonical "1288.00"
    reference_no: str
    voucher_no: str
    batch_no: str
    auth_code: str
    type: str  # sale | preauth_completion | refund | void
    entry_mode: str  # chip | swipe | contactless | fallback | manual

    @property
    def masked(self) -> str:
        return self.pan[:6] + "*" * (len(self.pan) - 10) + self.pan[-4:]


def random_txn(rng: random.Random) -> Txn:
    name = rng.choice(_CITIES) + rng.choice(_DISTRICTS) + rng.choice(_NAMES) + rng.choice(_KINDS)
    if rng.random() < 0.3:
        name = rng.choice(_CITIES) + "市" + name[2:]
    if rng.random() < 0.15:
        terminal = "".join(rng.choice("ABCDEFGHJKLMNPRTUVWXY") for _ in range(2)) + digits(rng, 6)
    else:
        terminal = digits(rng, 8)
    auth = digits(rng, 6) if rng.random() < 0.6 else "".join(rng.choice(_ALNUM) for _ in range(6))
    bin6 = rng.choice(("622588", "621700", "622848", "625807", "436742", "518710", "622202", "621483"))
    pan = _luhn_complete(bin6 + digits(rng, rng.choice((9, 9, 9, 12))))
    cents = rng.choice((rng.randint(100, 99999), rng.randint(100000, 5000000), rng.randint(1, 99) * 100))
    when = datetime(2025, 1, 1) + timedelta(seconds=rng.randint(0, 330 * 86400))
    return Txn(
        merchant_name=name,
        merchant_no=rng.choice(("898", "102", "105", "848")) + digits(rng, 12),
        terminal_id=terminal,
        issuer=rng.choice(BANKS),
        acquirer=rng.choice(ACQUIRERS),
        pan=pan,
        when=when,
        amount=f"{cents // 100}.{cents % 100:02d}",
        reference_no=digits(rng, 12),
        voucher_no=f"{rng.randint(1, 999999):06d}",
        batch_no=f"{rng.randint(1, 999):06d}",
        auth_code=auth,
        type=rng.choices(("sale", "preauth_completion", "refund", "void"), weights=(70, 10, 10, 10))[0],
        entry_mode=rng.choices(list(ENTRY_MODES), weights=(50, 20, 20, 5, 5))[0],
    )


@dataclass
class Notice:
    txn: Txn
    stage: str  # retrieval | chargeback | arbitration
    stage_word: str  # 调单, 拒付 …
    case_no: str
    notified: date
    deadline: date
    reason_code: str
    reason_text: str
    acquirer: str


def random_notice(rng: random.Random) -> Notice:
    t = random_txn(rng)
    t.type = "sale"
    stage = rng.choices(list(STAGES), weights=(50, 40, 10))[0]
    notified = (t.when + timedelta(days=rng.randint(10, 90))).date()
    prefix = rng.choice(("DD", "CB", "RR", "TD", "JF", ""))
    case_no = prefix + notified.strftime("%Y%m%d") + digits(rng, rng.choice((4, 6, 8)))
    code, text = rng.choice(REASONS)
    return Notice(
        txn=t,
        stage=stage,
        stage_word=rng.choice(STAGES[stage]),
        case_no=case_no,
        notified=notified,
        deadline=notified + timedelta(days=rng.choice((3, 5, 7, 10, 14))),
        reason_code=code,
        reason_text=text,
        acquirer=rng.choice(ACQUIRERS),
    )


def txn_truth(t: Txn) -> dict[str, str]:
    """Every field a slip can show, canonical."""
    return {
        "merchant.name": t.merchant_name,
        "merchant.merchant_no": t.merchant_no,
        "merchant.terminal_id": t.terminal_id,
        "txn.datetime": t.when.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "txn.amount": t.amount,
        "txn.reference_no": t.reference_no,
        "txn.voucher_no": t.voucher_no,
        "txn.batch_no": t.batch_no,
        "txn.auth_code": t.auth_code,
        "txn.card_masked": t.pan[:6] + "******" + t.pan[-4:],
        "txn.issuer": t.issuer,
        "txn.type": t.type,
        "txn.entry_mode": t.entry_mode,
    }


def notice_truth(n: Notice) -> dict[str, str]:
    """Every field a notice can show, canonical."""
    t = txn_truth(n.txn)
    return {
        "dispute.stage": n.stage,
        "dispute.case_no": n.case_no,
        "dispute.notified_at": n.notified.isoformat(),
        "dispute.deadline": n.deadline.isoformat(),
        "dispute.reason_code": f"{n.reason_code} {n.reason_text}",
        **{k: t[k] for k in ("txn.reference_no", "txn.amount", "txn.datetime", "txn.card_masked")},
        **{k: t[k] for k in ("merchant.name", "merchant.merchant_no", "merchant.terminal_id")},
    }
