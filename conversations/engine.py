"""The engine: one event and the user's session in, replies and the updated session out.

It is the only code that walks the flow (`flow.GROUPS`). It does no I/O: the clock, the user's
saved profile, their other cases and new case ids come in through `Context`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from conversations import reading, review
from conversations.cards import mask_card_numbers
from conversations.events import Choice, Incoming, Reply
from conversations.flow import GROUPS, GROUPS_BY_ID, MERCHANT_FIELDS, STEPS_BY_FIELD, Group, Step
from conversations.i18n import LANGUAGES, N_, language_from_code, translate
from conversations.kinds import Choice as ChoiceKind
from conversations.state import Session, new_case
from conversations.validators import Invalid, Valid, clean

SHANGHAI = ZoneInfo("Asia/Shanghai")

PROFILE_STEP = Step(
    "merchant.profile",
    N_("Use the merchant details you saved last time?"),
    ChoiceKind((("reuse", N_("Use them")), ("change", N_("Enter new details")))),
    N_("Saved details"),
    optional=True,
)

EVIDENCE_PACK = "evidence_pack"  # every letter, the evidence files and manifest in one ZIP; part of "all"
UNSUPPORTED_OTHER = N_("I can't use that kind of message here.")
UNSUPPORTED = {
    "sticker": N_("Stickers are nice, but I can't use them here."),
    "voice": N_("I can't listen to voice messages; please type the answer."),
    "location": N_("I can't use a location here; please type the place in words."),
}


@dataclass
class Context:
    now: datetime
    tz: ZoneInfo = SHANGHAI
    profile: dict | None = None  # the user's saved merchant details
    list_cases: Callable[[], list[dict]] = list  # summaries: id, status, scenario, created_at, amount
    load_case: Callable[[str], Session | None] = lambda case_id: None  # only the user's own cases
    new_case_id: Callable[[], str] = lambda: "CASE0001"
    retention_days: int = 365  # closed cases are deleted this long after their last change


@dataclass
class Outcome:
    session: Session
    replies: list[Reply]
    profile: dict | None = None  # merchant details to remember, set when a case is confirmed
    changed: bool = True  # the session must be saved
    switched_from: str | None = None  # a case left as it was when the user moved to another


@dataclass(frozen=True)
class Slot:
    step: Step
    item: int | None  # index in a repeating group

    @property
    def key(self) -> str:
        return slot_key(self.step, self.item)


def slot_key(step: Step, item: int | None) -> str:
    return step.field if item is None else f"{step.group}.{item}.{step.name}"


@dataclass
class _Turn:
    """Work in progress for one event: the session being changed and the replies so far."""

    session: Session
    event: Incoming
    ctx: Context
    replies: list[Reply] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # HTML lines put before the next question
    profile: dict | None = None
    switched_from: str | None = None

    @property
    def lang(self) -> str:
        return self.session.lang

    def t(self, message: str, **params: object) -> str:
        return translate(self.lang, message, **params)

    def say(self, text: str, choices: list[Choice] | None = None, **kw) -> None:
        body = "\n\n".join([*self.notes, text]) if self.notes else text
        self.notes = []
        self.replies.append(
            Reply(body, choices or [], case_id=self.session.case_id, lang=self.lang, **kw),
        )

    def note(self, text: str) -> None:
        self.notes.append(text)


# --- entry point ---------------------------------------------------------------------------------


def handle(session: Session, event: Incoming, ctx: Context) -> Outcome:
    """Apply one event. The input session is not modified; the outcome holds the new one."""
    turn = _Turn(session.clone(), event, ctx)
    if turn.session.lang not in LANGUAGES:
        turn.session.lang = language_from_code(event.language_code)
    event = turn.event = _mask_cards(turn, event)
    if not (event.kind == "choice" and event.choice.startswith("ocr:")):
        turn.session.conv.pop("ocr", None)  # anything else passes over a pending photo proposal
    if turn.session.pending and _pending_action(turn, event):
        pass
    elif event.kind == "command":
        _command(turn, event.command, event.args)
    elif event.kind == "choice":
        _choice(turn, event.choice)
    elif event.kind == "file":
        _file(turn)
    elif event.kind == "unsupported":
        turn.note(turn.t(UNSUPPORTED.get(event.unsupported, UNSUPPORTED_OTHER)))
        _prompt(turn)
    else:
        _text(turn, event.text)
    if not turn.replies:
        _prompt(turn)
    if turn.session.case is not None:
        turn.session.case["updated_at"] = ctx.now.isoformat(timespec="seconds")
    return Outcome(turn.session, turn.replies, profile=turn.profile, switched_from=turn.switched_from)


def group_chat_reply(event: Incoming) -> Reply:
    """In a group the assistant stores nothing and asks to continue in a private chat."""
    lang = language_from_code(event.language_code)
    text = translate(
        lang,
        N_(
            "Your dispute holds personal and card details, so I only work in a private chat. "
            "Please open a private chat with me and send /start. I have kept nothing from this group."
        ),
    )
    return Reply(text, lang=lang)


def _pending_action(turn: _Turn, event: Incoming) -> bool:
    """A `confirm` carries out the account action awaiting it; anything else calls it off."""
    action, turn.session.pending = turn.session.pending, None
    if action == "delete" and event.kind == "choice" and event.choice == "confirm":
        turn.session.case_id, turn.session.case, turn.session.conv = None, None, {}
        turn.session.consented = False
        turn.say(
            turn.t(
                N_(
                    "Done: your cases, files, saved merchant details and reminders are deleted. "
                    "Send /start if you ever need me again."
                )
            ),
            action="delete",
        )
        return True
    turn.note(turn.t(N_("Nothing was deleted.")))
    if event.kind == "choice" and event.choice == "cancel":
        _prompt(turn)
        return True
    return False


def _mask_cards(turn: _Turn, event: Incoming) -> Incoming:
    """A full card number is masked before anything else sees it, and the user is told."""
    masked, count = mask_card_numbers(event.text)
    caption, caption_count = (None, 0)
    if event.file and event.file.caption:
        caption, caption_count = mask_card_numbers(event.file.caption)
    if not count and not caption_count:
        return event
    turn.note(
        turn.t(N_("🔒 I saw a full card number and kept only its masked form (first 6 and last 4 digits)."))
    )
    changes: dict = {"text": masked}
    if event.kind == "command":
        changes["args"] = mask_card_numbers(event.args)[0]
    if caption_count:
        changes["file"] = dataclasses.replace(event.file, caption=caption)
    return dataclasses.replace(event, **changes)


# --- the walk ------------------------------------------------------------------------------------


def _answered(session: Session) -> list[str]:
    return session.conv.setdefault("answered", [])


def _group_applies(group: Group, case: dict) -> bool:
    return group.when is None or group.when(case, None)


def next_slot(session: Session) -> Slot | None:
    """The first question, in flow order, that applies and has no answer yet."""
    case = session.case or {}
    answered = set(_answered(session))
    for group in GROUPS:
        if not _group_applies(group, case):
            continue
        if (
            group.id == "merchant"
            and session.conv.get("profile_offer")
            and "merchant.profile" not in answered
        ):
            return Slot(PROFILE_STEP, None)
        if not group.repeat:
            for step in group.steps:
                if step.field not in answered and (step.when is None or step.when(case, None)):
                    return Slot(step, None)
            continue
        items = case.get(group.id) or []
        for i, item in enumerate(items):
            for step in group.steps:
                if f"{group.id}.{i}.{step.name}" not in answered and (
                    step.when is None or step.when(case, item)
                ):
                    return Slot(step, i)
        if f"{group.id}.done" not in answered and len(items) < group.max_items:
            return Slot(group.steps[0], len(items))
    return None


def _value(case: dict, step: Step, item: int | None) -> object:
    if step.group == "case":
        return case.get(step.name)
    if item is not None:
        items = case.get(step.group) or []
        return items[item].get(step.name) if item < len(items) else None
    return (case.get(step.group) or {}).get(step.name)


def _set_value(case: dict, step: Step, item: int | None, value: object) -> None:
    if step.group == "case":
        case[step.name] = value
    elif item is not None:
        items = case.setdefault(step.group, [])
        while len(items) <= item:
            items.append({})
        items[item][step.name] = value
    else:
        case.setdefault(step.group, {})[step.name] = value


def _mark(session: Session, key: str) -> None:
    answered = _answered(session)
    if key in answered:
        answered.remove(key)
    answered.append(key)


# --- asking --------------------------------------------------------------------------------------


def _prompt(turn: _Turn) -> None:
    """Say what comes next: the next question, the review, or what can be done now."""
    session = turn.session
    mode = session.conv.get("mode")
    if session.case is None or mode in (None, "idle"):
        turn.say(turn.t(N_("No case is open. Send /new to start one, or /cases to see yours.")))
        return
    if mode == "done":
        _outputs_menu(turn)
        return
    if mode == "edit_list":
        _edit_list(turn, session.conv["edit_list"])
        return
    slot = next_slot(session)
    limit = session.conv.get("add_until")
    # the items added from the review are in: back to the review
    if slot and limit and slot.item is not None and slot.item >= limit[1] and slot.step.group == limit[0]:
        _mark(session, f"{limit[0]}.done")
        session.conv.pop("add_until", None)
        slot = next_slot(session)
    if slot is None:
        session.conv.pop("add_until", None)
        session.conv["mode"] = "review"
        session.conv.pop("editing", None)
        _review(turn)
        return
    session.conv["mode"] = "form"
    _ask(turn, slot)


def _ask(turn: _Turn, slot: Slot) -> None:
    step, case = slot.step, turn.session.case or {}
    group = GROUPS_BY_ID.get(step.group)
    lines = []
    if group is not None and group.repeat:
        lines.append(f"<b>{turn.t(group.title)}</b> · {turn.t(group.item_title, n=slot.item + 1)}")
    elif group is not None:
        lines.append(f"<b>{turn.t(group.title)}</b>")
    lines.append(turn.t(step.ask))
    current = _value(case, step, slot.item)
    choices = [Choice(f"{step.field}={value}", turn.t(label)) for value, label in step.kind.options(case)]
    if step is PROFILE_STEP:
        lines.append(review.profile_summary(turn.ctx.profile or {}, turn.lang))
    if current is not None and step is not PROFILE_STEP and not step.kind.accepts_file:
        lines.append(turn.t(N_("Now: {value}"), value=review.show(step, current, turn.lang)))
        choices.append(Choice("keep", turn.t(N_("Keep it"))))
    if step.optional:
        choices.append(Choice("skip", turn.t(N_("Skip"))))
    if group is not None and group.repeat and step is group.steps[0] and slot.item >= group.min_items:
        choices.append(Choice("done", turn.t(N_("Done"))))
    if group is not None and group.repeat and step.kind.accepts_file:
        choices.append(Choice("done", turn.t(N_("Done"))))
    turn.session.conv["asked"] = slot.key
    turn.say("\n".join(lines), choices, asks=step.field, item=slot.item)


def _review(turn: _Turn) -> None:
    case = turn.session.case or {}
    text = review.summary(case, turn.lang)
    choices = [
        Choice(f"edit:{g.id}", turn.t(N_("Edit: {group}"), group=turn.t(g.title)))
        for g in GROUPS
        if _group_applies(g, case)
    ]
    choices.append(Choice("confirm", turn.t(N_("✅ Confirm and save"))))
    choices.append(Choice("cancel", turn.t(N_("Cancel case"))))
    intro = turn.t(N_("Please check everything. Press Confirm to save the case, or Edit to change a part."))
    turn.say(f"{intro}\n\n{text}", choices)


def _edit_list(turn: _Turn, group_id: str) -> None:
    group = GROUPS_BY_ID[group_id]
    items = (turn.session.case or {}).get(group_id) or []
    lines = [f"<b>{turn.t(group.title)}</b>"]
    choices: list[Choice] = []
    for i, item in enumerate(items):
        lines.append(f"{i + 1}. {review.item_line(group, item, turn.lang)}")
        choices.append(Choice(f"edit:{group_id}.{i + 1}", turn.t(N_("Change {n}"), n=i + 1)))
        choices.append(Choice(f"delete:{group_id}.{i + 1}", turn.t(N_("Remove {n}"), n=i + 1)))
    if not items:
        lines.append(turn.t(N_("(none yet)")))
    if len(items) < group.max_items:
        choices.append(Choice(f"add:{group_id}", turn.t(N_("Add one"))))
    choices.append(Choice("back", turn.t(N_("Back to the review"))))
    turn.say("\n".join(lines), choices)


def _outputs_menu(turn: _Turn, intro: str | None = None, explain: bool = True) -> None:
    from conversations.outputs import plan_outputs

    case = turn.session.case or {}
    plans = plan_outputs(review.export(case, turn.ctx.tz))
    lines = [
        intro or turn.t(N_("Case {case_id} is saved. Choose what to prepare:"), case_id=turn.session.case_id)
    ]
    choices = []
    not_offered = []
    for plan in plans:
        title = turn.t(review.OUTPUT_TITLES.get(plan.id, plan.id))
        if plan.applies:
            choices.append(Choice(f"output:{plan.id}", title))
        else:
            reason = translate(turn.lang, plan.reason, **plan.params) if plan.reason else ""
            not_offered.append(f"• {title}: {reason}")
    if choices:
        choices.append(Choice("output:all", turn.t(N_("All of them"))))
    if not_offered and explain:
        lines.append("\n" + turn.t(N_("Not offered for this case:")))
        lines.extend(not_offered)
    turn.say("\n".join(lines), choices)


# --- answers -------------------------------------------------------------------------------------


def _current_slot(turn: _Turn) -> Slot | None:
    if turn.session.case is None or turn.session.conv.get("mode") != "form":
        return None
    return next_slot(turn.session)


def _text(turn: _Turn, text: str) -> None:
    mode = turn.session.conv.get("mode")
    if turn.session.case is None or mode in (None, "idle"):
        _start_new(turn, greet=True)
        return
    slot = _current_slot(turn)
    if slot is None:
        if mode == "review":
            turn.note(turn.t(N_("Please use the buttons: Confirm to save, or Edit to change a part.")))
        elif mode == "done":
            turn.note(turn.t(N_("This case is saved. Choose an output below, or /new for another case.")))
        _prompt(turn)
        return
    _answer(turn, slot, text=text)


def _answer(turn: _Turn, slot: Slot, *, text: str | None = None, option: str | None = None) -> None:
    step, session = slot.step, turn.session
    case = session.case
    assert case is not None
    item = None if slot.item is None else ((case.get(step.group) or [])[slot.item :] or [None])[0]
    if option is not None:
        result = Valid(step.kind.from_option(option))
    else:
        if step.kind.accepts_file:
            turn.note("⚠️ " + turn.t(step.kind.hint))
            _prompt(turn)
            return
        result = step.kind.parse(text or "", turn.ctx, case, item)
    if isinstance(result, Invalid):
        turn.note("⚠️ " + turn.t(result.message, **result.params))
        _prompt(turn)
        return
    if result.notice:
        turn.note(turn.t(result.notice, masked=result.value))
    _store(turn, slot, result.value)
    _prompt(turn)


def _store(turn: _Turn, slot: Slot, value: object) -> None:
    session, step = turn.session, slot.step
    case = session.case
    assert case is not None
    if step is PROFILE_STEP:
        _mark(session, slot.key)
        if value == "reuse" and turn.ctx.profile:
            case["merchant"] = {k: v for k, v in turn.ctx.profile.items() if k in MERCHANT_FIELDS}
            for name in MERCHANT_FIELDS:
                if case["merchant"].get(name) is not None or STEPS_BY_FIELD[f"merchant.{name}"].optional:
                    _mark(session, f"merchant.{name}")
        return
    _set_value(case, step, slot.item, value)
    _mark(session, slot.key)
    if step.field == "case.scenario":
        turn.session.consented = True  # the privacy notice said that answering means agreeing
        case["language"] = turn.lang
        if value == "lost_terminal":
            turn.say(review.urgent_steps(turn.lang))
    if step.field == "case.language":
        turn.session.lang = str(value)


def _skip(turn: _Turn) -> None:
    slot = _current_slot(turn)
    if slot is None:
        turn.note(turn.t(N_("There is no question to skip right now.")))
    elif not slot.step.optional:
        turn.note(turn.t(N_("This one is needed for the letters, so it can't be skipped.")))
    else:
        if _value(turn.session.case or {}, slot.step, slot.item) is None:
            _set_value(turn.session.case, slot.step, slot.item, None)
        _mark(turn.session, slot.key)
    _prompt(turn)


def _keep(turn: _Turn) -> None:
    slot = _current_slot(turn)
    if slot is not None and _value(turn.session.case or {}, slot.step, slot.item) is not None:
        _mark(turn.session, slot.key)
    _prompt(turn)


def _done(turn: _Turn) -> None:
    slot = _current_slot(turn)
    group = GROUPS_BY_ID.get(slot.step.group) if slot else None
    if slot is None or group is None or not group.repeat:
        turn.note(turn.t(N_("There is no list to finish here.")))
        _prompt(turn)
        return
    items = turn.session.case.get(group.id) or []
    complete = [i for i in range(len(items)) if _item_complete(turn.session, group, i)]
    if len(complete) < group.min_items:
        turn.note(turn.t(N_("Please add at least one before pressing Done.")))
        _prompt(turn)
        return
    if len(complete) != len(items):  # drop a half-entered item (e.g. a kind chosen, no file sent)
        _drop_items(turn.session, group, [i for i in range(len(items)) if i not in complete])
    _mark(turn.session, f"{group.id}.done")
    _prompt(turn)


def _item_complete(session: Session, group: Group, index: int) -> bool:
    case = session.case or {}
    item = (case.get(group.id) or [])[index]
    answered = set(_answered(session))
    return all(
        f"{group.id}.{index}.{s.name}" in answered
        or s.optional
        or (s.when is not None and not s.when(case, item))
        for s in group.steps
    )


def _drop_items(session: Session, group: Group, indexes: list[int]) -> None:
    """Remove items from a repeating group and renumber the answered slots of those after them."""
    case = session.case or {}
    items = case.get(group.id) or []
    keep = [i for i in range(len(items)) if i not in set(indexes)]
    renumber = {old: new for new, old in enumerate(keep)}
    case[group.id] = [items[i] for i in keep]
    prefix = f"{group.id}."
    answered = []
    for key in _answered(session):
        if key.startswith(prefix) and key != f"{group.id}.done":
            _, index, name = key.split(".", 2)
            if int(index) not in renumber:
                continue
            key = f"{group.id}.{renumber[int(index)]}.{name}"
        answered.append(key)
    session.conv["answered"] = answered


def _back(turn: _Turn) -> None:
    session = turn.session
    mode = session.conv.get("mode")
    if mode == "edit_list":
        session.conv.pop("edit_list", None)
        session.conv["mode"] = "review"
        _prompt(turn)
        return
    if mode not in ("form", "review") or not _answered(session):
        turn.note(turn.t(N_("There is nothing to go back to.")))
        _prompt(turn)
        return
    _answered(session).pop()
    session.conv["mode"] = "form"
    _prompt(turn)


# --- files ---------------------------------------------------------------------------------------


def _file(turn: _Turn) -> None:
    event, session = turn.event, turn.session
    assert event.file is not None
    if session.case is None or session.conv.get("mode") in (None, "idle", "done"):
        turn.note(turn.t(N_("To keep a file as evidence, start a case first with /new.")))
        _prompt(turn)
        return
    case = session.case
    slot = _current_slot(turn)
    items = case.setdefault("evidence", [])
    index = len(items)
    item = {
        "kind": None,
        "file_name": event.file.name,
        "mime": event.file.mime,
        "sha256": event.file.sha256,
        "size": event.file.size,
        "received_at": turn.ctx.now.isoformat(timespec="seconds"),
        "caption": event.file.caption or None,
    }
    in_evidence = slot is not None and slot.step.group == "evidence"
    if (
        in_evidence
        and slot.step.field == "evidence.file"
        and slot.item is not None
        and slot.item < len(items)
    ):
        items[slot.item].update({k: v for k, v in item.items() if k != "kind"})
        index = slot.item
    else:
        items.append(item)
        if in_evidence and slot.step.field == "evidence.caption" and slot.item is not None:
            # an album: the next file arrived before the caption; it has the same kind, and the
            # caption question moves on to the newest file
            item["kind"] = items[slot.item].get("kind")
            _mark(session, f"evidence.{index}.kind")
            _mark(session, f"evidence.{slot.item}.caption")
    _mark(session, f"evidence.{index}.file")
    if event.file.notice:
        turn.note("ℹ️ " + turn.t(event.file.notice))
    if event.file.caption:
        _mark(session, f"evidence.{index}.caption")
    if event.reading is not None and reading.propose(turn, slot, event.reading, index):
        # the proposal is its own message; the question stands below it, so typing an answer or
        # pressing its buttons simply passes the proposal over
        _prompt(turn)
        return
    if not in_evidence:
        turn.note(
            turn.t(
                N_("📎 Saved “{name}” as evidence; I will ask what it shows when we get to the evidence."),
                name=review.esc(event.file.name),
            )
        )
    _prompt(turn)


# --- buttons and commands ------------------------------------------------------------------------


def _choice(turn: _Turn, choice: str) -> None:
    session = turn.session
    if choice in ("skip", "done", "back", "cancel", "confirm", "keep"):
        {
            "skip": _skip,
            "done": _done,
            "back": _back,
            "cancel": _cancel,
            "confirm": _confirm,
            "keep": _keep,
        }[choice](turn)
        return
    head, _, rest = choice.partition(":")
    if head == "ocr" and rest:
        reading.answer(turn, rest)
        return
    if head in ("edit", "delete", "add") and rest:
        _edit(turn, head, rest)
        return
    if head == "output" and rest:
        _output(turn, rest)
        return
    if head == "case" and rest:
        _open_case(turn, rest)
        return
    field_id, _, value = choice.partition("=")
    if field_id == "case.language" and value in LANGUAGES:
        _set_language(turn, value)
        return
    if field_id == "new" or choice == "new":
        _start_new(turn)
        return
    slot = _current_slot(turn)
    if slot is None or slot.step.field != field_id:
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        _prompt(turn)
        return
    if value not in {v for v, _ in slot.step.kind.options(session.case or {})}:
        turn.note(turn.t(N_("Please press one of the buttons below (or type its name).")))
        _prompt(turn)
        return
    _answer(turn, slot, option=value)


def _edit(turn: _Turn, action: str, target: str) -> None:
    session = turn.session
    group_id, _, number = target.partition(".")
    group = GROUPS_BY_ID.get(group_id)
    if session.case is None or group is None or session.conv.get("mode") not in ("review", "edit_list"):
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        _prompt(turn)
        return
    items = session.case.get(group_id) or []
    index = int(number) - 1 if number.isdigit() else None
    if group.repeat and action == "edit" and index is None:
        session.conv.update(mode="edit_list", edit_list=group_id)
    elif group.repeat and index is not None and 0 <= index < len(items) and action in ("edit", "delete"):
        if action == "delete":
            _drop_items(session, group, [index])
            if len(session.case[group_id]) < group.min_items:
                _unmark(session, f"{group_id}.done")
                session.conv.update(mode="form", editing=group_id, add_until=[group_id, group.min_items])
        else:
            for step in group.steps:
                _unmark(session, f"{group_id}.{index}.{step.name}")
            session.conv.update(mode="form", editing=group_id)
    elif group.repeat and action == "add":
        _unmark(session, f"{group_id}.done")
        session.conv.update(mode="form", editing=group_id, add_until=[group_id, len(items) + 1])
    elif not group.repeat and action == "edit":
        for step in group.steps:
            _unmark(session, step.field)
        if group_id == "merchant":
            _unmark(session, "merchant.profile")
            session.conv.pop("profile_offer", None)
        session.conv.update(mode="form", editing=group_id)
    else:
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
    _prompt(turn)


def _unmark(session: Session, key: str) -> None:
    answered = _answered(session)
    if key in answered:
        answered.remove(key)


def _confirm(turn: _Turn) -> None:
    session = turn.session
    if session.case is None or session.conv.get("mode") != "review":
        turn.note(turn.t(N_("There is nothing to confirm right now.")))
        _prompt(turn)
        return
    session.case["status"] = "confirmed"
    session.case.setdefault("events", []).append(
        {"at": turn.ctx.now.isoformat(timespec="seconds"), "event": "case_confirmed"}
    )
    session.conv["mode"] = "done"
    merchant = {k: v for k, v in (session.case.get("merchant") or {}).items() if v is not None}
    turn.profile = merchant or None
    _outputs_menu(turn)


def _output(turn: _Turn, output_id: str) -> None:
    from conversations.outputs import plan_outputs

    session = turn.session
    if session.case is None or session.conv.get("mode") != "done":
        turn.note(turn.t(N_("Confirm the case first; then I can prepare the letters.")))
        _prompt(turn)
        return
    applicable = [p.id for p in plan_outputs(review.export(session.case, turn.ctx.tz)) if p.applies]
    wanted = (
        [*applicable, EVIDENCE_PACK] if output_id == "all" else [output_id] if output_id in applicable else []
    )
    if not wanted:
        turn.note(turn.t(N_("That document is not offered for this case.")))
        _prompt(turn)
        return
    turn.say(turn.t(N_("Preparing {count} document(s)…"), count=len(wanted)), outputs=wanted)
    if output_id == "all":
        turn.say(
            turn.t(
                N_(
                    "That is everything for case {case_id}. /case {case_id} brings it back; /new starts another."
                ),
                case_id=session.case_id,
            )
        )
    else:  # the buttons again, for the next document
        intro = turn.t(N_("Anything else for case {case_id}?"), case_id=session.case_id)
        _outputs_menu(turn, intro, explain=False)


def _cancel(turn: _Turn) -> None:
    session = turn.session
    if session.case is None or session.conv.get("mode") in (None, "idle"):
        turn.say(turn.t(N_("There is no case to cancel. /new starts one.")))
        return
    if session.case.get("status") == "confirmed":
        session.conv["mode"] = "idle"
        turn.say(
            turn.t(N_("Closed case {case_id}; it stays saved. /new starts another."), case_id=session.case_id)
        )
        return
    session.case["status"] = "cancelled"
    session.case.setdefault("events", []).append(
        {"at": turn.ctx.now.isoformat(timespec="seconds"), "event": "case_cancelled"}
    )
    session.conv["mode"] = "idle"
    turn.say(
        turn.t(
            N_(
                "Case {case_id} cancelled. Nothing was sent anywhere. /case {case_id} reopens it; /new starts another."
            ),
            case_id=session.case_id,
        )
    )


def _start_new(turn: _Turn, greet: bool = False) -> None:
    session, ctx = turn.session, turn.ctx
    previous = session.case if session.case is not None else None
    if (
        previous is not None
        and previous.get("status") == "draft"
        and session.conv.get("mode") not in (None, "idle")
    ):
        turn.note(
            turn.t(
                N_("Case {case_id} is kept as a draft; /case {case_id} returns to it."),
                case_id=session.case_id,
            )
        )
        turn.switched_from = session.case_id
    elif previous is not None:
        turn.switched_from = session.case_id
    if greet:
        name = review.esc((turn.event.first_name or "").strip())
        if name:
            turn.note(
                turn.t(N_("Hello {name}! I help you handle a disputed card payment step by step."), name=name)
            )
        else:
            turn.note(turn.t(N_("Hello! I help you handle a disputed card payment step by step.")))
        if not session.consented:
            turn.note(review.privacy_notice(turn.lang, ctx.retention_days))
    case_id = ctx.new_case_id()
    session.case_id = case_id
    session.case = new_case(case_id, ctx.now, session.lang)
    session.conv = {"mode": "form", "answered": []}
    if ctx.profile:
        session.conv["profile_offer"] = True
    _prompt(turn)


def _open_case(turn: _Turn, case_id: str) -> None:
    case_id = clean(case_id).upper()
    if case_id == turn.session.case_id and turn.session.case is not None:
        loaded = turn.session
    else:
        loaded = turn.ctx.load_case(case_id)
    if loaded is None or loaded.case is None:
        turn.say(
            turn.t(N_("I have no case {case_id} of yours. /cases lists them."), case_id=review.esc(case_id))
        )
        return
    if loaded is not turn.session:
        turn.switched_from = turn.session.case_id
        turn.session.case_id, turn.session.case, turn.session.conv = loaded.case_id, loaded.case, loaded.conv
    case = turn.session.case
    if case.get("status") == "cancelled":
        case["status"] = "draft"
        turn.note(turn.t(N_("Case {case_id} reopened."), case_id=turn.session.case_id))
    if case.get("status") == "confirmed":
        turn.session.conv["mode"] = "done"
        turn.note(review.summary(case, turn.lang))
    elif turn.session.conv.get("mode") in (None, "idle", "done"):
        turn.session.conv["mode"] = "form"
    _prompt(turn)


def _set_language(turn: _Turn, lang: str) -> None:
    turn.session.lang = lang
    if turn.session.case is not None and turn.session.case.get("status") == "draft":
        turn.session.case["language"] = lang
    turn.note(turn.t(N_("Language set to English.")))
    _prompt(turn)


def _command(turn: _Turn, command: str, args: str) -> None:
    session = turn.session
    if command == "start":
        if session.case is not None and session.conv.get("mode") in ("form", "review", "edit_list"):
            turn.note(
                turn.t(N_("Welcome back. We are in the middle of case {case_id}:"), case_id=session.case_id)
            )
            _prompt(turn)
        else:
            _start_new(turn, greet=True)
    elif command == "new":
        _start_new(turn)
    elif command in ("skip", "done", "back", "cancel"):
        _choice(turn, command)
    elif command == "cases":
        _list_cases(turn)
    elif command == "case":
        if args:
            _open_case(turn, args.split()[0])
        else:
            _list_cases(turn)
    elif command == "help":
        _help(turn)
    elif command == "privacy":
        turn.note(review.privacy_notice(turn.lang, turn.ctx.retention_days))
        _prompt(turn)
    elif command == "export":
        turn.say(turn.t(N_("Here is everything I keep about you, as a ZIP file.")), action="export")
    elif command == "delete":
        _ask_delete(turn)
    elif command in ("lang", "language"):
        wanted = language_from_code(args) if args else None
        if wanted:
            _set_language(turn, wanted)
        else:
            turn.say(
                turn.t(N_("Choose your language:")),
                [Choice("case.language=zh", "中文"), Choice("case.language=en", "English")],
            )
    else:
        turn.note(turn.t(N_("I don't know the command /{command}."), command=review.esc(command)))
        _help(turn)


def _ask_delete(turn: _Turn) -> None:
    turn.session.pending = "delete"
    count = len(turn.ctx.list_cases())
    turn.say(
        turn.t(
            N_(
                "This deletes everything I keep about you: {count} case(s) with their answers and "
                "documents, every file you sent, your saved merchant details and your reminders. It "
                "cannot be undone. Send /export first if you want a copy."
            ),
            count=count,
        ),
        [Choice("confirm", turn.t(N_("Delete everything"))), Choice("cancel", turn.t(N_("Keep my data")))],
    )


def _list_cases(turn: _Turn) -> None:
    cases = turn.ctx.list_cases()
    if not cases:
        turn.say(turn.t(N_("You have no cases yet. /new starts one.")))
        return
    lines = [turn.t(N_("Your cases (newest first):"))]
    choices = []
    for summary in cases[:10]:
        lines.append(review.case_line(summary, turn.lang))
        choices.append(Choice(f"case:{summary['id']}", summary["id"]))
    turn.say("\n".join(lines), choices)


def _help(turn: _Turn) -> None:
    slot = _current_slot(turn)
    parts = []
    if slot is not None and slot.step.help:
        parts.append(turn.t(slot.step.help))
    parts.append(review.commands_help(turn.lang))
    turn.note("\n\n".join(parts))
    _prompt(turn)
