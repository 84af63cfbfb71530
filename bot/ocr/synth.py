"""Synthetic slips and screenshots with ground truth, degraded like phone photos, for tests and the benchmark.

Three layouts are drawn with the Noto Sans CJK font that the `mplfonts` package ships: the UnionPay
paper slip (签购单, merchant or cardholder copy), an acquirer app's electronic slip (电子签购单) and a
bank app's transaction detail screen. Each sample carries the case-field values it shows, in the
canonical form the extractor should return. Everything is driven by one `random.Random`, so a seed
gives the same corpus on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .layouts import FIELDS

LAYOUTS = ("unionpay_slip", "e_slip", "bank_app")


def font_path() -> Path:
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


# --- values ----------------------------------------------------------------------------------------

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
ACQUIRERS = ("银联商务", "拉卡拉", "通联支付", "随行付", "中国银联")
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
_TYPES = {
    "sale": ("消费", "SALE"),
    "preauth_completion": ("预授权完成", "AUTH COMPLETE"),
    "refund": ("退货", "REFUND"),
    "void": ("消费撤销", "VOID"),
}
_ALNUM = "ABCDEFGHJKLMNPRTUVWXY0123456789"  # no O/I/Q/S/Z: issuers avoid them and OCR confuses them


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


def _digits(rng: random.Random, n: int) -> str:
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
    type: str


def random_txn(rng: random.Random) -> Txn:
    name = rng.choice(_CITIES) + rng.choice(_DISTRICTS) + rng.choice(_NAMES) + rng.choice(_KINDS)
    if rng.random() < 0.3:
        name = rng.choice(_CITIES) + "市" + name[2:]
    if rng.random() < 0.15:
        terminal = "".join(rng.choice("ABCDEFGHJKLMNPRTUVWXY") for _ in range(2)) + _digits(rng, 6)
    else:
        terminal = _digits(rng, 8)
    if rng.random() < 0.6:
        auth = _digits(rng, 6)
    else:
        auth = "".join(rng.choice(_ALNUM) for _ in range(6))
    bin6 = rng.choice(("622588", "621700", "622848", "625807", "436742", "518710", "622202", "621483"))
    pan = _luhn_complete(bin6 + _digits(rng, rng.choice((9, 9, 9, 12))))
    cents = rng.choice((rng.randint(100, 99999), rng.randint(100000, 5000000), rng.randint(1, 99) * 100))
    when = datetime(2025, 1, 1) + timedelta(seconds=rng.randint(0, 330 * 86400))
    return Txn(
        merchant_name=name,
        merchant_no=rng.choice(("898", "102", "105", "848")) + _digits(rng, 12),
        terminal_id=terminal,
        issuer=rng.choice(BANKS),
        acquirer=rng.choice(ACQUIRERS),
        pan=pan,
        when=when,
        amount=f"{cents // 100}.{cents % 100:02d}",
        reference_no=_digits(rng, 12),
        voucher_no=f"{rng.randint(1, 999999):06d}",
        batch_no=f"{rng.randint(1, 999):06d}",
        auth_code=auth,
        type=rng.choices(list(_TYPES), weights=(70, 10, 10, 10))[0],
    )


def _masked(pan: str) -> str:
    return pan[:6] + "******" + pan[-4:]


def _fmt_amount(amount: str, rng: random.Random, *, thousands: float = 0.5) -> str:
    whole, frac = amount.split(".")
    if rng.random() < thousands:
        whole = f"{int(whole):,}"
    return f"{whole}.{frac}"


def _truth(txn: Txn, keys: list[str], *, card: str | None = None) -> dict[str, str]:
    values = {
        "merchant.name": txn.merchant_name,
        "merchant.merchant_no": txn.merchant_no,
        "merchant.terminal_id": txn.terminal_id,
        "txn.datetime": txn.when.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "txn.amount": txn.amount,
        "txn.reference_no": txn.reference_no,
        "txn.voucher_no": txn.voucher_no,
        "txn.batch_no": txn.batch_no,
        "txn.auth_code": txn.auth_code,
        "txn.card_masked": card or _masked(txn.pan),
        "txn.issuer": txn.issuer,
        "txn.type": txn.type,
    }
    return {k: values[k] for k in keys}


# --- drawing ---------------------------------------------------------------------------------------


@dataclass
class Canvas:
    width: int
    bg: tuple[int, int, int] = (255, 255, 255)
    ops: list[tuple] = field(default_factory=list)
    y: int = 0

    def text(
        self, x: int, s: str, size: int, *, align: str = "left", fill=(20, 20, 20), dy: int | None = None
    ):
        self.ops.append(("text", x, self.y, s, size, align, fill))
        self.y += dy if dy is not None else int(size * 1.45)

    def row(
        self, left: str, right: str, size: int, *, margin: int, fill_l=(120, 120, 120), fill_r=(20, 20, 20)
    ):
        self.ops.append(("text", margin, self.y, left, size, "left", fill_l))
        self.ops.append(("text", self.width - margin, self.y, right, size, "right", fill_r))
        self.y += int(size * 2.4)

    def rule(self, margin: int, *, dashed: bool = True, fill=(60, 60, 60)):
        self.ops.append(("rule", margin, self.y + 6, dashed, fill))
        self.y += 16

    def gap(self, h: int):
        self.y += h

    def render(self, height: int | None = None) -> Image.Image:
        h = height or self.y + 30
        img = Image.new("RGB", (self.width, h), self.bg)
        d = ImageDraw.Draw(img)
        for op in self.ops:
            if op[0] == "text":
                _, x, y, s, size, align, fill = op
                f = _font(size)
                if align == "right":
                    x -= int(d.textlength(s, font=f))
                elif align == "center":
                    x -= int(d.textlength(s, font=f)) // 2
                d.text((x, y), s, font=f, fill=fill)
            elif op[0] == "rule":
                _, margin, y, dashed, fill = op
                if dashed:
                    for x in range(margin, self.width - margin, 14):
                        d.line((x, y, x + 7, y), fill=fill, width=2)
                else:
                    d.line((margin, y, self.width - margin, y), fill=fill, width=2)
        return img


def _label(rng: random.Random, zh: str, en: str, style: int) -> str:
    if style == 0:
        return f"{zh}({en})"
    if style == 1:
        return f"{zh}（{en}）"
    return f"{zh} {en}"


def draw_unionpay_slip(txn: Txn, rng: random.Random) -> tuple[Image.Image, dict[str, str]]:
    """A 58 mm thermal slip: label lines with English in brackets, values on the same or next line."""
    w = rng.choice((400, 420, 440))
    size = rng.choice((20, 21, 22))
    m = 14
    c = Canvas(w, bg=(250, 249, 244))
    style = rng.choice((0, 0, 1, 2))
    colon = rng.choice((":", "：", ":"))
    c.text(w // 2, rng.choice(("银联POS签购单", "POS签购单", "中国银联 签购单")), size + 6, align="center")
    copy = rng.choice(("商户存根 MERCHANT COPY", "持卡人存根 CARDHOLDER COPY", "商户存根", "持卡人存根"))
    c.text(m, copy, size - 2)
    c.rule(m)
    keys = list(_KEYS)

    def lv(zh: str, en: str, value: str, *, below: bool | None = None):
        lab = _label(rng, zh, en, style) + colon
        if below is None:
            below = len(lab) + len(value) > 24 or rng.random() < 0.3
        if below:
            c.text(m, lab, size)
            c.text(m + rng.choice((0, 20, 40)), value, size)
        else:
            c.text(m, lab + value, size)

    lv("商户名称", "MERCHANT NAME", txn.merchant_name, below=True)
    lv("商户编号", "MERCHANT NO.", txn.merchant_no, below=True)
    lv("终端编号", "TERMINAL NO.", txn.terminal_id)
    lv("操作员号", "OPERATOR NO.", rng.choice(("01", "001", "02")))
    c.rule(m)
    lv("发卡行", "ISSUER", txn.issuer)
    lv("收单行", "ACQUIRER", txn.acquirer if rng.random() < 0.6 else _digits(rng, 8))
    full_pan = rng.random() < 0.1
    if full_pan:
        card_txt = txn.pan
    else:
        masked = txn.pan[:6] + "*" * (len(txn.pan) - 10) + txn.pan[-4:]
        card_txt = (
            masked if rng.random() < 0.6 else " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
        )
    card_txt += rng.choice(("", " C", " S", " I", " /C"))
    lv("卡号", "CARD NO.", card_txt, below=True)
    card_truth = txn.pan[:6] + "*" * (len(txn.pan) - 10) + txn.pan[-4:] if full_pan else None
    lv("有效期", "EXP DATE", f"{rng.randint(2026, 2031)}/{rng.randint(1, 12):02d}")
    zh, en = _TYPES[txn.type]
    lv("交易类型", "TRANS TYPE", rng.choice((f"{zh}/{en}", f"{zh}({en})", zh, f"{zh} {en}")))
    lv("批次号", "BATCH NO.", txn.batch_no)
    lv("凭证号", "VOUCHER NO.", txn.voucher_no)
    lv("授权码", "AUTH NO.", txn.auth_code)
    lv("参考号", "REFER NO.", txn.reference_no, below=rng.random() < 0.5)
    sep = rng.choice(("/", "-", "/"))
    dt_txt = txn.when.strftime(f"%Y{sep}%m{sep}%d %H:%M:%S")
    if rng.random() < 0.25:
        lv("日期", "DATE", txn.when.strftime(f"%Y{sep}%m{sep}%d"), below=False)
        lv("时间", "TIME", txn.when.strftime("%H:%M:%S"), below=False)
    else:
        lv("日期/时间", "DATE/TIME", dt_txt, below=True)
    amt = _fmt_amount(txn.amount, rng)
    neg = "-" if txn.type in ("refund", "void") and rng.random() < 0.5 else ""
    lv("金额", "AMOUNT", rng.choice((f"RMB {neg}{amt}", f"RMB:{neg}{amt}", f"￥{neg}{amt}")), below=True)
    c.rule(m)
    c.text(m, _label(rng, "备注", "REFERENCE", style) + colon, size)
    if rng.random() < 0.4:
        c.text(m, f"订单号 {_digits(rng, 16)}", size - 2)
    c.text(m, "持卡人签名(CARDHOLDER SIGNATURE):", size - 2)
    c.gap(50)
    c.text(m, "本人确认以上交易，同意将其记入本卡账户", size - 4)
    c.text(m, "I ACKNOWLEDGE SATISFACTORY RECEIPT", size - 6)
    c.text(m, "OF RELATIVE GOODS/SERVICES", size - 6)
    if rng.random() < 0.5:
        c.text(
            m, f"服务热线 {rng.choice(('95516', '400-' + _digits(rng, 3) + '-' + _digits(rng, 4)))}", size - 4
        )
    return c.render(), _truth(txn, keys, card=card_truth)


_KEYS = FIELDS  # every field the extraction reads appears on a generated paper slip


def _status_bar(c: Canvas, rng: random.Random, size: int):
    c.gap(10)
    c.text(30, f"{rng.randint(8, 22)}:{rng.randint(0, 59):02d}", size - 6, dy=0)
    c.text(c.width - 30, f"{rng.randint(20, 100)}%", size - 6, align="right")
    c.gap(10)


def draw_e_slip(txn: Txn, rng: random.Random) -> tuple[Image.Image, dict[str, str]]:
    """An acquirer app's 电子签购单 screenshot: label left, value right, one row per field."""
    w = rng.choice((720, 750, 828))
    size = rng.choice((26, 28, 30))
    m = 40
    c = Canvas(w, bg=rng.choice(((255, 255, 255), (247, 247, 250))))
    _status_bar(c, rng, size)
    c.text(
        w // 2,
        rng.choice(("电子签购单", "电子签购单详情", "交易电子签购单")),
        size + 4,
        align="center",
        dy=int(size * 2.2),
    )
    c.text(
        w // 2,
        rng.choice(ACQUIRERS) + " · " + rng.choice(("商户存根", "持卡人存根")),
        size - 4,
        align="center",
    )
    c.rule(m, dashed=False, fill=(220, 220, 220))
    zh, _ = _TYPES[txn.type]
    term_label = rng.choice(("终端编号", "终端号"))
    rows = [
        ("商户名称", txn.merchant_name, "merchant.name"),
        ("商户编号", txn.merchant_no, "merchant.merchant_no"),
        (term_label, txn.terminal_id, "merchant.terminal_id"),
        ("交易类型", zh, "txn.type"),
        ("卡号", _masked(txn.pan), "txn.card_masked"),
        ("发卡行", txn.issuer, "txn.issuer"),
        (
            "交易金额",
            "¥" + _fmt_amount(txn.amount, rng) if rng.random() < 0.5 else _fmt_amount(txn.amount, rng) + "元",
            "txn.amount",
        ),
        (
            "交易时间",
            txn.when.strftime(rng.choice(("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"))),
            "txn.datetime",
        ),
        ("批次号", txn.batch_no, "txn.batch_no"),
        ("凭证号", txn.voucher_no, "txn.voucher_no"),
        ("授权码", txn.auth_code, "txn.auth_code"),
        ("参考号", txn.reference_no, "txn.reference_no"),
    ]
    if rng.random() < 0.5:
        rows.insert(5, ("收单机构", txn.acquirer, None))
    if rng.random() < 0.5:
        rows.append(("订单号", _digits(rng, 20), None))
    keys = []
    for label, value, key in rows:
        if key and rng.random() < 0.08:
            continue  # some apps leave rows out
        c.row(label, value, size, margin=m)
        if key:
            keys.append(key)
    c.rule(m, dashed=False, fill=(220, 220, 220))
    c.text(m, "持卡人签名", size - 4, fill=(120, 120, 120))
    img = c.render(max(c.y + 260, int(w * 1.9)))
    d = ImageDraw.Draw(img)
    pts = [(m + 40 + i * 18, c.y + 80 + int(30 * np.sin(i / 2.0 + rng.random()))) for i in range(14)]
    d.line(pts, fill=(30, 30, 60), width=4)
    return img, _truth(txn, keys)


def draw_bank_app(txn: Txn, rng: random.Random) -> tuple[Image.Image, dict[str, str]]:
    """A bank app's transaction detail: a big amount on top, then label/value rows and distractors."""
    w = rng.choice((720, 750, 828))
    size = rng.choice((26, 28))
    m = 40
    c = Canvas(w, bg=(255, 255, 255))
    _status_bar(c, rng, size)
    c.text(
        w // 2, rng.choice(("交易详情", "账单详情", "交易明细")), size + 4, align="center", dy=int(size * 2.4)
    )
    keys: list[str] = []
    sign = "-" if txn.type in ("sale", "preauth_completion") and rng.random() < 0.5 else ""
    big = sign + _fmt_amount(txn.amount, rng, thousands=0.7)
    c.text(w // 2, txn.merchant_name, size, align="center", fill=(90, 90, 90))
    c.text(w // 2, big, size * 2, align="center", dy=int(size * 3))
    keys += ["txn.amount"]
    c.text(
        w // 2, rng.choice(("交易成功", "已入账", "交易完成")), size - 4, align="center", fill=(90, 160, 90)
    )
    c.rule(m, dashed=False, fill=(230, 230, 230))
    zh, _ = _TYPES[txn.type]
    tail = rng.random() < 0.4
    card_txt = (
        rng.choice((f"{txn.issuer}信用卡(尾号{txn.pan[-4:]})", f"尾号{txn.pan[-4:]}"))
        if tail
        else _masked(txn.pan)
    )
    settle = f"{max(0.01, float(txn.amount) * (1 - rng.choice((0.0038, 0.006)))):,.2f}"
    rows = [
        ("交易类型", zh, "txn.type"),
        (
            "交易时间",
            txn.when.strftime(rng.choice(("%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M:%S", "%Y/%m/%d %H:%M"))),
            "txn.datetime",
        ),
        ("商户名称", txn.merchant_name, "merchant.name"),
        ("商户编号", txn.merchant_no, "merchant.merchant_no"),
        ("终端编号", txn.terminal_id, "merchant.terminal_id"),
        ("交易卡号", card_txt, "txn.card_masked"),
        ("发卡行", txn.issuer, "txn.issuer"),
        ("参考号", txn.reference_no, "txn.reference_no"),
        ("凭证号", txn.voucher_no, "txn.voucher_no"),
        ("批次号", txn.batch_no, "txn.batch_no"),
        ("授权码", txn.auth_code, "txn.auth_code"),
        ("结算金额", settle, None),
        ("手续费", f"{rng.randint(1, 900) / 100:.2f}", None),
        ("记账日期", (txn.when + timedelta(days=rng.randint(0, 2))).strftime("%Y-%m-%d"), None),
        ("交易流水号", _digits(rng, 18), None),
    ]
    for label, value, key in rows:
        if key and key != "txn.type" and rng.random() < 0.12:
            continue
        if key is None and rng.random() < 0.3:
            continue
        c.row(label, value, size, margin=m)
        if key:
            keys.append(key)
    img = c.render(max(c.y + 120, int(w * 1.9)))
    truth = _truth(txn, keys, card=("****" + txn.pan[-4:]) if tail else None)
    if "txn.datetime" in truth and rows[1][1].count(":") == 1:
        truth["txn.datetime"] = txn.when.strftime("%Y-%m-%dT%H:%M:00+08:00")
    return img, truth


DRAWERS = {"unionpay_slip": draw_unionpay_slip, "e_slip": draw_e_slip, "bank_app": draw_bank_app}


# --- degradation -----------------------------------------------------------------------------------


def _background(rng: random.Random, w: int, h: int) -> np.ndarray:
    base = np.array([rng.randint(60, 200) for _ in range(3)], dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = 1.0 + 0.25 * ((xx / w) * rng.uniform(-1, 1) + (yy / h) * rng.uniform(-1, 1))
    bg = base[None, None, :] * grad[..., None]
    bg += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (h, w, 1)).astype(np.float32)
    return np.clip(bg, 0, 255)


def degrade(img: Image.Image, rng: random.Random, *, paper: bool, strength: float = 1.0) -> bytes:
    """Make a clean rendering look like a phone photo (or a forwarded screenshot) and return JPEG bytes."""
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    a = np.asarray(img.convert("RGB")).astype(np.float32)
    screenshot = not paper and rng.random() < 0.5
    if paper:
        # thermal fading: lower contrast of the ink, unevenly along the slip
        fade = rng.uniform(0.35, 1.0) if rng.random() < 0.7 else 1.0
        h = a.shape[0]
        ramp = np.linspace(1.0, rng.uniform(0.7, 1.0), h, dtype=np.float32)[:, None, None]
        ink = (255.0 - a) * fade * ramp
        a = 255.0 - ink
        a *= np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.9, 1.0)], dtype=np.float32)
    if screenshot:
        out = a
        scale = rng.uniform(0.8, 1.0)
        out = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    else:
        h, w = a.shape[:2]
        pad_x, pad_y = int(w * rng.uniform(0.12, 0.4)), int(h * rng.uniform(0.06, 0.15))
        W, H = w + 2 * pad_x, h + 2 * pad_y
        bg = _background(rng, W, H)
        angle = np.deg2rad(rng.uniform(-8, 8) * strength)
        cx, cy = W / 2, H / 2
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        j = 0.04 * strength
        dst = []
        for x, y in src:
            x2, y2 = x + pad_x - cx, y + pad_y - cy
            xr = x2 * np.cos(angle) - y2 * np.sin(angle) + cx + rng.uniform(-j, j) * w
            yr = x2 * np.sin(angle) + y2 * np.cos(angle) + cy + rng.uniform(-j, j) * h
            dst.append((xr, yr))
        M = cv2.getPerspectiveTransform(src, np.float32(dst))
        warped = cv2.warpPerspective(a, M, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpPerspective(np.ones((h, w), np.float32), M, (W, H))[..., None]
        out = warped * mask + bg * (1 - mask)
        # lighting
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        light = 1.0 - rng.uniform(0, 0.3) * ((xx / W - rng.random()) ** 2 + (yy / H - rng.random()) ** 2)
        out = out * light[..., None]
        # camera resolution: long side as Telegram sends photos
        long_side = rng.choice((1280, 1280, 1152, 1024))
        s = long_side / max(W, H)
        out = cv2.resize(out, (int(W * s), int(H * s)), interpolation=cv2.INTER_AREA)
        sigma = rng.uniform(0.0, 1.3) * strength
        if sigma > 0.3:
            out = cv2.GaussianBlur(out, (0, 0), sigma)
        if rng.random() < 0.2 * strength:
            k = rng.choice((3, 5))
            kern = np.zeros((k, k), np.float32)
            kern[k // 2, :] = 1.0 / k
            out = cv2.filter2D(out, -1, kern)
        out = out + nrng.normal(0, rng.uniform(2, 8) * strength, out.shape).astype(np.float32)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if not screenshot and rng.random() < 0.08 * strength:
        out = np.ascontiguousarray(np.rot90(out, rng.choice((1, 2, 3))))
    q = rng.randint(35, 85) if not screenshot else rng.randint(60, 90)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return buf.tobytes()


# --- corpus ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    name: str
    layout: str
    truth: dict[str, str]
    jpeg: bytes
    clean: Image.Image | None = None


def sample(
    seed: int, layout: str | None = None, *, strength: float = 1.0, keep_clean: bool = False
) -> Sample:
    rng = random.Random(seed)
    layout = layout or LAYOUTS[seed % len(LAYOUTS)]
    txn = random_txn(rng)
    img, truth = DRAWERS[layout](txn, rng)
    jpeg = degrade(img, rng, paper=layout == "unionpay_slip", strength=strength)
    return Sample(f"{layout}-{seed}", layout, truth, jpeg, img if keep_clean else None)


def corpus(n: int, seed: int = 0, *, strength: float = 1.0) -> list[Sample]:
    """n samples, the three layouts in turn, reproducible from seed."""
    return [sample(seed * 100_003 + i, LAYOUTS[i % len(LAYOUTS)], strength=strength) for i in range(n)]


def write_corpus(folder: Path, n: int, seed: int = 0) -> None:
    """Write JPEGs and a truth.jsonl next to them (for looking at the data by eye)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "truth.jsonl", "w", encoding="utf-8") as fh:
        for s in corpus(n, seed):
            (folder / f"{s.name}.jpg").write_bytes(s.jpeg)
            fh.write(
                json.dumps(
                    {"file": f"{s.name}.jpg", "layout": s.layout, "fields": s.truth}, ensure_ascii=False
                )
                + "\n"
            )


if __name__ == "__main__":  # pragma: no cover - manual tool
    import sys

    write_corpus(
        Path(sys.argv[1] if len(sys.argv) > 1 else "out/ocr-corpus"),
        int(sys.argv[2]) if len(sys.argv) > 2 else 12,
    )
