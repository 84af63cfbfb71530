"""The case as one page (the Telegram Mini App): read every group and field for display, set one field.

A handler beside `answers`: it walks the same flow (`flow.GROUPS` with their conditions, as the
review shows them), reads answers through the same kinds (`kind.parse`, the chat's validators and
messages) and stores them through the same `answers.store`, so the page and the chat can never
disagree on what a value means or whether it is accepted. Plain data in and out, no I/O: the
runtime serves it as JSON and sends the chat the screen `save` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from conversations import review
from conversations.answers import store
from conversations.cards import mask_card_numbers
from conversations.events import Incoming, Reply
from conversations.flow import GROUPS, STEPS_BY_FIELD, Group, Step
from conversations.form import group_applies, mark, set_value, value_of
from conversations.i18n import N_, translate
from conversations.kinds import Choice, Date, DateTime, File, Text, YesNo
from conversations.outputs import plan_outputs
from conversations.screens import prompt
from conversations.state import Session
from conversations.turn import Context, Slot, Turn, slot_key
from conversations.validators import Invalid

EDITABLE_MODES = ("form", "review", "edit_list", "done")
NEEDED = N_("This one is needed for the letters, so it can't be skipped.")
NOT_HERE = N_("That field is not part of this case.")
FILE_IN_CHAT = N_("Files are sent in the chat; here you can change what a file shows.")
PICK_ONE = N_("Please choose one of the options.")
CARD_MASKED = N_("🔒 I saw a full card number and kept only its masked form (first 6 and last 4 digits).")

# The words of the page itself, translated with everything else (locales/*/messages.po).
PAGE_WORDS = {
    "save": N_("Save"),
    "saving": N_("Saving…"),
    "saved": N_("Saved. The chat shows the new review."),
    "fix": N_("Please correct the fields marked in red; nothing was saved."),
    "unsaved": N_("{count} unsaved change(s)"),
    "empty": N_("(empty)"),
    "evidence": N_("Evidence"),
    "documents": N_("Documents"),
    "not_offered": N_("Not offered for this case"),
    "preview": N_("Preview"),
    "hide": N_("Hide"),
    "readonly": N_(
        "This case is not the one open in the chat, so it is shown read-only. /case {case_id} opens it."
    ),
    "closed": N_("This case is closed; /case {case_id} in the chat reopens it."),
    "failed": N_("The connection failed; your changes are still here. Please try again."),
    "expired": N_("This page has expired. Please open it again from the chat."),
    "draft_note": N_("Every document is a draft for you to check; it is not legal advice."),
}


@dataclass(frozen=True)
class FieldView:
    key: str  # slot key: "merchant.name", "txn.0.amount"
    field: str  # "txn.amount"
    label: str
    input: str  # "text" | "long" | "date" | "datetime" | "choice" | "suggest" | "yesno" | "file"
    value: object
    shown: str  # as the chat's review shows it, plain text
    text: str  # what to put in the input to edit it (the parser reads it back to the same value)
    options: list[tuple[str, str]]  # (value, label) for choice, suggest and yesno
    optional: bool
    editable: bool

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "field": self.field,
            "label": self.label,
            "input": self.input,
            "shown": self.shown,
            "text": self.text,
            "options": [list(option) for option in self.options],
            "optional": self.optional,
            "editable": self.editable,
        }


@dataclass
class Saved:
    """The outcome of `save`: the new session (None when refused), refusals by slot key, the chat's screen."""

    session: Session | None
    errors: dict[str, str] = field(default_factory=dict)
    notices: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    profile: dict | None = None


def _input_of(step: Step) -> str:
    kind = step.kind
    if isinstance(kind, File):
        return "file"
    if isinstance(kind, YesNo):
        return "yesno"
    if isinstance(kind, Choice):
        return "suggest" if kind.free_text else "choice"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Text) and kind.max_len > 300:
        return "long"
    return "text"


def _edit_text(step: Step, value: object, ctx: Context) -> str:
    """The value as typed text that `kind.parse` reads back to the same value."""
    if value is None:
        return ""
    if isinstance(step.kind, YesNo):
        return "yes" if value else "no"
    if isinstance(step.kind, DateTime) and isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value).astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _field(step: Step, case: dict, item: int | None, lang: str, ctx: Context) -> FieldView:
    value = value_of(case, step, item)
    input_kind = _input_of(step)
    options = [(v, translate(lang, label)) for v, label in step.kind.options(case)]
    shown = "" if value is None else step.kind.show(value, lang)
    return FieldView(
        key=slot_key(step, item),
        field=step.field,
        label=translate(lang, step.label),
        input=input_kind,
        value=value,
        shown=shown,
        text=_edit_text(step, value, ctx),
        options=options,
        optional=step.optional,
        editable=input_kind != "file",
    )


def _applies(step: Step, case: dict, item: dict | None) -> bool:
    return step.when is None or step.when(case, item)


def _group(group: Group, case: dict, lang: str, ctx: Context) -> dict:
    out: dict = {"id": group.id, "title": translate(lang, group.title), "repeat": group.repeat}
    if not group.repeat:
        out["fields"] = [
            _field(s, case, None, lang, ctx).as_dict() for s in group.steps if _applies(s, case, None)
        ]
        return out
    out["items"] = []
    for i, item in enumerate(case.get(group.id) or []):
        entry: dict = {
            "title": translate(lang, group.item_title, n=i + 1),
            "fields": [
                _field(s, case, i, lang, ctx).as_dict()
                for s in group.steps
                if s.field != "evidence.file" and _applies(s, case, item)
            ],
        }
        if group.id == "evidence":
            entry["file"] = {k: item.get(k) for k in ("sha256", "file_name", "mime", "size")}
        out["items"].append(entry)
    return out


def read(session: Session, ctx: Context) -> dict:
    """The case for the page: its groups and fields as the review shows them, and the documents plan."""
    case = session.case or {}
    lang = session.lang
    mode = session.conv.get("mode")
    plans = plan_outputs(review.export(case, ctx.tz))
    return {
        "case_id": session.case_id,
        "status": case.get("status"),
        "lang": lang,
        "editable": session.case is not None and mode in EDITABLE_MODES and case.get("status") != "cancelled",
        "groups": [_group(g, case, lang, ctx) for g in GROUPS if group_applies(g, case)],
        "outputs": [
            {
                "id": plan.id,
                "title": translate(lang, review.OUTPUT_TITLES.get(plan.id, plan.id)),
                "applies": plan.applies,
                "reason": translate(lang, plan.reason, **plan.params) if plan.reason else "",
            }
            for plan in plans
        ],
        # placeholders ({case_id}, {count}) are filled in by the page
        "words": {name: translate(lang, message) for name, message in PAGE_WORDS.items()},
    }


def slot_of(case: dict, key: str) -> Slot | None:
    """The slot a page key names, when that field applies to the case as it stands."""
    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        step, index = STEPS_BY_FIELD.get(f"{parts[0]}.{parts[2]}"), int(parts[1])
        items = case.get(parts[0]) or []
        if step is None or index >= len(items) or not _applies(step, case, items[index]):
            return None
        return Slot(step, index)
    step = STEPS_BY_FIELD.get(key)
    if step is None or len(parts) != 2:
        return None
    group = next(g for g in GROUPS if g.id == step.group)
    if group.repeat or not group_applies(group, case) or not _applies(step, case, None):
        return None
    return Slot(step, None)


def _set(turn: Turn, key: str, value: str | None) -> tuple[str | None, str | None]:
    """Set one field from the page's text (or option value): (refusal, notice), both localized."""
    case = turn.session.case or {}
    slot = slot_of(case, key)
    if slot is None:
        return turn.t(NOT_HERE), None
    step = slot.step
    if step.kind.accepts_file:
        return turn.t(FILE_IN_CHAT), None
    text = (value or "").strip()
    notice = None
    if not text:
        if not step.optional:
            return turn.t(NEEDED), None
        set_value(case, step, slot.item, None)
        mark(turn.session, slot.key)
        return None, None
    if step.kind.options(case) and not step.kind.free_text:
        if text not in {v for v, _ in step.kind.options(case)}:
            return turn.t(PICK_ONE), None
        result_value = step.kind.from_option(text)
    else:
        masked, count = mask_card_numbers(text)
        if count:
            notice = turn.t(CARD_MASKED)
        item = None if slot.item is None else (case.get(step.group) or [])[slot.item]
        result = step.kind.parse(masked, turn.ctx, case, item)
        if isinstance(result, Invalid):
            return turn.t(result.message, **result.params), None
        if result.notice:
            notice = turn.t(result.notice, masked=result.value)
        result_value = result.value
    if value_of(case, step, slot.item) == result_value:
        mark(turn.session, slot.key)
        return None, notice
    store(turn, slot, result_value)
    return None, notice


def check(session: Session, key: str, value: str | None, ctx: Context) -> dict:
    """One field checked as the chat would read it, nothing kept: {"ok", "error" | "shown", "notice"}."""
    turn = Turn(session.clone(), Incoming(kind="text", user_id=0, now=ctx.now), ctx)
    error, notice = _set(turn, key, value)
    if error:
        return {"ok": False, "error": error}
    case = turn.session.case or {}
    slot = slot_of(case, key)
    shown = ""
    if slot is not None:
        stored = value_of(case, slot.step, slot.item)
        shown = "" if stored is None else slot.step.kind.show(stored, turn.lang)
    return {"ok": True, "shown": shown, "notice": notice}


def save(session: Session, changes: list[tuple[str, str | None]], ctx: Context) -> Saved:
    """Apply the page's changes in order, all or none; on success the chat's next screen comes back too.

    Each is read as the chat reads a typed answer, so a refusal carries the chat's own message. A
    change that makes a new question apply (say, the scenario) leaves it unanswered, and the chat asks it.
    """
    if session.case is None or session.conv.get("mode") not in EDITABLE_MODES:
        return Saved(None, {"": translate(session.lang, NOT_HERE)})
    turn = Turn(session.clone(), Incoming(kind="text", user_id=0, now=ctx.now), ctx)
    errors: dict[str, str] = {}
    notices: dict[str, str] = {}
    for key, value in changes:
        error, notice = _set(turn, key, value)
        if error:
            errors[key] = error
        elif notice:
            notices[key] = notice
    if errors:
        return Saved(None, errors)
    case = turn.session.case
    assert case is not None
    case["updated_at"] = ctx.now.isoformat(timespec="seconds")
    if turn.session.conv.get("mode") == "done":
        turn.note(review.summary(case, turn.lang))
    elif turn.session.conv.get("mode") == "edit_list":
        turn.session.conv.pop("edit_list", None)
        turn.session.conv["mode"] = "review"
    turn.note(turn.t(N_("✏️ Changed on the case page.")))
    prompt(turn)
    return Saved(turn.session, notices=notices, replies=turn.replies, profile=turn.profile)
