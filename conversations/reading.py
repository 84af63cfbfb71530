"""Photos that fill the case: what was read from a slip or a bank notice is proposed, and the merchant
accepts or fixes it.

The runtime reads the photo or PDF (bot/ocr) before the engine runs and passes the result in
`Incoming.reading`: {"kind", "layout", "fields", "confidence", "lines"}. A slip (paper, electronic, a
bank app's transaction) or an acquirer's notice (调单 / 拒付 …) sent at any point of a case becomes a
proposal: "I read: …" with buttons to accept all (`ocr:accept`), change one field (`ocr:edit:FIELD`)
or type instead (`ocr:drop`). Only empty fields are filled, and every value is checked again by its
field's own rule. The photo is kept as evidence of the kind the reading shows (a notice as
`dispute_notice`) unless the merchant said otherwise.

Before anything is proposed the merchant is told what would make the photo the wrong one: a VOID or
refund slip is not the sale (said, and asked); a slip of another merchant or terminal says so first.
"""

from __future__ import annotations

from datetime import datetime

from conversations import review
from conversations.events import Choice
from conversations.flow import STEPS_BY_FIELD
from conversations.form import mark, set_value, unmark
from conversations.i18n import N_
from conversations.kinds import DateTime
from conversations.screens import prompt
from conversations.turn import Slot, Turn
from conversations.validators import Valid, check_moment

SLIP_KINDS = ("signed_slip", "e_slip")
#: Evidence kinds whose photo is worth reading: documents that carry a transaction's or a case's numbers.
READ_KINDS = ("signed_slip", "e_slip", "bank_statement", "pos_record", "dispute_notice")
LAYOUT_KINDS = {
    "unionpay_slip": "signed_slip",
    "e_slip": "e_slip",
    "bank_app": "bank_statement",
    "notice": "dispute_notice",
}
LOW_CONFIDENCE = 0.8

#: Fields the reader returns that may have no question in the flow (yet): their label and choices.
EXTRA_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "txn.entry_mode": (
        N_("Entry mode"),
        {
            "chip": N_("Chip (插卡)"),
            "contactless": N_("Contactless (挥卡/闪付)"),
            "swipe": N_("Swipe (刷卡)"),
            "fallback": N_("Chip fallback to swipe (降级)"),
            "manual": N_("Keyed in (手工输入)"),
        },
    ),
    "dispute.reason_code": (N_("Reason code"), {}),
}
TYPE_NAMES = {"void": N_("a VOID slip (消费撤销)"), "refund": N_("a refund slip (退货)")}


def wants_reading(conv: dict, case: dict | None, slot_field: str | None, slot_item: int | None) -> bool:
    """Should a photo arriving now be read? Whenever a case is being filled or reviewed (a notice or a
    slip fills its fields wherever it comes), except as evidence the merchant said is something else
    (camera stills, chats, witness forms)."""
    if not case or conv.get("mode") not in ("form", "review"):
        return False
    if slot_field == "evidence.file" and slot_item is not None:
        items = case.get("evidence") or []
        if slot_item >= len(items):
            return True  # a new file, sent before its kind: the kind is read from it
        return items[slot_item].get("kind") in READ_KINDS
    # the rest of an album at a caption question takes the first photo's kind: not read one by one
    return slot_field is None or not slot_field.startswith("evidence.")


def _conflicts(txn: dict, fields: dict) -> list[str]:
    """Field ids where the photo and what the merchant already gave disagree: another transaction's slip."""
    found = []
    for name in ("reference_no", "amount", "datetime"):
        read, given = fields.get(f"txn.{name}"), txn.get(name)
        if read is None or given is None:
            continue
        if name == "datetime":
            read, given = str(read)[:16], str(given)[:16]  # to the minute: slips print seconds, people don't
        if read != given:
            found.append(f"txn.{name}")
    return found


def _target_txn(case: dict, slot: Slot | None, fields: dict) -> int | None:
    """The transaction this photo belongs to: the one being entered, the one it matches, or the first."""
    txns = case.get("txn") or []
    if slot is not None and slot.step.group == "txn":
        current = txns[slot.item] if slot.item is not None and slot.item < len(txns) else {}
        return None if _conflicts(current, fields) else slot.item
    if not txns:
        return 0  # no transaction yet (a notice sent first): the photo's is the first
    ref = fields.get("txn.reference_no")
    for i, txn in enumerate(txns):
        if ref and txn.get("reference_no") == ref:
            return i
    matching = [i for i, txn in enumerate(txns) if not _conflicts(txn, fields)]
    return matching[0] if len(matching) == 1 else None


def _checked(field_id: str, value: object, turn: Turn) -> object | None:
    """The value if it passes the field's own rule, else None (a wrong prefill is worse than none)."""
    if value in (None, ""):
        return None
    step = STEPS_BY_FIELD.get(field_id)
    if step is None:
        extra = EXTRA_FIELDS.get(field_id)
        if extra is None:
            return None
        choices = extra[1]
        text = str(value).strip()
        return text if (text in choices if choices else 0 < len(text) <= 200) else None
    if isinstance(step.kind, DateTime):
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        checked = check_moment(moment, now=turn.ctx.now, tz=turn.ctx.tz)  # not ahead, not years back
        return checked.value if isinstance(checked, Valid) else None
    result = step.kind.parse(str(value), turn.ctx, turn.session.case or {}, None)
    return result.value if isinstance(result, Valid) else None


def _label(field_id: str, turn: Turn) -> str:
    step = STEPS_BY_FIELD.get(field_id)
    return turn.t(step.label if step else EXTRA_FIELDS[field_id][0])


def _shown(field_id: str, value: object, turn: Turn) -> str:
    step = STEPS_BY_FIELD.get(field_id)
    if step is not None:
        return review.show(step, value, turn.lang)
    choices = EXTRA_FIELDS[field_id][1]
    return review.esc(turn.t(choices[value]) if value in choices else str(value))


def _store(case: dict, field_id: str, item: int | None, value: object) -> str:
    """Write one accepted value; return its answered-slot key."""
    step = STEPS_BY_FIELD.get(field_id)
    group, name = field_id.split(".", 1)
    if step is not None:
        set_value(case, step, item if step.group == "txn" else None, value)
    elif group == "txn":
        items = case.setdefault("txn", [])
        while len(items) <= (item or 0):
            items.append({})
        items[item or 0][name] = value
    else:
        case.setdefault(group, {})[name] = value
    return field_id if group != "txn" else f"txn.{item}.{name}"


def _set_evidence_kind(turn: Turn, reading: dict, index: int, target: int | None) -> None:
    """Keep the photo as the evidence the reading shows, when the merchant has not said what it is."""
    case = turn.session.case or {}
    items = case.get("evidence") or []
    kind = LAYOUT_KINDS.get(reading.get("layout") or "")
    if kind is None or index >= len(items) or items[index].get("kind"):
        return
    txns = case.get("txn") or []
    unsigned = target is not None and target < len(txns) and txns[target].get("signed") is False
    if kind == "signed_slip" and unsigned:
        return  # the merchant said it carries no signature: ask what it is rather than guess
    items[index]["kind"] = kind
    mark(turn.session, f"evidence.{index}.kind")


def _other_merchant(case: dict, fields: dict) -> list[tuple[str, str, str]]:
    """(field id, read, given) where the photo's merchant or terminal number is not the case's."""
    merchant = case.get("merchant") or {}
    out = []
    for name in ("merchant_no", "terminal_id"):
        read, given = fields.get(f"merchant.{name}"), merchant.get(name)
        if read and given and str(read).upper() != str(given).upper():
            out.append((f"merchant.{name}", str(read), str(given)))
    return out


def propose(turn: Turn, slot: Slot | None, reading: dict, evidence_index: int) -> bool:
    """Offer what was read, as a message of its own; True when a proposal was made."""
    case = turn.session.case or {}
    fields = dict(reading.get("fields") or {})
    target = _target_txn(case, slot, fields) if fields else None
    _set_evidence_kind(turn, reading, evidence_index, target)
    doc = reading.get("kind") or ("notice" if reading.get("layout") == "notice" else "slip")
    if not fields:
        if slot is None or not (slot.step.group == "txn" or slot.step.field == "evidence.file"):
            return False  # a photo of something else, sent between questions: just kept
        if not reading.get("lines"):
            message = N_(
                "I could not find any text in this photo. Lay the slip flat in good light, fill the frame "
                "with it and hold the phone steady — or just type the answer."
            )
        else:
            message = N_(
                "I read some text but no transaction details I can trust (reference number, voucher "
                "number, amount…). Send a photo of the sales slip, the electronic slip or the transaction "
                "detail screen — or just type the answer."
            )
        turn.note(turn.t(message))
        return False
    other = _other_merchant(case, fields)
    if other:
        shown = "; ".join(
            turn.t(
                N_("{field} {read} (yours: {given})"),
                field=_label(f, turn),
                read=review.esc(r),
                given=review.esc(g),
            )
            for f, r, g in other
        )
        turn.note(
            "⚠️ "
            + turn.t(
                N_(
                    "This photo is of another merchant or terminal: {details}. Check that it is your "
                    "document before you use its numbers."
                ),
                details=shown,
            )
        )
        for f, _, _ in other:
            fields.pop(f, None)
    txns = case.get("txn") or []
    if target is None and any(k.startswith("txn.") for k in fields):
        shown = ", ".join(
            _shown(k, fields[k], turn)
            for k in ("txn.datetime", "txn.amount", "txn.reference_no")
            if fields.get(k)
        )
        turn.note(
            turn.t(
                N_(
                    "The photo shows a transaction ({details}) that matches none you entered, so I left them as they are."
                ),
                details=shown,
            )
        )
    current = txns[target] if target is not None and target < len(txns) else {}
    merchant = case.get("merchant") or {}
    dispute = case.get("dispute") or {}
    proposal: dict[str, object] = {}
    for field_id, value in fields.items():
        group, name = field_id.split(".", 1)
        if group == "txn" and (target is None or current.get(name) is not None):
            continue
        if group == "merchant" and merchant.get(name) is not None:
            continue
        if group == "dispute" and dispute.get(name) not in (None, "none" if name == "stage" else None):
            continue
        checked = _checked(field_id, value, turn)
        if checked is not None:
            proposal[field_id] = checked
    deadline, notified = proposal.get("dispute.deadline"), proposal.get("dispute.notified_at")
    notified = notified or dispute.get("notified_at")
    if deadline and notified and str(deadline) < str(notified)[:10]:
        proposal.pop("dispute.deadline")
    if not proposal:
        turn.note(turn.t(N_("I read the photo, but it holds nothing new for the questions here.")))
        return False
    turn.session.conv["ocr"] = {"txn": target, "fields": proposal}
    kind_of_txn = str(fields.get("txn.type") or "")
    if doc == "slip" and kind_of_txn in TYPE_NAMES and any(k.startswith("txn.") for k in proposal):
        _ask_about_type(turn, kind_of_txn, proposal)
        return True
    _show(turn, proposal, reading.get("confidence") or {}, doc)
    return True


def _ask_about_type(turn: Turn, kind: str, proposal: dict) -> None:
    """A VOID or refund slip is not the disputed sale: say what it is and ask before using it."""
    details = ", ".join(
        _shown(k, proposal[k], turn)
        for k in ("txn.datetime", "txn.amount", "txn.reference_no")
        if k in proposal
    )
    text = turn.t(
        N_(
            "⚠️ This is {what} ({details}): it takes back an earlier sale, so it is not the sale the "
            "customer disputes, and I have not used it. Send the slip of the sale itself, or type its "
            "details. If this slip is what the dispute is about, say so."
        ),
        what=turn.t(TYPE_NAMES[kind]),
        details=details,
    )
    choices = [
        Choice("ocr:show", turn.t(N_("It is the disputed one: show what it says"))),
        Choice("ocr:drop", turn.t(N_("I will send or type the sale"))),
    ]
    turn.say(text, choices)


def _show(turn: Turn, proposal: dict, confidence: dict, doc: str) -> None:
    title = N_("📷 I read from the bank's notice:") if doc == "notice" else N_("📷 I read from the photo:")
    lines = [turn.t(title)]
    choices = [Choice("ocr:accept", turn.t(N_("✅ Use all of these")))]
    for field_id, value in proposal.items():
        check = turn.t(N_(" (please check)")) if confidence.get(field_id, 1.0) < LOW_CONFIDENCE else ""
        lines.append(f"• {_label(field_id, turn)}: <b>{_shown(field_id, value, turn)}</b>{check}")
        if field_id in STEPS_BY_FIELD:
            choices.append(
                Choice(f"ocr:edit:{field_id}", turn.t(N_("Change: {field}"), field=_label(field_id, turn)))
            )
    choices.append(Choice("ocr:drop", turn.t(N_("Type them instead"))))
    lines.append(turn.t(N_("The photo is kept as evidence either way.")))
    turn.say("\n".join(lines), choices)


def answer(turn: Turn, action: str) -> None:
    """ocr:accept, ocr:edit:FIELD, ocr:show (a VOID/refund slip the merchant says is the one) or ocr:drop."""
    pending = turn.session.conv.get("ocr")
    if not pending or turn.session.case is None:
        turn.session.conv.pop("ocr", None)
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        prompt(turn)
        return
    if action == "show":
        _show(turn, pending["fields"], {}, "slip")
        return
    turn.session.conv.pop("ocr", None)
    if action == "drop":
        prompt(turn)
        return
    edit = action.split(":", 1)[1] if action.startswith("edit:") else None
    target = pending.get("txn")
    for field_id, value in pending["fields"].items():
        key = _store(turn.session.case, field_id, target, value)
        if field_id == edit:
            unmark(turn.session, key)  # asked next, with the value read shown and a Keep button
        else:
            mark(turn.session, key)
    prompt(turn)


# words in a caption that name an evidence kind beyond doubt (checked in order; the first wins)
CAPTION_KINDS = (
    ("police_receipt", ("报案回执", "受案回执", "police report", "police receipt")),
    ("chat", ("聊天", "微信记录", "对话截图", "wechat", "chat")),
    ("cctv", ("监控", "录像", "cctv", "camera")),
    ("bank_statement", ("银行流水", "对账单", "bank statement")),
    ("pos_record", ("后台", "交易记录", "transaction record", "provider record")),
    ("invoice", ("小票", "发票", "收据", "invoice", "receipt")),
    ("delivery", ("快递", "签收", "物流", "delivery")),
    ("witness", ("证人", "证言", "witness")),
)


def kind_read(reading: dict | None, case: dict, caption: str | None = None) -> str | None:
    """The evidence kind a photo's layout or its caption shows, or None to ask. A paper slip is a
    signed slip only when the merchant did not say the slip carries no signature."""
    kind = LAYOUT_KINDS.get((reading or {}).get("layout") or "")
    if kind == "signed_slip" and any(txn.get("signed") is False for txn in case.get("txn") or []):
        return None
    if kind is None and caption:
        words = caption.lower()
        kind = next((k for k, needles in CAPTION_KINDS if any(n in words for n in needles)), None)
    return kind
