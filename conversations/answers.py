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
    item_started,
    mark,
    set_value,
    step_applies,
    together,
    unmark,
    value_of,
)
from conversations.i18n import N_
from conversations.kinds import Text
from conversations.screens import editable_steps, outputs_menu, prompt
from conversations.turn import Slot, Turn
from conversations.validators import Ask, Invalid, Valid
from conversations.words import control, dont_know

EMPTY_LINES = {"", "-", "—", "－", "/skip"}  # a line left empty on purpose in an answer of several lines

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
    members = together(turn.session, slot)
    if len(members) > 1 and not slot.step.kind.accepts_file:
        answer_together(turn, members, text)
        return
    answer(turn, slot, text=text)


def _item_of(case: dict, slot: Slot) -> dict | None:
    if slot.item is None:
        return None
    return ((case.get(slot.step.group) or [])[slot.item :] or [None])[0]


def answer_together(turn: Turn, members: list[Slot], text: str) -> None:
    """One message answering several questions, a line each in the order asked (flow.Together).

    One line answers the first question only, so a person answering one thing at a time is never
    taken to have skipped the rest. What is valid is kept; what is not is asked again with its reason.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while len(lines) > 1 and lines[-1] == "" and len(lines) > len(members):
        lines.pop()
    if len(lines) > len(members):
        last = members[-1].step
        if not isinstance(last.kind, Text):
            turn.note(
                "⚠️ "
                + turn.t(
                    N_(
                        "I asked for {count} things, one per line, but got {lines} lines. Please send them again."
                    ),
                    count=len(members),
                    lines=len(lines),
                )
            )
            prompt(turn)
            return
        lines = [*lines[: len(members) - 1], "\n".join(lines[len(members) - 1 :])]
    case = turn.session.case
    assert case is not None
    if len(lines) == 1:
        members = members[:1]
    retry: list[str] = []
    which: tuple[Slot, tuple[str, ...]] | None = None
    for member, line in zip(members, lines + [""] * (len(members) - len(lines)), strict=True):
        step = member.step
        if not step_applies(step, case, member.item):
            continue  # an earlier line settled that this one does not apply
        label = turn.t(step.label)
        empty = line in EMPTY_LINES or control(line, {"skip"}) == "skip"
        if empty or (dont_know(line) and not step.kind.matches(line)):
            if step.optional:
                if value_of(case, step, member.item) is None:
                    set_value(case, step, member.item, None)
                mark(turn.session, member.key)
            else:
                help_text = turn.t(step.help) if step.help else ""
                turn.note(
                    "⚠️ "
                    + turn.t(N_("{field}: this one is needed."), field=label)
                    + (" " + help_text if help_text and line not in EMPTY_LINES else "")
                )
                retry.append(member.key)
            continue
        result = step.kind.parse(line, turn.ctx, case, _item_of(case, member))
        if isinstance(result, Ask):  # read more than one way: the first such is asked with buttons
            which = which or (member, result.values)
            retry.append(member.key)
            continue
        if isinstance(result, Invalid):
            reason = turn.t(result.message, **result.params)
            turn.note("⚠️ " + turn.t(N_("{field}: {reason}"), field=label, reason=reason))
            retry.append(member.key)
            continue
        if result.notice:
            turn.note(turn.t(result.notice, masked=result.value))
        store(turn, member, result.value)
    turn.session.conv["retry"] = retry  # asked again next, before anything else
    if which is not None:
        ask_which(turn, *which)
        return
    prompt(turn)


def press(turn: Turn, slot: Slot, choice: str) -> None:
    """A button: `FIELD=VALUE`, or several joined by `&` (flow.Button) answered in one press.

    A value that is not one of a field's options (a one-tap default such as a date) is read as if typed.
    """
    session = turn.session
    case = session.case
    assert case is not None
    members = {m.step.field: m for m in together(session, slot)}
    buttons = slot.step.buttons(case) if slot.step.buttons else ()
    button = next((b for b in buttons if b.id == choice), None)
    pairs = [part.partition("=")[::2] for part in choice.split("&")]
    results = []
    for field_id, value in pairs:
        member = members.get(field_id)
        step = member.step if member else STEPS_BY_FIELD.get(field_id)
        if member is None and step is not None and step.group != slot.step.group:
            member = Slot(step, None)  # a later field the button settles too
        if step is None or member is None:
            turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
            prompt(turn)
            return
        options = {v for v, _ in step.kind.options(case)}
        if value in options or picked(turn, member, value):
            result = Valid(step.kind.from_option(value))
        elif options and not step.kind.free_text:
            turn.note(turn.t(N_("Please press one of the buttons below (or type its name).")))
            prompt(turn)
            return
        else:
            result = step.kind.parse(value, turn.ctx, case, _item_of(case, member))
        if isinstance(result, Invalid):
            turn.note("⚠️ " + turn.t(result.message, **result.params))
            prompt(turn)
            return
        results.append((member, result.value))
    lines = []
    for member, value in results:
        store(turn, member, value)
        lines.append(f"{turn.t(member.step.label)}: {review.show(member.step, value, turn.lang)}")
    if len(results) > 1 and button is not None and not button.quiet:
        turn.note("✓ " + " · ".join(lines[1:]) + "\n" + turn.t(N_("(You can change it in the review.)")))
    prompt(turn)


def answer(turn: Turn, slot: Slot, *, text: str | None = None, option: str | None = None) -> None:
    step, session = slot.step, turn.session
    case = session.case
    assert case is not None
    item = _item_of(case, slot)
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
    typed_about_file = step.field == "evidence.kind" and item is not None and text and not item.get("caption")
    if isinstance(result, Valid) and typed_about_file and len((text or "").split()) > 2:
        item["caption"] = (text or "").strip()[:300]  # a description that names its kind: kept as said
    if isinstance(result, Invalid) and typed_about_file:  # words typed about the file just sent
        item["caption"] = (text or "").strip()[:300]
        kind = reading.kind_read(None, case, item["caption"])
        if kind is not None:
            store(turn, slot, kind)
        else:
            turn.note(turn.t(N_("Noted what it shows. Now press what kind of file it is:")))
        prompt(turn)
        return
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
    if step.field == "txn.signed" and value is False:
        _unsigned(turn)
    if step.field == "case.scenario":
        turn.session.consented = True  # the privacy notice said that answering means agreeing
        case["language"] = turn.lang
        if value == "lost_terminal":
            turn.say(review.urgent_steps(turn.lang))
    if step.field == "case.language":
        turn.session.lang = str(value)


def _unsigned(turn: Turn) -> None:
    """ "No signature": a slip photo taken for a signed slip is asked about again, not left as one."""
    for i, item in enumerate((turn.session.case or {}).get("evidence") or []):
        if item.get("kind") == "signed_slip" and item.get("kind_read"):
            item["kind"], item["kind_read"] = None, False
            unmark(turn.session, f"evidence.{i}.kind")


def skip(turn: Turn) -> None:
    slot = current_slot(turn)
    members = together(turn.session, slot) if slot is not None else []
    optional = [m for m in members if m.step.optional]
    if slot is None:
        turn.note(turn.t(N_("There is no question to skip right now.")))
    elif not optional:
        turn.note(turn.t(N_("This one is needed for the letters, so it can't be skipped.")))
    else:
        for member in optional:
            if value_of(turn.session.case or {}, member.step, member.item) is None:
                set_value(turn.session.case, member.step, member.item, None)
            mark(turn.session, member.key)
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
    case = turn.session.case
    items = case.get(group.id) or []
    unfinished = [i for i in range(len(items)) if not item_complete(turn.session, group, i)]
    started = [i for i in unfinished if item_started(case, group, i)]
    if started:  # nothing given is dropped without the merchant saying so: finish it, or remove it later
        name = review.item_line(group, items[started[0]], turn.lang)
        turn.note(
            turn.t(
                N_(
                    "{item} is not finished yet ({what}). Please answer this first; you can remove it in the review."
                ),
                item=turn.t(group.item_title, n=started[0] + 1),
                what=name,
            )
        )
        prompt(turn)
        return
    if len(items) - len(unfinished) < group.min_items:
        turn.note(turn.t(N_("Please add at least one before pressing Done.")))
        prompt(turn)
        return
    if unfinished:  # items that hold nothing (a question reached, nothing given)
        drop_items(turn.session, group, unfinished)
    mark(turn.session, f"{group.id}.done")
    prompt(turn)


def back(turn: Turn) -> None:
    session = turn.session
    mode = session.conv.get("mode")
    if mode in ("edit_list", "edit_fields"):
        session.conv.pop("edit_list", None)
        session.conv.pop("edit_fields", None)
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
    """A file is always kept as an evidence item, acknowledged by name, its kind read when it can be."""
    event, session = turn.event, turn.session
    assert event.file is not None
    if session.case is None or session.conv.get("mode") in (None, "idle", "done"):
        turn.note(turn.t(N_("To keep a file as evidence, start a case first with /new.")))
        prompt(turn)
        return
    case = session.case
    slot = current_slot(turn)
    items = case.setdefault("evidence", [])
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
        and not items[slot.item].get("sha256")
    ):  # an item begun before its file (a session from before files came first)
        items[slot.item].update({k: v for k, v in item.items() if k != "kind"})
        index = slot.item
    else:
        items.append(item)
        index = len(items) - 1
    mark(session, f"evidence.{index}.file")
    mark(session, f"evidence.{index}.caption")  # the caption sent with it, if any: never asked alone
    kind = None if items[index].get("kind") else reading.kind_read(event.reading, case, event.file.caption)
    if kind is not None:
        items[index].update(kind=kind, kind_read=True)
        mark(session, f"evidence.{index}.kind")
    if event.file.notice:
        turn.note("ℹ️ " + turn.t(event.file.notice))
    name = review.esc(event.file.name)
    if kind is not None:
        shown = review.show(STEPS_BY_FIELD["evidence.kind"], kind, turn.lang)
        turn.note(
            turn.t(
                N_("📎 Got “{name}”: {kind}, kept as evidence. You can change that in the review."),
                name=name,
                kind=shown,
            )
        )
    elif in_evidence:
        turn.note(turn.t(N_("📎 Got “{name}”, kept as evidence."), name=name))
    else:
        turn.note(
            turn.t(
                N_("📎 Saved “{name}” as evidence; I will ask what it is when we get to the evidence."),
                name=name,
            )
        )
    at_txn = slot is not None and slot.step.group == "txn"
    read = event.reading is not None and (at_txn or (event.reading.get("fields") or {}))
    if read and reading.propose(turn, slot, event.reading, index):  # evidence without text: no remark
        # the proposal is its own message; the question stands below it, so typing an answer or
        # pressing its buttons simply passes the proposal over
        prompt(turn)
        return
    prompt(turn)


def edit(turn: Turn, action: str, target: str) -> None:
    """From the review: a group's values as buttons (`edit:merchant`), one item's (`edit:txn.2`), one
    value asked again (`edit:merchant.phone`, `edit:txn.2.amount`), an item removed or added."""
    session = turn.session
    parts = target.split(".")
    group = GROUPS_BY_ID.get(parts[0])
    case = session.case
    if (
        case is None
        or group is None
        or session.conv.get("mode") not in ("review", "edit_list", "edit_fields")
    ):
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        prompt(turn)
        return
    items = case.get(group.id) or []
    index = int(parts[1]) - 1 if group.repeat and len(parts) > 1 and parts[1].isdigit() else None
    name = parts[-1] if len(parts) == (3 if group.repeat else 2) else None
    step = STEPS_BY_FIELD.get(f"{group.id}.{name}") if name else None
    in_range = index is not None and 0 <= index < len(items)
    if action == "add" and group.repeat and len(parts) == 1:
        unmark(session, f"{group.id}.done")
        session.conv.update(mode="form", editing=group.id, add_until=[group.id, len(items) + 1])
    elif action == "delete" and in_range and len(parts) == 2:
        drop_items(session, group, [index])
        if len(case[group.id]) < group.min_items:
            unmark(session, f"{group.id}.done")
            session.conv.update(mode="form", editing=group.id, add_until=[group.id, group.min_items])
        else:
            session.conv.update(mode="edit_list", edit_list=group.id)
    elif action == "edit" and len(parts) == 1 and group.repeat:
        session.conv.update(mode="edit_list", edit_list=group.id)
    elif action == "edit" and len(parts) == 1 or (action == "edit" and in_range and len(parts) == 2):
        session.conv.update(mode="edit_fields", edit_fields=[group.id, index])
    elif action == "edit" and step is not None and (in_range or not group.repeat):
        if step not in editable_steps(case, group.id, index):
            turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        else:
            unmark(session, step.field if index is None else f"{group.id}.{index}.{step.name}")
            session.conv.update(mode="form", editing=group.id)
            session.conv.pop("edit_fields", None)
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
