"""What the engine keeps between events: the user's language and active case with its cursor."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

SCHEMA_VERSION = 1


@dataclass
class Session:
    """One user's conversation. `case` is case.json-shaped data; `conv` is where the form stands.

    conv keys: mode ("form" | "review" | "done" | "edit_list" | "idle"), answered (slot keys in the
    order they were answered: "merchant.name", "txn.0.amount", "txn.done"), editing (a group id),
    edit_list (a repeating group's id), profile_offer (saved merchant details offered for reuse),
    pressed (the last [message id, button] presses, so that a double tap does its work once).
    """

    lang: str
    case_id: str | None = None
    case: dict | None = None
    conv: dict = field(default_factory=dict)
    pending: str | None = None  # an account action awaiting `confirm`: "delete"
    consented: bool = False  # the user has agreed to the privacy notice

    def clone(self) -> Session:
        return Session(
            self.lang,
            self.case_id,
            _copy(self.case),
            _copy(self.conv),
            self.pending,
            self.consented,
        )


_ATOMS = (str, int, float, bool, type(None))


def _copy(value):
    """A deep copy of JSON-shaped data (what a session holds), several times faster than copy.deepcopy."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def new_case(case_id: str, now: datetime, lang: str) -> dict:
    return {
        "id": case_id,
        "schema_version": SCHEMA_VERSION,
        "status": "draft",
        "created_at": now.isoformat(timespec="seconds"),
        "updated_at": now.isoformat(timespec="seconds"),
        "language": lang,
        "scenario": None,
        "goal": None,
        "merchant": {},
        "incident": {},
        "txn": [],
        "customer": {},
        "dispute": {},
        "evidence": [],
        "events": [{"at": now.isoformat(timespec="seconds"), "event": "case_opened"}],
    }
