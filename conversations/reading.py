"""Photos that fill the form: what OCR read from a slip is proposed, and the merchant accepts or fixes it.

The runtime reads the photo (bot/ocr) before the engine runs and passes the result in
`Incoming.reading`. A photo sent at a transaction question, or as evidence of a signed or
electronic slip, becomes a proposal: "I read: …" with buttons to accept all (`ocr:accept`),
change one field (`ocr:edit:FIELD`) or type instead (`ocr:drop`). Only empty fields are filled, and
every value is checked again by its field's own rule. The buttons are answered in
`answers.ocr_answer`: this module only reads and proposes, it walks no form.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from conversations import review
from conversations.events import Choice
from conversations.flow import STEPS_BY_FIELD
from conversations.i18n import N_
from conversations.kinds import DateTime
from conversations.validators import Valid, check_moment

if TYPE_CHECKING:
    from conversations.turn import Slot, Turn

SLIP_KINDS = ("signed_slip", "e_slip")
LAYOUT_KINDS = {"unionpay_slip": "signed_slip", "e_slip": "e_slip", "bank_app": "bank_statement"}
LOW_CONFIDENCE = 0.8


def wants_reading(conv: dict, case: dict | None, slot_field: str | None, slot_item: int | None) -> bool:
    """Should a photo arriving now be read? At a transaction question, or as evidence (its kind is read)."""
    if not case or conv.get("mode") != "form" or not slot_field:
        return False
    return slot_field.startswith(("txn.", "evidence."))


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


def _target_txn(case: dict, slot: Slot, fields: dict) -> int | None:
    """The transaction this photo belongs to: the one being entered, or the one it matches."""
    txns = case.get("txn") or []
    if slot.step.group == "txn":
        current = txns[slot.item] if slot.item is not None and slot.item < len(txns) else {}
        return None if _conflicts(current, fields) else slot.item
    ref = fields.get("txn.reference_no")
    for i, txn in enumerate(txns):
        if ref and txn.get("reference_no") == ref:
            return i
    matching = [i for i, txn in enumerate(txns) if not _conflicts(txn, fields)]
    return matching[0] if len(matching) == 1 else None


def _checked(field_id: str, value: object, turn: Turn) -> object | None:
    """The value if it passes the field's own rule, else None (a wrong prefill is worse than none)."""
    step = STEPS_BY_FIELD.get(field_id)
    if step is None or value in (None, ""):
        return None
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


def propose(turn: Turn, slot: Slot | None, reading: dict, evidence_index: int) -> bool:
    """Offer what was read, as a message of its own; True when a proposal was made."""
    case = turn.session.case or {}
    fields = dict(reading.get("fields") or {})
    if slot is None or not fields:
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
    target = _target_txn(case, slot, fields)
    txns = case.get("txn") or []
    if target is None and any(k.startswith("txn.") for k in fields):
        shown = ", ".join(
            review.show(STEPS_BY_FIELD[k], fields[k], turn.lang)
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
    proposal: dict[str, object] = {}
    for field_id, value in fields.items():
        group, name = field_id.split(".", 1)
        if group == "txn" and (target is None or current.get(name) is not None):
            continue
        if group == "merchant" and merchant.get(name) is not None:
            continue
        checked = _checked(field_id, value, turn)
        if checked is not None:
            proposal[field_id] = checked
    if not proposal:
        turn.note(turn.t(N_("I read the photo, but it holds nothing new for the questions here.")))
        return False
    turn.session.conv["ocr"] = {"txn": target, "fields": proposal}
    confidence = reading.get("confidence") or {}
    lines = [turn.t(N_("📷 I read from the photo:"))]
    choices = [Choice("ocr:accept", turn.t(N_("✅ Use all of these")))]
    for field_id, value in proposal.items():
        step = STEPS_BY_FIELD[field_id]
        shown = review.show(step, value, turn.lang)
        check = turn.t(N_(" (please check)")) if confidence.get(field_id, 1.0) < LOW_CONFIDENCE else ""
        lines.append(f"• {turn.t(step.label)}: <b>{shown}</b>{check}")
        choices.append(
            Choice(f"ocr:edit:{field_id}", turn.t(N_("Change: {field}"), field=turn.t(step.label)))
        )
    choices.append(Choice("ocr:drop", turn.t(N_("Type them instead"))))
    lines.append(turn.t(N_("The photo is kept as evidence either way.")))
    turn.say("\n".join(lines), choices)
    return True
