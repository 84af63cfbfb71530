"""Commands about cases and the account: a new case, open one, language, help, delete confirmation."""

from __future__ import annotations

from conversations import review
from conversations.events import Choice, Incoming
from conversations.form import current_slot
from conversations.i18n import N_
from conversations.screens import prompt
from conversations.state import new_case
from conversations.turn import Turn
from conversations.validators import clean


def pending_action(turn: Turn, event: Incoming) -> bool:
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
        prompt(turn)
        return True
    return False


def start_new(turn: Turn, greet: bool = False) -> None:
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
            turn.note(review.privacy_notice(turn.lang, ctx.retention_days, ctx.channel))
    case_id = ctx.new_case_id()
    session.case_id = case_id
    session.case = new_case(case_id, ctx.now, session.lang)
    session.conv = {"mode": "form", "answered": []}
    if ctx.profile:
        session.conv["profile_offer"] = True
    prompt(turn)


def open_case(turn: Turn, case_id: str) -> None:
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
    prompt(turn)


def set_language(turn: Turn, lang: str) -> None:
    turn.session.lang = lang
    if turn.session.case is not None and turn.session.case.get("status") == "draft":
        turn.session.case["language"] = lang
    turn.note(turn.t(N_("Language set to English.")))
    prompt(turn)


def ask_delete(turn: Turn) -> None:
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


def list_cases(turn: Turn) -> None:
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


def show_help(turn: Turn) -> None:
    slot = current_slot(turn)
    parts = []
    if slot is not None and slot.step.help:
        parts.append(turn.t(slot.step.help))
    parts.append(review.commands_help(turn.lang))
    turn.note("\n\n".join(parts))
    prompt(turn)
