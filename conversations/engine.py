"""The engine: one event and the user's session in, replies and the updated session out.

It is the only code that walks the flow (`flow.GROUPS`). It does no I/O: the clock, the user's
saved profile, their other cases and new case ids come in through `Context`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from conversations import reading, review
from conversations.answers import (
    EVIDENCE_PACK,
    back,
    cancel,
    confirm,
    done,
    edit,
    file_received,
    keep,
    output,
    press,
    skip,
    typed,
)
from conversations.cards import mask_card_numbers
from conversations.chars import fit, fit_everywhere
from conversations.commands import (
    ask_delete,
    list_cases,
    open_case,
    pending_action,
    set_language,
    show_help,
    start_new,
)
from conversations.events import Choice, Incoming, Reply
from conversations.form import current_slot, next_slot, together
from conversations.i18n import LANGUAGES, N_, language_from_code, translate
from conversations.screens import offered_controls, outputs_menu, prompt, typed_button
from conversations.state import Session
from conversations.turn import SHANGHAI, Context, Slot, Turn, slot_key
from conversations.words import control

__all__ = [
    "EVIDENCE_PACK",
    "SHANGHAI",
    "Context",
    "Outcome",
    "Slot",
    "group_chat_reply",
    "handle",
    "next_slot",
    "slot_key",
]


UNSUPPORTED_OTHER = N_("I can't use that kind of message here.")


UNSUPPORTED = {
    "sticker": N_("Stickers are nice, but I can't use them here."),
    "voice": N_("I can't listen to voice messages; please type the answer."),
    "location": N_("I can't use a location here; please type the place in words."),
}


ALREADY_PRESSED = N_("⏳ Already on its way: you pressed this button before.")
PRESSES_KEPT = 30  # the last button presses (message, button) remembered per case


@dataclass
class Outcome:
    session: Session
    replies: list[Reply]
    profile: dict | None = None  # merchant details to remember, set when a case is confirmed
    changed: bool = True  # the session must be saved
    switched_from: str | None = None  # a case left as it was when the user moved to another


def handle(session: Session, event: Incoming, ctx: Context) -> Outcome:
    """Apply one event. The input session is not modified; the outcome holds the new one."""
    turn = Turn(session.clone(), event, ctx)
    if turn.session.lang not in LANGUAGES:
        turn.session.lang = language_from_code(event.language_code)
    event = turn.event = _mask_cards(turn, _fit(event))
    press = (
        [event.message_id, event.choice] if event.kind == "choice" and event.message_id is not None else None
    )
    if press is not None and press in turn.session.conv.get("pressed", []):
        turn.say(turn.t(ALREADY_PRESSED))  # a double tap: its work is running or done; nothing else
        return Outcome(turn.session, turn.replies, changed=False)
    # a button's word typed instead of pressing it (完成, skip, 保持不变, 全部), read before anything moves on
    word = control(event.text, offered_controls(turn)) if event.kind == "text" else None
    if not (event.kind == "choice" and event.choice.startswith("ocr:")) and not (word or "").startswith(
        "ocr:"
    ):
        turn.session.conv.pop("ocr", None)  # anything else passes over a pending photo proposal
    if turn.session.pending and pending_action(turn, event):
        pass
    elif event.kind == "command":
        _command(turn, event.command, event.args)
    elif event.kind == "choice":
        _choice(turn, event.choice)
    elif event.kind == "file":
        file_received(turn)
    elif event.kind == "refused":  # the runtime said why it kept no file: the question again
        prompt(turn)
    elif event.kind == "unsupported":
        turn.note(turn.t(UNSUPPORTED.get(event.unsupported, UNSUPPORTED_OTHER)))
        prompt(turn)
    elif word or (word := typed_button(turn, event.text)):
        _choice(turn, word)
    else:
        typed(turn, event.text)
    if not turn.replies:
        prompt(turn)
    if turn.session.case is not None:
        turn.session.case["updated_at"] = ctx.now.isoformat(timespec="seconds")
    if press is not None:  # kept with the case's cursor, so that another worker or a restart knows it too
        recent = [p for p in turn.session.conv.get("pressed", []) if p != press][-(PRESSES_KEPT - 1) :]
        turn.session.conv["pressed"] = [*recent, press]
    return Outcome(turn.session, turn.replies, profile=turn.profile, switched_from=turn.switched_from)


def outputs_menu_reply(session: Session, event: Incoming, ctx: Context) -> Reply:
    """The outputs menu of a confirmed case (shown again when documents were resumed after a restart)."""
    turn = Turn(session.clone(), event, ctx)
    outputs_menu(
        turn, turn.t(N_("Anything else for case {case_id}?"), case_id=session.case_id), explain=False
    )
    return turn.replies[-1]


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


def _fit(event: Incoming) -> Incoming:
    """Characters no message or document can hold (lone surrogates, U+FFFE...) are dropped on arrival."""
    changes: dict = {}
    for name in ("text", "args", "first_name"):
        value = getattr(event, name)
        if value and fit(value) != value:
            changes[name] = fit(value)
    if event.file is not None:
        name, caption = fit(event.file.name), event.file.caption and (fit(event.file.caption) or None)
        if (name, caption) != (event.file.name, event.file.caption):
            changes["file"] = dataclasses.replace(event.file, name=name or "file", caption=caption)
    if event.reading and fit_everywhere(event.reading) != event.reading:
        changes["reading"] = fit_everywhere(event.reading)
    return dataclasses.replace(event, **changes) if changes else event


def _mask_cards(turn: Turn, event: Incoming) -> Incoming:
    """A full card number is masked before anything else sees it, and the user is told."""
    masked, count = mask_card_numbers(event.text)
    caption, caption_count = (None, 0)
    if event.file and event.file.caption:
        caption, caption_count = mask_card_numbers(event.file.caption)
    if event.reading and event.reading.get("fields"):  # what OCR read (a name, a note) is text too
        fields = {k: mask_card_numbers(v)[0] for k, v in event.reading["fields"].items()}
        if fields != event.reading["fields"]:
            event = dataclasses.replace(event, reading={**event.reading, "fields": fields})
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


def _choice(turn: Turn, choice: str) -> None:
    session = turn.session
    if choice in ("skip", "done", "back", "cancel", "confirm", "keep"):
        turn.session.conv.pop("pick", None)
        {
            "skip": skip,
            "done": done,
            "back": back,
            "cancel": cancel,
            "confirm": confirm,
            "keep": keep,
        }[choice](turn)
        return
    head, _, rest = choice.partition(":")
    if head == "ocr" and rest:
        reading.answer(turn, rest)
        return
    if head in ("edit", "delete", "add") and rest:
        edit(turn, head, rest)
        return
    if head == "output" and rest:
        output(turn, rest)
        return
    if head == "case" and rest:
        open_case(turn, rest)
        return
    field_id, _, value = choice.partition("=")
    if field_id == "case.language" and value in LANGUAGES:
        set_language(turn, value)
        return
    if field_id == "new" or choice == "new":
        start_new(turn)
        return
    slot = current_slot(turn)
    if slot is None or field_id not in {m.step.field for m in together(session, slot)}:
        turn.note(turn.t(N_("That button belongs to an earlier message. Here is where we are:")))
        prompt(turn)
        return
    press(turn, slot, choice)


def _command(turn: Turn, command: str, args: str) -> None:
    session = turn.session
    if command == "start":
        if session.case is not None and session.conv.get("mode") in ("form", "review", "edit_list"):
            turn.note(
                turn.t(N_("Welcome back. We are in the middle of case {case_id}:"), case_id=session.case_id)
            )
            prompt(turn)
        else:
            start_new(turn, greet=True)
    elif command == "new":
        start_new(turn)
    elif command in ("skip", "done", "back", "cancel"):
        _choice(turn, command)
    elif command == "cases":
        list_cases(turn)
    elif command == "case":
        if args:
            open_case(turn, args.split()[0])
        else:
            list_cases(turn)
    elif command == "help":
        show_help(turn)
    elif command == "privacy":
        turn.note(review.privacy_notice(turn.lang, turn.ctx.retention_days, turn.ctx.channel))
        prompt(turn)
    elif command == "export":
        turn.say(turn.t(N_("Here is everything I keep about you, as a ZIP file.")), action="export")
    elif command == "delete":
        ask_delete(turn)
    elif command in ("lang", "language"):
        wanted = language_from_code(args) if args else None
        if wanted:
            set_language(turn, wanted)
        else:
            turn.say(
                turn.t(N_("Choose your language:")),
                [Choice("case.language=zh", "中文"), Choice("case.language=en", "English")],
            )
    else:
        turn.note(turn.t(N_("I don't know the command /{command}."), command=review.esc(command)))
        show_help(turn)
