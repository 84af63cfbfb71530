"""What the engine shows that is more than one question: the review, fixed texts, the case.json export."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from conversations.flow import GROUPS, GROUPS_BY_ID, STEPS_BY_FIELD, Group, Step
from conversations.fmt import esc
from conversations.i18n import N_, translate

__all__ = ["esc", "export", "show", "summary"]

OUTPUT_TITLES = {
    "checklist": N_("Checklist for this case"),
    "customer": N_("Message to the customer"),
    "confirmation": N_("Cardholder's confirmation to sign"),
    "settlement": N_("Settlement note"),
    "acquirer": N_("Letter to the acquirer"),
    "no_contest": N_("No-contest statement (thief's charges)"),
    "unionpay": N_("Report to UnionPay"),
    "pboc": N_("Report to the People's Bank of China"),
    "police": N_("Police report"),
    "lawyer_letter": N_("Lawyer's letter (draft)"),
    "complaint": N_("Civil complaint (draft)"),
    "evidence_list": N_("Evidence list"),
    "witness": N_("Witness statement form"),
    "prevention": N_("Preventing it next time"),
    "evidence_pack": N_("Evidence pack (ZIP)"),
}

STATUS = {"draft": N_("in progress"), "confirmed": N_("saved"), "cancelled": N_("cancelled")}


def show(step: Step, value: object, lang: str) -> str:
    """A stored value as the person reads it, escaped for Telegram HTML."""
    if value is None:
        return "—"
    return esc(step.kind.show(value, lang))


def _applies(step: Step, case: dict, item: dict | None) -> bool:
    return step.when is None or step.when(case, item)


def item_line(group: Group, item: dict, lang: str) -> str:
    """One line for a transaction or an evidence item."""
    if group.id == "txn":
        parts = [
            show(STEPS_BY_FIELD["txn.datetime"], item.get("datetime"), lang),
            show(STEPS_BY_FIELD["txn.amount"], item.get("amount"), lang),
        ]
        if item.get("reference_no"):
            parts.append(translate(lang, N_("ref. {number}"), number=esc(item["reference_no"])))
        return " · ".join(parts)
    kind = show(STEPS_BY_FIELD["evidence.kind"], item.get("kind"), lang) if item.get("kind") else "?"
    line = f"{kind} — {esc(item.get('file_name') or '')}"
    if item.get("caption"):
        line += f" ({esc(item['caption'])})"
    return line


def summary(case: dict, lang: str) -> str:
    """Everything collected, group by group, as Telegram HTML."""
    blocks = []
    for group in GROUPS:
        if group.when is not None and not group.when(case, None):
            continue
        lines = [f"<b>{translate(lang, group.title)}</b>"]
        if group.repeat:
            items = case.get(group.id) or []
            if not items:
                lines.append(translate(lang, N_("(none)")))
            for i, item in enumerate(items):
                if group.id == "txn":
                    lines.append(f"<i>{translate(lang, group.item_title, n=i + 1)}</i>")
                    for step in group.steps:
                        if _applies(step, case, item) and item.get(step.name) is not None:
                            lines.append(
                                f"  {translate(lang, step.label)}: {show(step, item.get(step.name), lang)}"
                            )
                else:
                    lines.append(f"{i + 1}. {item_line(group, item, lang)}")
        else:
            for step in group.steps:
                if not _applies(step, case, None):
                    continue
                value = (
                    case.get(step.name) if group.id == "case" else (case.get(group.id) or {}).get(step.name)
                )
                lines.append(f"{translate(lang, step.label)}: {show(step, value, lang)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def profile_summary(profile: dict, lang: str) -> str:
    group = GROUPS_BY_ID["merchant"]
    return "\n".join(
        f"{translate(lang, s.label)}: {show(s, profile.get(s.name), lang)}"
        for s in group.steps
        if profile.get(s.name) is not None
    )


def case_line(summary_row: dict, lang: str) -> str:
    scenario = STEPS_BY_FIELD["case.scenario"].kind.show(summary_row.get("scenario"), lang) or "—"
    status = translate(lang, STATUS.get(summary_row.get("status", ""), N_("in progress")))
    created = (summary_row.get("created_at") or "")[:10]
    return f"<code>{esc(summary_row['id'])}</code> · {esc(created)} · {esc(scenario)} · {status}"


def urgent_steps(lang: str) -> str:
    """For a lost or stolen terminal: what to do now, before the long form (domain §3)."""
    steps = [
        N_(
            "Call your provider's 24-hour line now: report the terminal lost (挂失) and have it frozen or "
            "locked. Give the device serial number, merchant number and terminal number, and note the "
            "ticket number they give you."
        ),
        N_("Ask them to suspend instant settlement (T+0 / D0) until the records are checked."),
        N_(
            "If it was stolen, or charges appear after the loss, report it to the police (110 or the local "
            "station) and keep the report receipt (报案回执)."
        ),
        N_("Keep every paper slip and export the transaction records from around the time of the loss."),
        N_("Change the passwords of the provider's app or merchant account and of the terminal's manager."),
    ]
    title = translate(lang, N_("Do these now, before anything else:"))
    lines = [f"<b>{title}</b>"]
    lines += [f"{i}. {translate(lang, s)}" for i, s in enumerate(steps, 1)]
    lines.append(translate(lang, N_("Then I will take down the details for your letters.")))
    return "\n".join(lines)


# Where the chat runs, said in the privacy notice: what leaves the merchant's hands and where it goes.
CHANNEL_NOTES = {
    "telegram": N_(
        "This chat runs on Telegram, whose servers are outside mainland China, so what you send here leaves China."
    ),
    "wecom": N_(
        "This chat runs on WeChat customer service (微信客服), through WeCom, whose servers are in mainland "
        "China: what you send here is kept by WeCom as well as by this assistant."
    ),
    "local": N_(
        "This chat runs on this computer only: nothing is sent over the internet, and the data stays in "
        "this computer's database."
    ),
}


def privacy_notice(lang: str, retention_days: int, channel: str = "telegram") -> str:
    """What is stored, why, for how long, where, and how to get it or erase it (PIPL arts. 13, 17, 29, 39)."""
    return translate(
        lang,
        N_(
            "<b>Your data</b>: I keep your answers, the files you send and your merchant details, only to "
            "prepare your checklist and letters. Card numbers are kept masked (first 6 and last 4 digits); "
            "card details are sensitive personal information, and that question can be skipped. Closed "
            "cases are deleted {days} days after their last change; /export sends you a copy of everything "
            "and /delete erases it at once. {channel} Choosing an answer below means you agree to this."
        ),
        days=retention_days,
        channel=translate(lang, CHANNEL_NOTES.get(channel, CHANNEL_NOTES["telegram"])),
    )


def commands_help(lang: str) -> str:
    return translate(
        lang,
        N_(
            "Commands: /skip leave a question empty · /back previous question · /done finish a list · "
            "/cancel cancel the case · /new new case · /cases your cases · /case ID open one · "
            "/lang language · /privacy your data · /export a copy of your data · /delete erase it · /help this help"
        ),
    )


# --- export --------------------------------------------------------------------------------------

_TOP = ("scenario", "goal", "language")
_EVIDENCE_KEYS = ("kind", "file_name", "mime", "sha256", "size", "received_at", "caption")
_TIMELINE_FIELDS = (
    ("incident", "lost_at", N_("Terminal last seen")),
    ("incident", "discovered_at", N_("Loss noticed")),
    ("dispute", "notified_at", N_("Acquirer's notice received")),
    ("dispute", "deadline", N_("Reply due to the acquirer")),
)
_EVENTS = {
    "case_opened": N_("Case opened"),
    "case_confirmed": N_("Case confirmed"),
    "case_cancelled": N_("Case cancelled"),
}


def _sort_key(at: str, tz: ZoneInfo) -> datetime:
    if "T" in at:
        return datetime.fromisoformat(at)
    return datetime.combine(date.fromisoformat(at), datetime.min.time(), tz)


def timeline(case: dict, tz: ZoneInfo) -> list[dict]:
    """What happened when: from the merchant's answers and the case's own events, oldest first."""
    lang = case.get("language") or "zh"
    entries = []
    for group, name, label in _TIMELINE_FIELDS:
        at = (case.get(group) or {}).get(name)
        if at and (group != "incident" or case.get("scenario") == "lost_terminal"):
            entries.append({"at": at, "event": f"{group}.{name}", "text": translate(lang, label)})
    for i, txn in enumerate(case.get("txn") or []):
        if txn.get("datetime"):
            text = translate(lang, N_("Disputed transaction {n}"), n=i + 1)
            entries.append({"at": txn["datetime"], "event": "txn", "text": text})
    for item in case.get("evidence") or []:
        if item.get("received_at"):
            text = translate(lang, N_("Evidence received: {name}"), name=item.get("file_name") or "")
            entries.append({"at": item["received_at"], "event": "evidence", "text": text})
    for event in case.get("events") or []:
        label = _EVENTS.get(event.get("event"))
        if label:
            entries.append({"at": event["at"], "event": event["event"], "text": translate(lang, label)})
    return sorted(entries, key=lambda e: _sort_key(e["at"], tz))


def export(case: dict, tz: ZoneInfo) -> dict:
    """The case as case.json (shared/design/case-fields.md): every field present, null when unknown."""
    out: dict = {
        "schema_version": case.get("schema_version", 1),
        "id": case.get("id"),
        "created_at": case.get("created_at"),
        "updated_at": case.get("updated_at"),
        "status": case.get("status"),
    }
    for name in _TOP:
        out[name] = case.get(name)
    for group in GROUPS:
        if group.id == "case":
            continue
        applies = group.when is None or group.when(case, None)
        if group.repeat:
            items = (case.get(group.id) or []) if applies else []
            if group.id == "evidence":
                out[group.id] = [{k: item.get(k) for k in _EVIDENCE_KEYS} for item in items]
            else:
                out[group.id] = [
                    {s.name: (item.get(s.name) if _applies(s, case, item) else None) for s in group.steps}
                    for item in items
                ]
        else:
            data = case.get(group.id) or {}
            out[group.id] = (
                {s.name: (data.get(s.name) if _applies(s, case, None) else None) for s in group.steps}
                if applies
                else {}
            )
    out["timeline"] = timeline(case, tz)
    return out
