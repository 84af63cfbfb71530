"""Answers to the form: typed text, buttons, files, and the review's edit, confirm and output buttons."""

from __future__ import annotations

from conversations import reading, review
from conversations.commands import start_new
from conversations.events import Choice
from conversations.flow import GROUPS_BY_ID, MERCHANT_FIELDS, STEPS_BY_FIELD
from conversations.form import (
    PROFILE_STEP,
    answered_slots,
    current_slot,
    drop_items,
    item_complete,
    mark,
    set_value,
    unmark,
    value_of,
)
from conversations.i18n import N_
from conversations.screens import outputs_menu, prompt
from conversations.turn import Slot, Turn
from conversations.validators import Ask, Invalid, Valid
from conversations.words import dont_know

EVIDENCE_PACK = "evidence_pack"  # every letter, the evidence files and manifest in one ZIP; part of "all"


def typed(turn: Turn, text: str) -> None:
    mode = turn.session.conv.get("mode")
    if turn.session.case is None or mode in (None, "idle"):
        start_new(turn, greet=True)
        return
    slot = current_slot(turn)
    if slot is None:
        if mode == "review":
            turn.note(turn.t(N_("Please use the buttons: Confirm to save, or Edit to change a part.")))
        elif mode == "done":
            turn.note(turn.t(N_("This case is saved. Choose an output below, or /new for another case.")))
        prompt(turn)
        return
    answer(turn, slot, text=text)


def answer(turn: Turn, slot: Slot, *, text: str | None = None, option: str | None = None) -> None:
    step, session = slot.step, turn.session
    case = session.case
    assert case is not None
    item = None if slot.item is None else ((case.get(step.group) or [])[slot.item :] or [None])[0]
    session.conv.pop("pick", None)
    if option is not None:
        result = Valid(step.kind.from_option(option))
    else:
        if step.kind.accepts_file:
            turn.note("⚠️ " + turn.t(step.kind.hint))
            prompt(turn)
            return
        if dont_know(text or "") and not step.kind.matches(text or ""):
            unknown(turn, slot)
            return
        result = step.kind.parse(text or "", turn.ctx, case, item)
    if isinstance(result, Ask):
        ask_which(turn, slot, result.values)
        return
    if isinstance(result, Invalid):
        turn.note("⚠️ " + turn.t(result.message, **result.params))
        prompt(turn)
        return
    if result.notice:
        turn.note(turn.t(result.notice, masked=result.value))
    store(turn, slot, result.value)
    prompt(turn)


def unknown(turn: Turn, slot: Slot) -> None:
    """ "Don't know": an optional field is left empty (and the merchant is told); a required one gets help."""
    step, case = slot.step, turn.session.case
    if step.optional:
        if value_of(case or {}, step, slot.item) is None:
            set_value(case, step, slot.item, None)
        mark(turn.session, slot.key)
        turn.note(
            "ℹ️ "
            + turn.t(
                N_("Left empty: {field}. You can add it later from the review."), field=turn.t(step.label)
            )
        )
    else:
        hint = (
            turn.t(step.help)
            if step.help
            else turn.t(N_("An estimate is fine; you can correct it at the review."))
        )
        turn.note(
            "⚠️ " + turn.t(N_("I need this one for the letters, so it can't be left empty.")) + " " + hint
        )
    prompt(turn)


def ask_which(turn: Turn, slot: Slot, values: tuple[str, ...]) -> None:
    """The answer reads more than one way: a button for each reading, never a silent guess."""
    step = slot.step
    turn.session.conv["pick"] = {"slot": slot.key, "values": list(values)}
    choices = [Choice(f"{step.field}={v}", step.kind.show(v, turn.lang)) for v in values]
    turn.say(
        turn.t(
            N_("That can be read in more than one way. Which one do you mean? (Or type it again in full.)")
        ),
        choices,
        asks=step.field,
        item=slot.item,
    )


def picked(turn: Turn, slot: Slot, value: str) -> bool:
    """Is `value` one of the readings just offered for this question?"""
    pick = turn.session.conv.get("pick") or {}
    return pick.get("slot") == slot.key and value in (pick.get("values") or [])


def store(turn: Turn, slot: Slot, value: object) -> None:
    session, step = turn.session, slot.step
    case = session.case
    assert case is not None
    if step is PROFILE_STEP:
        mark(session, slot.key)
        if value == "reuse" and turn.ctx.profile:
            case["merchant"] = {k: v for k, v in turn.ctx.profile.items() if k in MERCHANT_FIELDS}
            for name in MERCHANT_FIELDS:
                if case["merchant"].get(name) is not None or STEPS_BY_FIELD[f"merchant.{name}"].optional:
                    mark(session, f"merchant.{name}")
        return
    set_value(case, step, slot.item, value)
    mark(session, slot.key)
    if step.field == "case.scenario":
        turn.session.consented = True  # the privacy notice said that answering means agreeing
        case["language"] = turn.lang
        if value == "lost_terminal":
            turn.say(review.urgent_steps(turn.lang))
    if step.field == "case.language":
        turn.session.lang = str(value)


def skip(turn: Turn) -> None:
    slot = current_slot(turn)
    if slot is None:
        turn.note(turn.t(N_("There is no question to skip right now.")))
    elif not slot.step.optional:
        turn.note(turn.t(N_("This one is needed for the letters, so it can't be skipped.")))
    else:
        if value_of(turn.session.case or {}, slot.step, slot.item) is None:
            set_value(turn.session.case, slot.step, slot.item, None)
        mark(turn.session, slot.key)
    prompt(turn)


def keep(turn: Turn) -> None:
    slot = current_slot(turn)
    if slot is not None and value_of(turn.session.case or {}, slot.step, slot.item) is not None:
        mark(turn.session, slot.key)
    prompt(turn)


def done(turn: Turn) -> None:
    slot = current_slot(turn)
    group = GROUPS_BY_ID.get(slot.step.group) if slot else None
    if slot is None or group is None or not group.repeat:
        turn.note(turn.t(N_("There is no list to finish here.")))
        prompt(turn)
        return
    items = turn.session.case.get(group.id) or []
    complete = [i for i in range(len(items)) if item_complete(turn.session, group, i)]
    if len(complete) < group.min_items:
        turn.note(turn.t(N_("Please add at least one before pressing Done.")))
        prompt(turn)
        return
    if len(complete) != len(items):  # drop a half-entered item (e.g. a kind chosen, no file sent)
        drop_items(turn.session, group, [i for i in range(len(items)) if i not in complete])
    mark(turn.session, f"{group.id}.done")
    prompt(turn)


def back(turn: Turn) -> None:
    session = turn.session
    mode = session.conv.get("mode")
    if mode == "edit_list":
        session.conv.pop("edit_list", None)
        session.conv["mode"] = "review"
        prompt(turn)
        return
    if mode not in ("form", "review") or not answered_slots(session):
        turn.note(turn.t(N_("There is nothing to go back to.")))
        prompt(turn)
        return
    answered_slots(session).pop()
    session.conv["mode"] = "form"
    prompt(turn)


def file_received(turn: Turn) -> None:
    event, session = turn.event, turn.session
    assert event.file is not None
    if session.case is None or session.conv.get("mode") in (None, "idle", "done"):
        turn.note(turn.t(N_("To keep a file as evidence, start a case first with /new.")))
        prompt(turn)
        return
    case = session.case
    slot = current_slot(turn)
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
            mark(session, f"evidence.{index}.kind")
            mark(session, f"evidence.{slot.item}.caption")
    mark(session, f"evidence.{index}.file")
    if event.file.notice:
        turn.note("ℹ️ " + turn.t(event.file.notice))
    if event.file.caption:
        mark(session, f"evidence.{index}.caption")
    if event.reading is not None and reading.propose(turn, slot, event.reading, index):
        # the proposal is its own message; the question stands below it, so typing an answer or
        # pressing its buttons simply passes the proposal over
        prompt(turn)
        return
    if not in_evidence:
        turn.note(
            turn.t(
                N_("📎 Saved “{name}” as evidence; I will ask what it shows when we get to the evidence."),
                name=review.esc(event.file.name),
            )
        )
    prompt(turn)


def edit(turn: Turn, action: str, target: str) -> None:
    session = turn.session
    group_id, _, number = target.partition(".")
    group = GROUPS_BY_ID.get(group_id)
    if session.case is None or group is None or session.conv.get("mode") not in ("review", "edit_list"):
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        prompt(turn)
        return
    items = session.case.get(group_id) or []
    index = int(number) - 1 if number.isdigit() else None
    if group.repeat and action == "edit" and index is None:
        session.conv.update(mode="edit_list", edit_list=group_id)
    elif group.repeat and index is not None and 0 <= index < len(items) and action in ("edit", "delete"):
        if action == "delete":
            drop_items(session, group, [index])
            if len(session.case[group_id]) < group.min_items:
                unmark(session, f"{group_id}.done")
                session.conv.update(mode="form", editing=group_id, add_until=[group_id, group.min_items])
        else:
            for step in group.steps:
                unmark(session, f"{group_id}.{index}.{step.name}")
            session.conv.update(mode="form", editing=group_id)
    elif group.repeat and action == "add":
        unmark(session, f"{group_id}.done")
        session.conv.update(mode="form", editing=group_id, add_until=[group_id, len(items) + 1])
    elif not group.repeat and action == "edit":
        for step in group.steps:
            unmark(session, step.field)
        if group_id == "merchant":
            unmark(session, "merchant.profile")
            session.conv.pop("profile_offer", None)
        session.conv.update(mode="form", editing=group_id)
    else:
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
    prompt(turn)


def confirm(turn: Turn) -> None:
    session = turn.session
    if session.case is None or session.conv.get("mode") != "review":
        turn.note(turn.t(N_("There is nothing to confirm right now.")))
        prompt(turn)
        return
    session.case["status"] = "confirmed"
    session.case.setdefault("events", []).append(
        {"at": turn.ctx.now.isoformat(timespec="seconds"), "event": "case_confirmed"}
    )
    session.conv["mode"] = "done"
    merchant = {k: v for k, v in (session.case.get("merchant") or {}).items() if v is not None}
    turn.profile = merchant or None
    outputs_menu(turn)


def output(turn: Turn, output_id: str) -> None:
    from conversations.outputs import plan_outputs

    session = turn.session
    if session.case is None or session.conv.get("mode") != "done":
        turn.note(turn.t(N_("Confirm the case first; then I can prepare the letters.")))
        prompt(turn)
        return
    applicable = [p.id for p in plan_outputs(review.export(session.case, turn.ctx.tz)) if p.applies]
    wanted = (
        [*applicable, EVIDENCE_PACK] if output_id == "all" else [output_id] if output_id in applicable else []
    )
    if not wanted:
        turn.note(turn.t(N_("That document is not offered for this case.")))
        prompt(turn)
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
        outputs_menu(turn, intro, explain=False)


def cancel(turn: Turn) -> None:
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
