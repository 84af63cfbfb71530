"""Where the form stands: which questions are answered, the next one to ask, reading and writing answers.

Answers are kept by slot: a field id ("merchant.name"), an item's field ("txn.0.amount") or the end
of a list ("txn.done"). Nothing here is shown to the user.
"""

from __future__ import annotations

from conversations.flow import (
    ASK_ORDER,
    GROUPS_BY_ID,
    STEPS_BY_FIELD,
    TOGETHER_BY_FIELD,
    Group,
    Step,
)
from conversations.i18n import N_
from conversations.kinds import Choice as ChoiceKind
from conversations.state import Session, _copy
from conversations.turn import Slot, Turn

PROFILE_STEP = Step(
    "merchant.profile",
    N_("Use the merchant details you saved last time?"),
    ChoiceKind((("reuse", N_("Use them")), ("change", N_("Enter new details")))),
    N_("Saved details"),
    optional=True,
)


def answered_slots(session: Session) -> list[str]:
    return session.conv.setdefault("answered", [])


def group_applies(group: Group, case: dict) -> bool:
    return group.when is None or group.when(case, None)


def _item(case: dict, group: str, index: int | None) -> dict | None:
    if index is None:
        return None
    items = case.get(group) or []
    return items[index] if index < len(items) else {}


def step_applies(step: Step, case: dict, index: int | None) -> bool:
    group = GROUPS_BY_ID.get(step.group)
    if group is not None and not group_applies(group, case):
        return False
    return step.when is None or step.when(case, _item(case, step.group, index))


def slot_of(key: str) -> Slot | None:
    """The slot a key names: "merchant.phone" or "txn.0.amount"."""
    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        step = STEPS_BY_FIELD.get(f"{parts[0]}.{parts[2]}")
        return Slot(step, int(parts[1])) if step else None
    step = STEPS_BY_FIELD.get(key)
    return Slot(step, None) if step else None


def next_slot(session: Session) -> Slot | None:
    """The first question, in the order asked, that applies and has no answer yet.

    An answer refused within a message of several (conv["retry"]) is asked again first.
    """
    case = session.case or {}
    answered = set(answered_slots(session))
    for key in session.conv.get("retry") or ():
        slot = slot_of(key)
        if key not in answered and slot is not None and step_applies(slot.step, case, slot.item):
            return slot
    for group in ASK_ORDER:
        if not group_applies(group, case):
            continue
        if group.id != "case" and session.conv.get("profile_offer") and "merchant.profile" not in answered:
            return Slot(PROFILE_STEP, None)  # saved details first: they fill the slip's merchant numbers
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


def together(session: Session, slot: Slot) -> list[Slot]:
    """The questions asked with this one in one message (flow.TOGETHER): it and the others still open."""
    bundle = TOGETHER_BY_FIELD.get(slot.step.field)
    if bundle is None or slot.step is PROFILE_STEP:
        return [slot]
    case = session.case or {}
    answered = set(answered_slots(session))
    out: list[Slot] = []
    probe: dict | None = None  # the case as if the fields listed so far were answered
    for field_id in bundle.fields:
        step = STEPS_BY_FIELD[field_id]
        repeat = GROUPS_BY_ID[step.group].repeat
        if repeat and step.group != slot.step.group:
            continue  # another list's item: not this one's
        member = Slot(step, slot.item if repeat else None)
        if member == slot or (
            member.key not in answered
            and step.derive is None
            and (step_applies(step, case, member.item) or _applies_after(step, probe, member.item))
        ):
            out.append(member)
            if value_of(case, step, member.item) is None and not step.kind.accepts_file:
                probe = probe if probe is not None else _copy(case)
                set_value(probe, step, member.item, "…")
    return out


def _applies_after(step: Step, probe: dict | None, index: int | None) -> bool:
    """A follow-up (the shop's name in Chinese after its name) applies once the lines before it are given."""
    if probe is None or step.when is None:
        return False
    try:
        return step_applies(step, probe, index)
    except (TypeError, ValueError):  # a condition that reads the placeholder as a real value
        return False


def value_of(case: dict, step: Step, item: int | None) -> object:
    if step.group == "case":
        return case.get(step.name)
    if item is not None:
        items = case.get(step.group) or []
        return items[item].get(step.name) if item < len(items) else None
    return (case.get(step.group) or {}).get(step.name)


def set_value(case: dict, step: Step, item: int | None, value: object) -> None:
    if step.group == "case":
        case[step.name] = value
    elif item is not None:
        items = case.setdefault(step.group, [])
        while len(items) <= item:
            items.append({})
        items[item][step.name] = value
    else:
        case.setdefault(step.group, {})[step.name] = value


def mark(session: Session, key: str) -> None:
    answered = answered_slots(session)
    if key in answered:
        answered.remove(key)
    answered.append(key)


def unmark(session: Session, key: str) -> None:
    answered = answered_slots(session)
    if key in answered:
        answered.remove(key)


def current_slot(turn: Turn) -> Slot | None:
    if turn.session.case is None or turn.session.conv.get("mode") != "form":
        return None
    return next_slot(turn.session)


def item_started(case: dict, group: Group, index: int) -> bool:
    """An item holds something the merchant gave (a value or a file)."""
    items = case.get(group.id) or []
    return index < len(items) and any(v not in (None, "", [], {}) for v in items[index].values())


def item_complete(session: Session, group: Group, index: int) -> bool:
    case = session.case or {}
    item = (case.get(group.id) or [])[index]
    answered = set(answered_slots(session))
    return all(
        f"{group.id}.{index}.{s.name}" in answered
        or s.optional
        or (s.when is not None and not s.when(case, item))
        for s in group.steps
    )


def drop_items(session: Session, group: Group, indexes: list[int]) -> None:
    """Remove items from a repeating group and renumber the answered slots of those after them."""
    case = session.case or {}
    items = case.get(group.id) or []
    keep = [i for i in range(len(items)) if i not in set(indexes)]
    renumber = {old: new for new, old in enumerate(keep)}
    case[group.id] = [items[i] for i in keep]
    prefix = f"{group.id}."
    answered = []
    for key in answered_slots(session):
        if key.startswith(prefix) and key != f"{group.id}.done":
            _, index, name = key.split(".", 2)
            if int(index) not in renumber:
                continue
            key = f"{group.id}.{renumber[int(index)]}.{name}"
        answered.append(key)
    session.conv["answered"] = answered
