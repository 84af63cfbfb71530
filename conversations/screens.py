"""What the user sees next: the next question, the review, a list to edit, the documents menu."""

from __future__ import annotations

import re

from conversations import review
from conversations.events import Choice
from conversations.flow import GROUPS, GROUPS_BY_ID
from conversations.form import PROFILE_STEP, group_applies, mark, next_slot, value_of
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
    slot = next_slot(session)
    limit = session.conv.get("add_until")
    # the items added from the review are in: back to the review
    if slot and limit and slot.item is not None and slot.item >= limit[1] and slot.step.group == limit[0]:
        mark(session, f"{limit[0]}.done")
        session.conv.pop("add_until", None)
        slot = next_slot(session)
    if slot is None:
        session.conv.pop("add_until", None)
        session.conv["mode"] = "review"
        session.conv.pop("editing", None)
        show_review(turn)
        return
    session.conv["mode"] = "form"
    ask(turn, slot)


def ask(turn: Turn, slot: Slot) -> None:
    step, case = slot.step, turn.session.case or {}
    group = GROUPS_BY_ID.get(step.group)
    lines = []
    if group is not None and group.repeat:
        lines.append(f"<b>{turn.t(group.title)}</b> · {turn.t(group.item_title, n=slot.item + 1)}")
    elif group is not None:
        lines.append(f"<b>{turn.t(group.title)}</b>")
    lines.append(turn.t(step.ask))
    current = value_of(case, step, slot.item)
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
