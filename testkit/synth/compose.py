"""Draw a slip or a notice from a layout description (specs.py), a vocabulary (vocab.py) and values (values.py).

Returns the clean picture and the ground truth: the canonical value of each case field the picture
shows legibly enough to be read (a field the layout leaves out is not in the truth).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import ImageDraw

from .canvas import Canvas
from .specs import Spec
from .values import ENTRY_MODES, Notice, Txn, digits, notice_truth, txn_truth
from .vocab import Vocab

TYPES = {
    "sale": (("消费", "SALE"),),
    "preauth_completion": (("预授权完成", "AUTH COMPLETE"), ("预授权完成", "COMPLETION")),
    "refund": (("退货", "REFUND"),),
    "void": (("消费撤销", "VOID"), ("撤销", "VOID")),
}


@dataclass
class Row:
    key: str | None  # the field the value is the truth of, or None for a distractor
    zh: str
    en: str
    value: str


def label_text(row: Row, style: str) -> str:
    zh, en = row.zh, row.en
    if not en or style == "zh":
        return zh or en
    if not zh or style == "en":
        return en
    return {"zh(en)": f"{zh}({en})", "zh en": f"{zh} {en}", "zh/en": f"{zh}/{en}"}.get(style, zh)


def _amount(amount: str, rng: random.Random, thousands: float = 0.5) -> str:
    whole, frac = amount.split(".")
    if rng.random() < thousands:
        whole = f"{int(whole):,}"
    return f"{whole}.{frac}"


def _fmt_dt(t, rng: random.Random, *, seconds: bool = True) -> str:
    sep = rng.choice(("/", "-", "/", "."))
    if rng.random() < 0.2:
        return t.strftime("%Y年%m月%d日 %H:%M" + (":%S" if seconds else ""))
    return t.strftime(f"%Y{sep}%m{sep}%d %H:%M" + (":%S" if seconds else ""))


def _fmt_date(d, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return f"{d.year}年{d.month}月{d.day}日"
    if style == 1:
        return d.strftime("%Y年%m月%d日")
    if style == 2:
        return d.isoformat()
    return d.strftime("%Y/%m/%d")


# --- slips -----------------------------------------------------------------------------------------


def slip_rows(t: Txn, vocab: Vocab, rng: random.Random, spec: Spec) -> tuple[list[Row], dict[str, str]]:
    truth = txn_truth(t)
    rows: list[Row] = []
    keys: set[str] = set()

    def add(key: str | None, vkey: str, value: str) -> None:
        zh, en = vocab[vkey]
        rows.append(Row(key, zh, en, value))
        if key:
            keys.add(key)

    add("merchant.name", "merchant.name", t.merchant_name)
    add("merchant.merchant_no", "merchant.merchant_no", t.merchant_no)
    add("merchant.terminal_id", "merchant.terminal_id", t.terminal_id)
    if rng.random() < 0.6:
        add(None, "operator", rng.choice(("01", "001", "02")))
    add("txn.issuer", "txn.issuer", t.issuer)
    if rng.random() < 0.6:
        add(None, "acquirer", t.acquirer if rng.random() < 0.6 else digits(rng, 8))
    masked = t.masked
    card = masked if rng.random() < 0.6 else " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
    mark = ENTRY_MODES[t.entry_mode]
    shown_mode = spec.medium == "thermal" or rng.random() < 0.3
    if shown_mode:
        card += rng.choice((f" /{mark}", f"/{mark}", f" {mark}", f"({mark})"))
    add("txn.card_masked", "txn.card_masked", card)
    if rng.random() < 0.5:
        add(None, "expiry", f"{rng.randint(26, 31)}/{rng.randint(1, 12):02d}")
    zh, en = rng.choice(TYPES[t.type])
    style = rng.randrange(4)
    add("txn.type", "txn.type", (f"{zh}/{en}", f"{zh}({en})", zh, f"{zh} {en}")[style])
    add("txn.batch_no", "txn.batch_no", t.batch_no)
    add("txn.voucher_no", "txn.voucher_no", t.voucher_no)
    add("txn.auth_code", "txn.auth_code", t.auth_code)
    add("txn.reference_no", "txn.reference_no", t.reference_no)
    if rng.random() < 0.25 and spec.arrangement != "right":
        sep = rng.choice(("/", "-"))
        add("txn.datetime", "date", t.when.strftime(f"%Y{sep}%m{sep}%d"))
        add(None, "time", t.when.strftime("%H:%M:%S"))
    else:
        add("txn.datetime", "txn.datetime", _fmt_dt(t.when, rng))
    neg = "-" if t.type in ("refund", "void") and rng.random() < 0.5 else ""
    amt = _amount(t.amount, rng)
    add(
        "txn.amount",
        "txn.amount",
        rng.choice((f"RMB {neg}{amt}", f"RMB:{neg}{amt}", f"￥{neg}{amt}", f"{neg}{amt}元")),
    )
    if spec.medium == "screen" and rng.random() < 0.5:
        rows.append(Row(None, "订单号", "", digits(rng, 20)))
    if spec.arrangement == "right":  # apps leave rows out
        rows = [r for r in rows if not (r.key and r.key != "txn.type" and rng.random() < 0.08)]
        keys = {r.key for r in rows if r.key}
    rng.shuffle(rows) if rng.random() < 0.15 else None  # some makers order the block differently
    out = {k: truth[k] for k in truth if k in keys}
    if shown_mode and "txn.card_masked" in out:
        out["txn.entry_mode"] = t.entry_mode
    return rows, out


def draw_slip(spec: Spec, vocab: Vocab, t: Txn, rng: random.Random):
    rows, truth = slip_rows(t, vocab, rng, spec)
    if spec.big_amount:
        return _bank_app(spec, rows, truth, t, rng)
    w, size = rng.choice(spec.widths), rng.choice(spec.sizes)
    gap = rng.uniform(*spec.gap)
    screen = spec.medium == "screen"
    c = Canvas(w, rng.choice(spec.fonts), bg=(255, 255, 255) if screen else (250, 249, 244))
    m = 40 if screen else 14
    if screen:
        c.y = 20
        c.text(30, f"{rng.randint(8, 22)}:{rng.randint(0, 59):02d}", size - 6, gap=1.8)
        title = rng.choice(("电子签购单", "电子签购单详情", "交易电子签购单", "电子小票"))
    else:
        title = rng.choice(("银联POS签购单", "POS签购单", "中国银联 签购单", "签购单", "银行卡签购单"))
    c.text(w // 2, title, size + 6, align="center", gap=1.8)
    copy = rng.choice(
        ("商户存根 MERCHANT COPY", "持卡人存根 CARDHOLDER COPY", "商户存根", "持卡人存根", "MERCHANT COPY")
    )
    c.text(m, copy, size - 2, gap=gap)
    c.rule(m, w - m, dashed=not screen)
    style = rng.choice(spec.labels)
    colon = rng.choice((":", "：", ":", " "))
    _arrange(c, spec.arrangement, rows, style, colon, size, gap, m, rng)
    c.rule(m, w - m, dashed=not screen)
    c.text(m, "持卡人签名(CARDHOLDER SIGNATURE):" if not screen else "持卡人签名", size - 2, gap=gap)
    c.y += 50
    c.text(m, "本人确认以上交易，同意将其记入本卡账户", size - 4, gap=gap)
    if rng.random() < 0.5:
        c.text(m, "I ACKNOWLEDGE SATISFACTORY RECEIPT", size - 6, gap=gap)
    if rng.random() < 0.5:
        c.text(
            m, f"服务热线 {rng.choice(('95516', '400-' + digits(rng, 3) + '-' + digits(rng, 4)))}", size - 4
        )
    img = c.render(max(c.y + 120, int(w * 1.9)) if screen else None)
    if screen:
        d = ImageDraw.Draw(img)
        pts = [(m + 40 + i * 18, c.y + 40 + int(30 * np.sin(i / 2.0 + rng.random()))) for i in range(14)]
        d.line(pts, fill=(30, 30, 60), width=4)
    return img, truth


def _bank_app(spec: Spec, rows: list[Row], truth: dict, t: Txn, rng: random.Random):
    w, size = rng.choice(spec.widths), rng.choice(spec.sizes)
    c = Canvas(w, rng.choice(spec.fonts))
    c.y = 20
    c.text(30, f"{rng.randint(8, 22)}:{rng.randint(0, 59):02d}", size - 6, gap=1.8)
    c.text(w // 2, rng.choice(("交易详情", "账单详情", "交易明细")), size + 4, align="center", gap=2.4)
    c.text(w // 2, t.merchant_name, size, align="center", fill=(90, 90, 90))
    sign = "-" if t.type in ("sale", "preauth_completion") and rng.random() < 0.5 else ""
    c.text(w // 2, sign + _amount(t.amount, rng, 0.7), size * 2, align="center", gap=1.5)
    truth["txn.amount"] = t.amount
    c.text(
        w // 2, rng.choice(("交易成功", "已入账", "交易完成")), size - 4, align="center", fill=(90, 160, 90)
    )
    c.rule(40, w - 40, fill=(230, 230, 230))
    rows = [r for r in rows if r.key not in ("txn.amount", "txn.batch_no") or rng.random() < 0.5]
    for r in rows:
        if r.key == "txn.card_masked" and rng.random() < 0.4:
            r.value = rng.choice((f"{t.issuer}信用卡(尾号{t.pan[-4:]})", f"尾号{t.pan[-4:]}"))
            truth["txn.card_masked"] = "****" + t.pan[-4:]
            truth.pop("txn.entry_mode", None)
    truth = {
        k: v
        for k, v in truth.items()
        if k == "txn.amount" or k in {r.key for r in rows} or k == "txn.entry_mode"
    }
    settle = f"{max(0.01, float(t.amount) * (1 - rng.choice((0.0038, 0.006)))):,.2f}"
    rows += [Row(None, "结算金额", "", settle), Row(None, "手续费", "", f"{rng.randint(1, 900) / 100:.2f}")]
    rows.append(Row(None, "交易流水号", "", digits(rng, 18)))
    _arrange(c, "right", rows, "zh", "", size, rng.uniform(*spec.gap), 40, rng)
    return c.render(max(c.y + 120, int(w * 1.9))), truth


def _arrange(
    c: Canvas, how: str, rows: list[Row], style: str, colon: str, size: int, gap: float, m: int, rng
):
    w = c.width
    if how == "right":
        for r in rows:
            c.put(m, c.y, label_text(r, style), size, fill=(120, 120, 120))
            c.put(w - m, c.y, r.value, size, align="right")
            c.y += int(size * gap)
        return
    if how == "two_column":
        half = (w - 2 * m) // 2
        i = 0
        while i < len(rows):
            a = rows[i]
            la = label_text(a, style) + colon
            if c.measure(la + a.value, size) > half - 10 or i + 1 >= len(rows):
                _inline(c, a, style, colon, size, gap, m, rng)
                i += 1
                continue
            b = rows[i + 1]
            lb = label_text(b, style) + colon
            if c.measure(lb + b.value, size) > half - 10:
                _inline(c, a, style, colon, size, gap, m, rng)
                i += 1
                continue
            c.put(m, c.y, la + a.value, size)
            c.put(m + half + 10, c.y, lb + b.value, size)
            c.y += int(size * gap)
            i += 2
        return
    for r in rows:
        if how == "below":
            c.text(m, label_text(r, style) + colon.strip(), size, gap=gap)
            c.text(m + rng.choice((0, 20, 40)), r.value, size, gap=gap)
        else:
            _inline(c, r, style, colon, size, gap, m, rng)


def _inline(c: Canvas, r: Row, style: str, colon: str, size: int, gap: float, m: int, rng) -> None:
    lab = label_text(r, style) + colon
    if c.measure(lab + r.value, size) > c.width - 2 * m or rng.random() < 0.15:
        c.text(m, lab.rstrip() if colon.strip() else lab, size, gap=gap)
        c.text(m + rng.choice((0, 20, 40)), r.value, size, gap=gap)
    else:
        c.text(m, lab + r.value, size, gap=gap)


# --- notices ---------------------------------------------------------------------------------------


def notice_rows(n: Notice, vocab: Vocab, rng: random.Random) -> tuple[list[Row], dict[str, str]]:
    t = n.txn
    truth = notice_truth(n)
    cny = rng.choice(
        (
            f"人民币 {_amount(t.amount, rng, 0.3)} 元",
            f"CNY {_amount(t.amount, rng, 0.3)}",
            f"￥{t.amount}",
            f"{t.amount}元",
        )
    )
    card = t.masked if rng.random() < 0.7 else t.pan[:6] + "******" + t.pan[-4:]
    reason = rng.choice(
        (
            f"{n.reason_code} {n.reason_text}",
            f"{n.reason_code}-{n.reason_text}",
            f"{n.reason_code}({n.reason_text})",
        )
    )
    values = {
        "dispute.case_no": n.case_no,
        "dispute.notified_at": _fmt_date(n.notified, rng),
        "dispute.deadline": _fmt_date(n.deadline, rng),
        "dispute.reason_code": reason,
        "merchant.name": t.merchant_name,
        "merchant.merchant_no": t.merchant_no,
        "merchant.terminal_id": t.terminal_id,
        "txn.card_masked": card,
        "txn.datetime": _fmt_dt(t.when, rng),
        "txn.amount": cny,
        "txn.reference_no": t.reference_no,
    }
    order = list(values)
    rows = [
        Row(k, vocab[k][0], vocab[k][1], values[k])
        for k in order
        if rng.random() < 0.93 or k == "dispute.case_no"
    ]
    if rng.random() < 0.6:
        part = t.amount if rng.random() < 0.7 else f"{float(t.amount) / 2:.2f}"
        rows.insert(rng.randint(5, len(rows)), Row(None, vocab["dispute.amount"][0], "", f"{part}元"))
    if rng.random() < 0.5:
        rows.append(
            Row(
                None,
                vocab["contact"][0],
                "",
                rng.choice(
                    ("95516", "400-" + digits(rng, 3) + "-" + digits(rng, 4), "021-" + digits(rng, 8))
                ),
            )
        )
    if rng.random() < 0.4:
        rows.insert(rng.randint(0, 3), Row(None, vocab["acquirer"][0], "", n.acquirer))
    keys = {r.key for r in rows if r.key}
    out = {k: v for k, v in truth.items() if k in keys or k == "dispute.stage"}
    return rows, out


def draw_notice(spec: Spec, vocab: Vocab, n: Notice, rng: random.Random):
    rows, truth = notice_rows(n, vocab, rng)
    w, size = rng.choice(spec.widths), rng.choice(spec.sizes)
    gap = rng.uniform(*spec.gap)
    screen = spec.medium == "screen"
    c = Canvas(w, rng.choice(spec.fonts))
    m = 40 if screen else 70
    word = n.stage_word
    if screen:
        c.y = 20
        c.text(30, f"{rng.randint(8, 22)}:{rng.randint(0, 59):02d}", size - 6, gap=1.8)
        c.text(
            w // 2,
            rng.choice((f"{word}详情", f"{word}通知", f"差错{word}详情")),
            size + 4,
            align="center",
            gap=2.2,
        )
        c.text(
            w // 2,
            rng.choice(("待处理", "请尽快回复", "处理中")),
            size - 4,
            align="center",
            fill=(200, 80, 40),
            gap=2,
        )
        c.rule(m, w - m, fill=(225, 225, 225))
        _arrange(c, "right", rows, "zh", "", size, gap, m, rng)
        if "dispute.deadline" not in {r.key for r in rows} and rng.random() < 0.5:
            pass
        return c.render(max(c.y + 100, int(w * 1.8))), truth
    c.y = 60
    bank = n.acquirer
    title = rng.choice(
        (
            f"{bank}银行卡交易{word}通知书",
            f"{word}通知书",
            f"银行卡差错交易{word}通知",
            f"关于交易{word}的通知",
        )
    )
    c.text(w // 2, title, size + 8, align="center", gap=2.0)
    if rng.random() < 0.5:
        c.text(
            w - m,
            f"编号：{n.case_no}" if "dispute.case_no" not in truth else "",
            size - 2,
            align="right",
            gap=1.6,
        )
    c.text(m, rng.choice(("尊敬的商户：", "尊敬的特约商户：", f"{n.txn.merchant_name}：")), size, gap=gap)
    lead = rng.choice(
        (
            f"您好！贵单位的下列交易被发卡机构提出{word}，请按要求及时提供交易凭证。",
            f"经发卡行申请，贵商户如下交易已被{word}，请协助核实并反馈。",
        )
    )
    for chunk in _wrap(c, lead, size, w - 2 * m - size * 2):
        c.text(m + size * 2 if chunk is lead[: len(chunk)] else m, chunk, size, gap=gap)
    if spec.arrangement == "table":
        _table(c, rows, size, m, rng)
    else:
        for r in rows:
            c.text(m + size, label_text(r, "zh") + rng.choice(("：", ":")) + r.value, size, gap=gap)
    deadline = _fmt_date(n.deadline, rng)
    tail = rng.choice(
        (
            f"请于{deadline}前将签购单及相关材料提交至我司，逾期未回复将可能导致资金被扣划。",
            f"请在{deadline}之前回复，逾期视为放弃申辩。",
        )
    )
    if "dispute.deadline" not in truth and rng.random() < 0.7:
        truth["dispute.deadline"] = n.deadline.isoformat()  # stated only in the sentence
    elif "dispute.deadline" not in truth:
        tail = "请尽快提交相关材料。"
    c.y += int(size * 0.5)
    for chunk in _wrap(c, tail, size, w - 2 * m - size * 2):
        c.text(m + size * 2 if tail.startswith(chunk) else m, chunk, size, gap=gap)
    c.y += int(size * 1.5)
    c.text(w - m, bank + rng.choice(("", "商户服务部", "风险管理部")), size, align="right", gap=gap)
    c.text(w - m, _fmt_date(n.notified, rng), size, align="right", gap=gap)
    return c.render(max(c.y + 120, int(w * 1.35))), truth


def _wrap(c: Canvas, s: str, size: int, width: int) -> list[str]:
    out, cur = [], ""
    for ch in s:
        if c.measure(cur + ch, size) > width:
            out.append(cur)
            cur = ""
        cur += ch
    return out + ([cur] if cur else [])


def _table(c: Canvas, rows: list[Row], size: int, m: int, rng: random.Random) -> None:
    w = c.width
    four = rng.random() < 0.5
    pairs: list[list[Row]] = []
    for r in rows:  # two short rows share a table row when the table has four columns
        if four and pairs and len(pairs[-1]) == 1 and len(pairs[-1][0].value) <= 16 and len(r.value) <= 16:
            pairs[-1].append(r)
        else:
            pairs.append([r])
    h = int(size * 2.1)
    x0, x1 = m, w - m
    cols = (
        [x0, x0 + (x1 - x0) * 0.18, x0 + (x1 - x0) * 0.5, x0 + (x1 - x0) * 0.68, x1]
        if four
        else [x0, x0 + (x1 - x0) * 0.32, x1]
    )
    top = c.y + 10
    for i, pair in enumerate(pairs):
        y = top + i * h
        for j, r in enumerate(pair):
            lx, vx = cols[2 * j], cols[2 * j + 1]
            end = cols[2 * j + 2] if len(pair) == 2 else x1
            lab = label_text(r, "zh")
            fits = c.measure(r.value, size) < (end - vx - 14) and c.measure(lab, size) < vx - lx - 12
            s = size if fits else max(12, size - 6)
            c.put(int(lx) + 8, y + (h - s) // 2 - 2, lab, s, fill=(40, 40, 40))
            c.put(int(vx) + 8, y + (h - s) // 2 - 2, r.value, s)
    n = len(pairs)
    for i in range(n + 1):
        c.line(x0, top + i * h, x1, top + i * h, width=2)
    for i, pair in enumerate(pairs):
        xs = cols if len(pair) == 2 or not four else [cols[0], cols[1], cols[-1]]
        for x in xs:
            c.line(int(x), top + i * h, int(x), top + (i + 1) * h, width=2)
    c.y = top + n * h + 20
