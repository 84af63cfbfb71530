"""What the user sees next: the next question, the review, a list to edit, the documents menu."""

from __future__ import annotations

import re

from conversations import review
from conversations.events import Choice
from conversations.flow import ASK_ORDER, GROUPS, GROUPS_BY_ID, TOGETHER_BY_FIELD
from conversations.form import (
    PROFILE_STEP,
    group_applies,
    mark,
    next_slot,
    set_value,
    step_applies,
    together,
    value_of,
)
from conversations.i18n import N_, translate
from conversations.turn import Slot, Turn
from conversations.words import norm


def prompt(turn: Turn) -> None:
    """Say what comes next: the next question, the review, or what can be done now."""
    session = turn.session
    mode = session.conv.get("mode")
    if session.case is None or mode in (None, "idle"):
        turn.say(turn.t(N_("No case is open. Send /new to start one, or /cases to see yours.")))
        return
    if mode == "done":
        outputs_menu(turn)
        return
    if mode == "edit_list":
        edit_list(turn, session.conv["edit_list"])
        return
    if mode == "edit_fields":
        group_id, item = session.conv["edit_fields"]
        edit_fields(turn, group_id, item)
        return
    slot = settle(turn)
    limit = session.conv.get("add_until")
    # the items added from the review are in: back to the review
    if slot and limit and slot.item is not None and slot.item >= limit[1] and slot.step.group == limit[0]:
        mark(session, f"{limit[0]}.done")
        session.conv.pop("add_until", None)
        slot = settle(turn)
    if slot is None:
        session.conv.pop("add_until", None)
        session.conv["mode"] = "review"
        session.conv.pop("editing", None)
        show_review(turn)
        return
    session.conv["mode"] = "form"
    ask(turn, slot)


def settle(turn: Turn) -> Slot | None:
    """The next question, after storing what earlier answers settle (a step's `derive`)."""
    session = turn.session
    case = session.case or {}
    while True:
        slot = next_slot(session)
        if slot is None or slot.step.derive is None or value_of(case, slot.step, slot.item) is not None:
            return slot
        item = None if slot.item is None else ((case.get(slot.step.group) or [])[slot.item :] or [None])[0]
        value = slot.step.derive(case, item)
        if value is None:
            return slot
        set_value(case, slot.step, slot.item, value)
        mark(session, slot.key)


def progress(turn: Turn, group_id: str) -> str:
    """ "3 of 5: Disputed transactions": the parts of this case, in the order asked."""
    case = turn.session.case or {}
    parts = [g for g in ASK_ORDER if g.id != "case" and group_applies(g, case)]
    ids = [g.id for g in parts]
    group = GROUPS_BY_ID[group_id]
    if group_id not in ids:
        return f"<b>{turn.t(group.title)}</b>"
    text = turn.t(
        N_("{n} of {total}: {part}"), n=ids.index(group_id) + 1, total=len(ids), part=turn.t(group.title)
    )
    return f"<b>{text}</b>"


def file_name(case: dict, slot: Slot) -> str:
    if slot.step.group != "evidence" or slot.item is None:
        return ""
    items = case.get("evidence") or []
    return review.esc((items[slot.item].get("file_name") or "") if slot.item < len(items) else "")


def ask(turn: Turn, slot: Slot) -> None:
    session = turn.session
    case = session.case or {}
    members = together(session, slot)
    step = members[0].step
    group = GROUPS_BY_ID.get(slot.step.group)
    lines = []
    if slot.step.group == "case" or step is PROFILE_STEP:
        pass
    elif group is not None and group.repeat:
        lines.append(f"{progress(turn, group.id)} · {turn.t(group.item_title, n=slot.item + 1)}")
    elif group is not None:
        lines.append(progress(turn, group.id))
    choices: list[Choice] = []
    if len(members) > 1 and not step.kind.accepts_file:
        lines.append(turn.t(TOGETHER_BY_FIELD[step.field].ask))
        for n, member in enumerate(members, 1):
            label = turn.t(member.step.label)
            optional = turn.t(N_(" (optional)")) if member.step.optional else ""
            if member.step.kind.options(case):  # a choice typed on its line: say what it takes
                words = " / ".join(turn.t(lbl) for _, lbl in member.step.kind.options(case))
                optional = f"{optional}: {words}"
            lines.append(f"{n}. {label}{optional}")
    else:
        lines.append(turn.t(step.ask, file=file_name(case, members[0])))
        current = value_of(case, step, slot.item)
        if step is PROFILE_STEP:
            lines.append(review.profile_summary(turn.ctx.profile or {}, turn.lang))
        if current is not None and step is not PROFILE_STEP and not step.kind.accepts_file:
            lines.append(turn.t(N_("Now: {value}"), value=review.show(step, current, turn.lang)))
            choices.append(Choice("keep", turn.t(N_("Keep it"))))
    if step.buttons is not None:
        choices[:0] = [Choice(b.id, turn.t(b.label)) for b in step.buttons(case)]
    else:
        choices[:0] = [Choice(f"{step.field}={v}", turn.t(label)) for v, label in step.kind.options(case)]
    if step.default is not None and value_of(case, step, members[0].item) is None:
        value = step.default(case, turn.ctx.now)
        if value is not None:
            shown = review.show(step, value, turn.lang)
            choices.insert(0, Choice(f"{step.field}={value}", turn.t(step.default_label, value=shown)))
    if any(m.step.optional for m in members) and not step.kind.accepts_file:
        choices.append(Choice("skip", turn.t(N_("Skip"))))
    if group is not None and group.repeat and slot.step is group.steps[0] and slot.item >= group.min_items:
        choices.append(Choice("done", turn.t(N_("Done"))))
    session.conv["asked"] = slot.key
    asks_all = [m.step.field for m in members] if len(members) > 1 else None
    turn.say("\n".join(lines), choices, asks=step.field, item=slot.item, asks_all=asks_all)


def offered_controls(turn: Turn) -> set[str]:
    """The control buttons (`skip`, `done`, `keep`, `confirm`…) the current screen offers, for typed words."""
    session = turn.session
    mode = session.conv.get("mode")
    if session.case is None or mode in (None, "idle"):
        return set()
    if mode == "review":
        return {"confirm", "cancel", "back"}
    if mode == "edit_list":
        return {"back"}
    if mode == "done":
        return {"output:all"}
    slot = next_slot(session)
    if slot is None:
        return set()
    step, offered = slot.step, {"ocr:accept"} if session.conv.get("ocr") else set()
    group = GROUPS_BY_ID.get(step.group)
    if (
        value_of(session.case, step, slot.item) is not None
        and step is not PROFILE_STEP
        and not step.kind.accepts_file
    ):
        offered.add("keep")
    if step.optional:
        offered.add("skip")
    if (
        group is not None
        and group.repeat
        and ((step is group.steps[0] and slot.item >= group.min_items) or step.kind.accepts_file)
    ):
        offered.add("done")
    return offered


_EDIT_WORDS = re.compile(r"^(?:edit|change|fix|修改|更改|改一下|改|编辑)\s*[:：]?\s*")


def typed_button(turn: Turn, text: str) -> str | None:
    """A review or documents-menu button named by typing its text (`修改商户`, `checklist`, `律师函`)."""
    mode = turn.session.conv.get("mode")
    case = turn.session.case or {}
    if mode == "review":
        buttons = {f"edit:{g.id}": g.title for g in GROUPS if group_applies(g, case)}
        typed = _EDIT_WORDS.sub("", norm(text))
    elif mode == "done":
        from conversations.outputs import plan_outputs

        plans = plan_outputs(review.export(case, turn.ctx.tz))
        buttons = {f"output:{p.id}": review.OUTPUT_TITLES.get(p.id, p.id) for p in plans if p.applies}
        typed = norm(text)
    else:
        return None
    if len(typed) < 2:
        return None
    found = []
    for choice_id, label in buttons.items():
        names = {norm(translate(lang, label)) for lang in ("zh", "en")} | {choice_id.split(":", 1)[1]}
        if typed in names or any(
            len(typed) >= 3 - bool(re.search(r"[\u4e00-\u9fff]", typed)) and typed in n for n in names
        ):
            found.append(choice_id)
    return found[0] if len(found) == 1 else None


def show_review(turn: Turn) -> None:
    case = turn.session.case or {}
    text = review.summary(case, turn.lang)
    choices = [
        Choice(f"edit:{g.id}", turn.t(N_("Edit: {group}"), group=turn.t(g.title)))
        for g in GROUPS
        if group_applies(g, case)
    ]
    choices.append(Choice("confirm", turn.t(N_("✅ Confirm and save"))))
    choices.append(Choice("cancel", turn.t(N_("Cancel case"))))
    intro = turn.t(N_("Please check everything. Press Confirm to save the case, or Edit to change a part."))
    turn.say(f"{intro}\n\n{text}", choices)


def editable_steps(case: dict, group_id: str, item: int | None) -> list:
    """The fields of a group (or of one item) that the merchant can change from the review."""
    group = GROUPS_BY_ID[group_id]
    return [s for s in group.steps if not s.kind.accepts_file and step_applies(s, case, item)]


def edit_fields(turn: Turn, group_id: str, item: int | None) -> None:
    """A group's values as buttons: the one pressed is asked, then the review comes back."""
    case = turn.session.case or {}
    group = GROUPS_BY_ID[group_id]
    title = turn.t(group.title)
    if item is not None:
        title += " · " + turn.t(group.item_title, n=item + 1)
    lines = [f"<b>{title}</b>", turn.t(N_("Which one do you want to change?"))]
    choices = []
    for step in editable_steps(case, group_id, item):
        shown = review.show(step, value_of(case, step, item), turn.lang)
        lines.append(f"{turn.t(step.label)}: {shown}")
        target = step.field if item is None else f"{group_id}.{item + 1}.{step.name}"
        choices.append(Choice(f"edit:{target}", turn.t(step.label)))
    choices.append(Choice("back", turn.t(N_("Back to the review"))))
    turn.say("\n".join(lines), choices)


def edit_list(turn: Turn, group_id: str) -> None:
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


def outputs_menu(turn: Turn, intro: str | None = None, explain: bool = True) -> None:
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
