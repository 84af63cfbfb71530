"""From OCR lines to case fields: find labels, take the value beside or below each, validate, score.

Pure and model-free, so the rules are tested on line lists. A value is proposed only when a label
names it and it passes its field's rule; two labels that disagree about one field cancel each other.
Geometry (when boxes are given) is straightened first: the dominant text angle is rotated away so
that "same row" and "next row" mean what they mean on the paper.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import normalize as nz
from .layouts import FIELDS, LABEL_ENDINGS, LABELS, STEMS, detect_layout

#: A proposal below this confidence is dropped (set on the development set, bench/ocr.py --dev: at
#: 0.5 one value in 130 was wrong, at 0.6 one in 440, losing 1.5% of the right ones).
MIN_CONFIDENCE = 0.6
#: Free text has no format check to catch a misread character, so it needs a surer reading; a masked
#: card number's shape (6 digits, stars, 4 digits) and an entry-mode letter check themselves more.
FIELD_MIN_CONFIDENCE = {
    "merchant.name": 0.7,
    "txn.issuer": 0.7,
    "dispute.reason_code": 0.7,
    "txn.card_masked": 0.5,
    "txn.entry_mode": 0.5,
}


# --- lines -----------------------------------------------------------------------------------------


@dataclass
class Line:
    idx: int
    text: str  # NFKC-normalised
    score: float
    x0: float = 0.0
    x1: float = 0.0
    y0: float = 0.0
    y1: float = 0.0
    h: float = 0.0
    w: float = 0.0
    angle: float = 0.0  # of the text baseline, after the page's dominant angle is taken out
    probs: tuple[float, ...] = ()  # per character of text
    geometric: bool = False
    label: LabelHit | None = None
    row_bias: float = 0.0  # how far values sit below their labels' baseline here (perspective)
    owner: str | None = None  # the label kind whose value this line was taken as

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    def quality(self, start: int = 0, end: int | None = None, *, how: str = "min") -> float:
        """How sure OCR is of text[start:end], punctuation and mask stars aside.

        "min": its least sure character (one misread digit spoils a number); "second": the second
        least sure (CTC is unsure where a run of mask stars ends, which lowers one digit beside it);
        "mean": the average (for a closed vocabulary).
        """
        ps = sorted(
            p for c, p in zip(self.text[start:end], self.probs[start:end], strict=False) if c.isalnum()
        )
        if not ps:
            return self.score
        if how == "mean":
            return sum(ps) / len(ps)
        if how == "second" and len(ps) > 1:
            return ps[1]
        return ps[0]


@dataclass(frozen=True)
class LabelHit:
    kind: str  # a field id, "date", "time" or "-"
    end: int  # where the value starts in Line.text
    factor: float


def _coerce(item) -> tuple[str, float, Sequence | None, tuple[float, ...] | None]:
    """Accept (text, score), (text, score, box), RapidOCR's (box, text, score) or an object with attributes."""
    if hasattr(item, "text"):
        chars = getattr(item, "chars", None) or None
        return str(item.text), float(getattr(item, "score", 1.0)), getattr(item, "box", None), chars
    if isinstance(item, str):
        return item, 1.0, None, None
    item = tuple(item)
    if len(item) >= 3 and not isinstance(item[0], str):
        return str(item[1]), float(item[2]), item[0], None
    if len(item) >= 3:
        return str(item[0]), float(item[1]), item[2], None
    if len(item) == 2:
        return str(item[0]), float(item[1]), None, None
    return str(item[0]), 1.0, None, None


def _make_lines(items: Iterable) -> list[Line]:
    raw = [_coerce(it) for it in items]
    boxes = [b for _, _, b, _ in raw if b is not None and len(b) >= 4]
    geometric = len(boxes) == len(raw) and len(raw) > 0
    angle = 0.0
    if geometric:
        angles = []
        for b in boxes:
            (ax, ay), (bx, by), _, (dx, dy) = b[0], b[1], b[2], b[3]
            w, hh = math.hypot(bx - ax, by - ay), math.hypot(dx - ax, dy - ay)
            if w > 2.5 * hh:
                angles.append(math.atan2(by - ay, bx - ax))
        angle = statistics.median(angles) if angles else 0.0
    cos, sin = math.cos(-angle), math.sin(-angle)
    lines = []
    for i, (text, score, box, chars) in enumerate(raw):
        norm, probs = nz.nfkc_probs(text, tuple(chars) if chars else (score,) * len(text))
        ln = Line(i, norm, score, probs=probs, geometric=geometric)
        if geometric:
            pts = [
                (x * cos - y * sin, x * sin + y * cos)
                for x, y in ((float(p[0]), float(p[1])) for p in box[:4])
            ]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            ln.x0, ln.x1, ln.y0, ln.y1 = min(xs), max(xs), min(ys), max(ys)
            ln.h = max(1.0, (math.dist(pts[0], pts[3]) + math.dist(pts[1], pts[2])) / 2)
            ln.w = max(1.0, (math.dist(pts[0], pts[1]) + math.dist(pts[3], pts[2])) / 2)
            ln.angle = math.atan2(
                pts[1][1] - pts[0][1] + pts[2][1] - pts[3][1], pts[1][0] - pts[0][0] + pts[2][0] - pts[3][0]
            )
            cy = (ln.y0 + ln.y1) / 2
            ln.y0, ln.y1 = cy - ln.h / 2, cy + ln.h / 2  # a tilted box's extent overstates its height
        if ln.text:
            lines.append(ln)
    if geometric:
        lines.sort(key=lambda ln: (ln.cy, ln.x0))
    return lines


# --- labels ----------------------------------------------------------------------------------------

_ZH: list[tuple[str, str]] = sorted(
    ((zh, kind) for kind, (zhs, _) in LABELS.items() for zh in zhs), key=lambda p: -len(p[0])
)
_EN: list[tuple[str, str]] = sorted(
    ((en, kind) for kind, (_, ens) in LABELS.items() for en in ens), key=lambda p: -len(p[0])
)
_LEAD_JUNK = re.compile(r"^[\s*·|\-_>•.]{0,3}")


#: Digits OCR reads for the letters of an English label ('REFER N0.', 'AUTH C0DE').
_LABEL_LOOKALIKE = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z"}
#: An English label we do not know (or misread) between a Chinese one and its colon: 'AHT:'.
_UNKNOWN_EN = re.compile(r"\s*\(?\s*(?=[A-Za-z0-9 ./]*[A-Za-z]{2})[A-Za-z0-9 ./]{2,18}\)?\s*[:：]")


def _match_en(s: str, pos: int) -> tuple[str, int] | None:
    """An English label at s[pos:] (spaces and dots in s skipped), as (kind, end index)."""
    for en, kind in _EN:
        i, j = pos, 0
        while i < len(s) and j < len(en):
            ch = s[i].upper()
            if ch in " .":
                i += 1
                continue
            if ch != en[j] and _LABEL_LOOKALIKE.get(ch) != en[j]:
                break
            i += 1
            j += 1
        if j == len(en):
            # a short label must end at a word boundary ("TIME" is not "TIMEOUT")
            if i < len(s) and s[i].isalpha() and s[i].isascii() and len(en) <= 4:
                continue
            return kind, i
    return None


def _cjk_prefix(s: str) -> str:
    out = []
    for ch in s:
        if nz.has_cjk(ch) or ch == "/":
            out.append(ch)
        else:
            break
    return "".join(out)


def match_label(text: str) -> LabelHit | None:
    """The label a line starts with, if any, and where its value begins."""
    if nz.as_type(text) is not None:
        return None  # '预授权完成(AUTH COMPLETE)' is a value, whatever words it holds
    start = _LEAD_JUNK.match(text).end()
    s = text
    zh_kind, pos, factor = None, start, 1.0
    squeezed = s[start:].replace(" ", "")
    for zh, kind in _ZH:
        if squeezed.startswith(zh) or (("/" in zh) and squeezed.startswith(zh.replace("/", ""))):
            target = zh if squeezed.startswith(zh) else zh.replace("/", "")
            # advance pos over len(target) non-space characters
            n, i = 0, start
            while i < len(s) and n < len(target):
                if s[i] != " ":
                    n += 1
                i += 1
            while i < len(s) and s[i] in "号码":  # '检索参考号码', '卡号码': the same label, said longer
                i += 1
            zh_kind, pos = kind, i
            break
    if zh_kind is None:
        # one character misread, dropped or added in a label of three or more ('交时间', '凭怔号')
        prefix = _cjk_prefix(squeezed)
        if len(prefix) > 8:
            prefix = ""  # a sentence, not a misread label
        near: dict[str, int] = {}
        for zh, kind in _ZH:
            if len(zh) < 3:
                continue
            # a misread character is likelier than a lost one; the label is the whole run of Chinese
            # characters before its value (else '调单通知书' would be a misread '调单号')
            for k in (len(zh), len(zh) - 1, len(zh) + 1):
                if k == len(prefix) and nz.edit_distance(prefix[:k], zh) == 1:
                    near.setdefault(kind, k)
                    break
        if len(near) == 1:
            zh_kind, used = near.popitem()
            n, i = 0, start
            while i < len(s) and n < used:
                if s[i] != " ":
                    n += 1
                i += 1
            pos, factor = i, 0.85
    if zh_kind is None:
        # a label no list spells ('检索参考号码', '终端代号'): known by the words in it
        prefix = _cjk_prefix(squeezed).rstrip("/")
        kind = _by_meaning(prefix)
        if kind is not None:
            n, i = 0, start
            while i < len(s) and n < len(prefix):
                if s[i] != " ":
                    n += 1
                i += 1
            zh_kind, pos, factor = kind, i, 0.9
    # English label, in brackets after the Chinese one or on its own (after an unreadable Chinese one)
    j = pos
    if zh_kind is None:
        lead = _cjk_prefix(s[start:])
        j = start + (len(lead) if len(lead) <= 6 else 0)
    while j < len(s) and s[j] in " ":
        j += 1
    bracket = j < len(s) and s[j] in "(/"
    if bracket:
        j += 1
    en = _match_en(s, j)
    if zh_kind is None and en is None:
        return None
    if en is not None:
        en_kind, en_end = en
        if zh_kind is not None and en_kind != zh_kind:
            if {zh_kind, en_kind} <= {"date", "time", "txn.datetime"}:
                en_kind = zh_kind
            elif factor < 1.0:
                zh_kind, factor = en_kind, 0.85
            else:
                factor = 0.85
        kind = zh_kind or en_kind
        if zh_kind is None:
            factor = 0.9 if j == start else 0.85
        pos = en_end
        tail = s[pos : pos + 4]
        stop = max(tail.rfind(":"), tail.find(")"))
        if stop >= 0 and not re.search(r"[0-9\u4e00-\u9fff]", tail[:stop]):
            pos += stop + 1  # 'REFERNOL]:' - junk read at the end of the label
    else:
        kind = zh_kind
        if bracket and s[j - 1] == "(":  # an English label we do not know: skip the bracket if it closes soon
            close = s.find(")", j)
            if 0 <= close - j <= 25:
                pos = close + 1
        else:
            unknown = _UNKNOWN_EN.match(s, pos)
            if unknown:
                pos = unknown.end()
    while pos < len(s) and s[pos] in " :;.)":
        pos += 1
    return LabelHit(kind, pos, factor)


def _by_meaning(prefix: str) -> str | None:
    """The kind of a Chinese label from the words in it, if it ends like a label (see layouts.STEMS)."""
    if not (2 <= len(prefix) <= 8) or prefix[-1] not in LABEL_ENDINGS:
        return None
    if "预授权" in prefix or "撤销" in prefix:  # a transaction type, not a label
        return None
    for words, kind in STEMS:
        if all(w in prefix for w in words):
            return kind
    return None


_INNER_LABEL = re.compile(
    "|".join(re.escape(zh) for zh, _ in _ZH if len(zh) >= 3 or zh in ("卡号", "金额", "批次", "日期", "时间"))
)


def _split(line: Line) -> list[Line]:
    """'批次号:000299 凭证号:578046' read as one box → two lines, each with its own label."""
    own = match_label(line.text)
    if own is not None and own.kind == "dispute.reason_code":
        return [line]  # free text: '4831 交易金额不符' names no other label
    cuts = [0]
    for m in _INNER_LABEL.finditer(line.text):
        if (
            m.start() > cuts[-1]
            and not nz.has_cjk(line.text[m.start() - 1])
            and line.text[m.start() - 1] not in "(/"
            and re.search(r"[0-9A-Za-z*]", line.text[m.end() :])  # a label with a value after it
        ):
            cuts.append(m.start())
    if len(cuts) == 1:
        return [line]
    cuts.append(len(line.text))
    parts = []
    width = max(line.x1 - line.x0, 1.0)
    n = len(line.text)
    for a, b in zip(cuts, cuts[1:], strict=False):
        lead = len(line.text[a:b]) - len(line.text[a:b].lstrip())
        seg_text = line.text[a:b].strip()
        seg = Line(line.idx, seg_text, line.score, geometric=line.geometric)
        seg.probs = line.probs[a + lead : a + lead + len(seg_text)]
        seg.angle, seg.w = line.angle, line.w * (b - a) / n
        seg.x0 = line.x0 + width * a / n
        seg.x1 = line.x0 + width * b / n
        seg.y0, seg.y1, seg.h = line.y0, line.y1, line.h
        parts.append(seg)
    return parts


# --- values ----------------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[str], nz.Value | None]] = {
    "merchant.name": nz.as_name,
    "merchant.merchant_no": lambda s: nz.as_digits(s, 15),
    "merchant.terminal_id": lambda s: nz.as_alnum(s, 8),
    "txn.datetime": nz.as_datetime,
    "txn.amount": nz.as_amount,
    "txn.reference_no": lambda s: nz.as_digits(s, 12),
    "txn.voucher_no": lambda s: nz.as_digits(s, 6),
    "txn.batch_no": lambda s: nz.as_digits(s, 6),
    "txn.auth_code": lambda s: nz.as_alnum(s, 6),
    "txn.card_masked": nz.as_card,
    "txn.issuer": nz.as_issuer,
    "txn.type": nz.as_type,
    "dispute.case_no": nz.as_case_no,
    "dispute.notified_at": nz.as_day,
    "dispute.deadline": nz.as_day,
    "dispute.reason_code": nz.as_reason,
    "dispute.stage": nz.as_stage,
}


@dataclass
class Proposal:
    value: str
    confidence: float
    source: str


def _raw_offset(a: Line, b: Line) -> float:
    theta = (a.angle * a.w + b.angle * b.w) / (a.w + b.w)
    return (b.cy - a.cy) - math.tan(theta) * (b.cx - a.cx)


def _offset(a: Line, b: Line) -> float:
    """How far b's centre lies off the text line through a's centre (both boxes' angles, by width),
    less the shift that the neighbouring label/value pairs show (a photo taken at an angle)."""
    return _raw_offset(a, b) - a.row_bias


def _estimate_row_bias(lines: list[Line]) -> None:
    """Each label's row_bias: the median shift of its nearest labels' right-hand values.

    Perspective makes the value column drift from the label column by a similar amount on
    neighbouring rows; measured on the unambiguous pairs, it can be taken out of the row test.
    """
    labels = [m for m in lines if m.label is not None and m.geometric]
    shifts: list[tuple[float, float]] = []
    for lab in labels:
        if lab.text[lab.label.end :].strip():
            continue
        right = [m for m in lines if m.label is None and m.x0 >= lab.x1 - 0.5 * lab.h]
        offs = sorted((_raw_offset(lab, m) for m in right), key=abs)
        if offs and abs(offs[0]) <= 0.9 * lab.h and (len(offs) == 1 or abs(offs[1]) >= 2 * abs(offs[0])):
            shifts.append((lab.cy, offs[0]))
    if len(shifts) < 3:
        return
    for lab in labels:
        near = sorted(shifts, key=lambda s: abs(s[0] - lab.cy))[:5]
        lab.row_bias = statistics.median(o for _, o in near)


def _right_of(a: Line, b: Line) -> bool:
    return b is not a and b.x0 >= a.x1 - 0.5 * a.h and abs(_offset(a, b)) <= 0.6 * max(a.h, b.h)


def _row_right(lines: list[Line], ln: Line) -> list[Line]:
    """Unlabelled boxes to the right on the same row, each closer to this label's row than to any other's."""
    labels = [m for m in lines if m.label is not None]
    row = []
    for m in sorted((m for m in lines if _right_of(ln, m)), key=lambda m: m.x0):
        if m.label is not None:
            break
        # the label on its row nearest to its left (a table may have two label/value pairs a row)
        owner = min(
            (lab for lab in labels if _right_of(lab, m)),
            key=lambda lab: (round(abs(_offset(lab, m)) / (0.35 * max(lab.h, m.h))), m.x0 - lab.x1),
            default=None,
        )
        if owner is ln:
            row.append(m)
    return row


def _row_below(lines: list[Line], ln: Line) -> list[Line]:
    below = [m for m in lines if m.cy > ln.cy + 0.55 * ln.h and m.y0 < ln.y1 + 1.6 * ln.h]
    if not below:
        return []
    first = min(below, key=lambda m: m.cy)
    row = [m for m in below if abs(m.cy - first.cy) <= 0.6 * max(first.h, m.h)]
    row.sort(key=lambda m: m.x0)
    if any(m.label is not None for m in row):
        return []
    return row


def _value_for(lines: list[Line], i: int, layout: str) -> tuple[str, float, float, str] | None:
    """(text, OCR quality, place factor, where) of the value beside or below the label on lines[i].

    The nearest place that holds anything is the value's place; if what is there does not validate,
    nothing further away is tried (it would belong to another label).
    """
    ln = lines[i]
    # a number is judged by its least sure digit, a card number by its second least sure (see
    # Line.quality), a type by its mean (a closed vocabulary)
    how = {"txn.card_masked": "second", "txn.type": "mean"}.get(ln.label.kind, "min")
    rest = ln.text[ln.label.end :].strip()
    if rest.endswith(":"):
        rest = ""  # a garbled label ('商户名利MEROHANTNAME:'), not a value
    if len(rest) >= 2 or (rest.isascii() and rest.isalnum()):
        start = ln.text.index(rest, ln.label.end)
        quality = ln.quality(start, start + len(rest), how=how)
        if ln.label.kind == "txn.card_masked" and ln.geometric and nz.as_card(rest) is None:
            # OCR often breaks a masked number at its run of stars: '卡号:436742**' + '****7843/C'
            more = [m for m in _row_right(lines, ln) if re.fullmatch(r"[\d*\s]*\*[\d*\s/()A-Z]*", m.text)]
            if more:
                joined = rest + "".join(m.text for m in more)
                return joined, min([quality] + [m.quality(how=how) for m in more]), 0.97, "same+right"
        return rest, quality, 1.0, "same"
    if not ln.geometric:
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or nxt.label is not None:
            return None
        return nxt.text, nxt.quality(how=how), 0.9, "next"
    row, place, where = _row_right(lines, ln), 0.97, "right"
    if not row and layout in ("unionpay_slip", "notice", "unknown"):  # app screens: never the next row
        row, place, where = _row_below(lines, ln), 0.95, "below"
    if not row:
        return None
    for m in row:
        m.owner = ln.label.kind
    return " ".join(m.text for m in row), min(m.quality(how=how) for m in row), place, where


def _big_amount(lines: list[Line]) -> Proposal | None:
    """A bank app's headline amount: the tallest bare amount in the top part of the screen."""
    if not lines or not lines[0].geometric:
        return None
    heights = statistics.median(m.h for m in lines)
    labelled = [m.cy for m in lines if m.label is not None and m.label.kind != "-"]
    limit = (
        min(labelled)
        if labelled
        else min(m.y0 for m in lines) + 0.4 * (max(m.y1 for m in lines) - min(m.y0 for m in lines))
    )
    best = None
    for m in lines:
        if m.label is not None or m.h < 1.2 * heights or m.cy > limit:
            continue
        if not re.fullmatch(r"[-+]?\s*[¥Y]?\s*[\d,. ]+\s*元?", m.text):
            continue
        v = nz.as_amount(m.text)
        if v and (best is None or m.h > best[1]):
            best = (Proposal(v.value, 0.9 * v.factor * m.quality(), "headline"), m.h)
    return best[0] if best else None


#: Values that tell their field by their shape alone, when no label gave the field: (field, pattern
#: of the whole value, parser). Each must occur once on the page.
SHAPES = (
    ("txn.card_masked", re.compile(r"\d{4,6}[*\s]*\*{3,}[*\s]*\d{4}(?:\s*[/(]?[CSIFQWMN]\)?)?"), nz.as_card),
    ("txn.reference_no", re.compile(r"\d{12}"), PARSERS["txn.reference_no"]),
    ("txn.datetime", re.compile(r"20\d\d[-/.]\d\d[-/.]\d\d\s*\d\d:\d\d:\d\d"), nz.as_datetime),
)


def _by_shape(lines: list[Line], found: dict[str, list[Proposal]]) -> None:
    """Where a label is unreadable, a value that can only be one field is still that field's value:
    a masked card number, a 12-digit reference, a date with its time. (Not a 15-digit merchant number:
    a full card number can have 15 digits.)"""
    for key, shape, parse in SHAPES:
        if key in found:
            continue
        hits = []
        for ln in lines:
            if ln.label is not None and ln.label.kind != "-" and ln.label.factor == 1:
                text = ln.text[ln.label.end :].strip()  # a value after another field's label is its own
                if ln.label.kind != key:
                    continue
            elif ln.owner not in (None, key):
                continue  # another label's value ('案件编号 202511163588')
            else:
                text = ln.text if ln.label is None else ln.text[ln.label.end :].strip()
            m = shape.search(text)
            alone = (
                m and not (m.start() and text[m.start() - 1].isalnum()) and not text[m.end() :][:1].isalnum()
            )
            if alone:
                v = parse(m.group(0))
                if v is not None:
                    start = ln.text.find(m.group(0))
                    q = ln.quality(start, start + len(m.group(0)))
                    hits.append(Proposal(v.value, 0.85 * v.factor * q, "shape"))
        if len({h.value for h in hits}) == 1:
            found[key] = [max(hits, key=lambda h: h.confidence)]


_DEADLINE_SENTENCE = re.compile(
    r"(?:请|须|务必)\s*(?:于|在)\s*(?P<date>20\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)\s*(?:\d{1,2}[:：]\d{2})?\s*(?:前|之前|以前)"
)


def _notice_extras(lines: list[Line], found: dict[str, list[Proposal]]) -> None:
    """A notice's stage from its title (the topmost line naming one) and a reply-by date said in a sentence."""
    for ln in sorted(lines, key=lambda m: (m.cy, m.x0) if m.geometric else (m.idx, 0)):
        v = nz.as_stage(ln.text) if ln.label is None or ln.label.factor < 1 else None
        if v is None and ln.label is not None and ln.label.kind != "-" and ln.label.factor == 1:
            break  # past the title and the greeting: the table or list has begun
        if v is not None:
            found.setdefault("dispute.stage", []).append(
                Proposal(v.value, 0.95 * ln.quality(how="mean"), "title")
            )
            break
    for ln in lines:
        m = _DEADLINE_SENTENCE.search(ln.text)
        if m:
            v = nz.as_day(m["date"])
            if v is not None:
                q = ln.quality(m.start("date"), m.end("date"))
                found.setdefault("dispute.deadline", []).append(Proposal(v.value, 0.95 * q, "sentence"))


# --- the reading -----------------------------------------------------------------------------------


def propose(
    items: Iterable, *, min_confidence: float = MIN_CONFIDENCE
) -> tuple[str, dict[str, Proposal], int]:
    """(layout, field id → proposal, number of lines). Proposals below min_confidence are left out."""
    lines: list[Line] = []
    ocr_lines = _make_lines(items)
    for ln in ocr_lines:
        lines.extend(_split(ln))
    for ln in lines:
        ln.label = match_label(ln.text)
    _estimate_row_bias(lines)
    layout = detect_layout([nz.compact(ln.text).upper() for ln in lines])

    found: dict[str, list[Proposal]] = {}
    dates, times = [], []
    for i, ln in enumerate(lines):
        if ln.label is None or ln.label.kind == "-":
            continue
        kind = ln.label.kind
        value = _value_for(lines, i, layout)
        if value is None:
            continue
        text, score, place, where = value
        base = ln.label.factor * place * score
        if kind in ("date", "time", "txn.datetime"):
            full = nz.as_datetime(text)
            d = nz.as_date(text) if full is None else None
            tm = nz.as_time(text) if full is None and d is None else None
            if full and kind == "txn.datetime":
                found.setdefault(kind, []).append(Proposal(full.value, base * full.factor, where))
            elif full:  # a date label with a full date-time after it
                found.setdefault("txn.datetime", []).append(Proposal(full.value, base * 0.95, where))
            elif d and kind != "time":
                dates.append((d, base))
            elif tm and kind != "date":
                times.append((tm, base))
            continue
        v = PARSERS[kind](text)
        if v is None:  # the value beside the label did not validate: nothing is looked for further away
            continue
        found.setdefault(kind, []).append(Proposal(v.value, base * v.factor, where))
        if kind == "txn.card_masked" and v.value[0] != "*":
            mode = nz.entry_mode(text)
            if mode:
                found.setdefault("txn.entry_mode", []).append(Proposal(mode[0], base * 0.95, where))
    if "txn.datetime" not in found and len({d for d, _ in dates}) == 1 and len({tm for tm, _ in times}) == 1:
        v = nz.combine(dates[0][0], times[0][0])
        if v:
            found["txn.datetime"] = [Proposal(v.value, min(dates[0][1], times[0][1]) * v.factor, "date+time")]
    if layout == "notice":
        _notice_extras(lines, found)
    _by_shape(lines, found)
    if layout in ("bank_app", "unknown"):
        head = _big_amount(lines)
        if head:
            found.setdefault("txn.amount", []).append(head)

    deadline, notified = found.get("dispute.deadline"), found.get("dispute.notified_at")
    if (
        deadline
        and notified
        and {p.value for p in deadline}
        and min(p.value for p in deadline) < max(p.value for p in notified)
    ):
        found.pop("dispute.deadline")  # a reply-by date before the notice: one of them is misread
    chosen: dict[str, Proposal] = {}
    for key, props in found.items():
        values = {p.value for p in props}
        if len(values) > 1:
            continue  # two labels disagree: propose nothing rather than guess
        best = max(props, key=lambda p: p.confidence)
        conf = best.confidence
        if len(props) > 1:
            conf = 1 - (1 - conf) * 0.5  # read the same twice
        floor = FIELD_MIN_CONFIDENCE.get(key, min_confidence) if min_confidence > 0 else 0.0
        if conf >= floor:
            chosen[key] = Proposal(best.value, round(min(conf, 1.0), 3), best.source)
    ordered = {k: chosen[k] for k in FIELDS if k in chosen}
    return layout, ordered, len(ocr_lines)
