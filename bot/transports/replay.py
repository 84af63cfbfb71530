"""`python -m bot replay FILE --out DIR`: play a transcript through the real engine, storage and renderers.

Scripted transcripts (`steps`) do one user action per step and check replies with `expect`;
autopilot transcripts answer whatever the assistant asks from a table of field answers
(shared/design/transcripts.md). Exit 0 when it passed, 1 when an expectation failed or the
autopilot got stuck (the reason on stderr), 2 for a transcript that is not valid.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.service import Assistant, Outgoing
from bot.storage import Database
from bot.transports.local import LocalChat, LocalUser
from bot.transports.plain import html_to_text

GROUP_LISTS = {"txn": "txn", "evidence": "evidence"}
MAX_AUTOPILOT_ACTIONS = 600
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


class TranscriptError(Exception):
    """The transcript itself is not valid (exit 2)."""


class ReplayFailed(Exception):
    """An expectation failed or the autopilot got stuck (exit 1)."""


@dataclass
class Recorder:
    """Writes replies.jsonl and files/ as the conversation goes."""

    out: Path
    step: int = 0

    def __post_init__(self) -> None:
        (self.out / "files").mkdir(parents=True, exist_ok=True)
        self._fh = (self.out / "replies.jsonl").open("w", encoding="utf-8")

    def record(self, messages: list[Outgoing]) -> None:
        for msg in messages:
            saved = []
            if msg.file is not None:
                path = self.out / "files" / Path(msg.file.name).name
                path.write_bytes(msg.file.data)
                saved.append(f"files/{path.name}")
            row = {
                "step": self.step,
                "text": html_to_text(msg.text) if msg.text else "",
                "html": msg.text or "",
                "choices": [{"id": c.id, "label": c.label} for c in msg.choices],
                "asks": msg.asks,
                "asks_all": msg.asks_all,
                "item": msg.item,
                "files": saved,
            }
            self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def _load(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TranscriptError(f"cannot read {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise TranscriptError("a transcript is a mapping with `user` and `steps` or `autopilot`")
    user = doc.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise TranscriptError("`user` needs an integer `id` (like a Telegram user)")
    if ("steps" in doc) == ("autopilot" in doc):
        raise TranscriptError("a transcript has exactly one of `steps` or `autopilot`")
    if "steps" in doc and not isinstance(doc["steps"], list):
        raise TranscriptError("`steps` must be a list")
    if "autopilot" in doc and not isinstance(doc["autopilot"], dict):
        raise TranscriptError("`autopilot` must be a mapping of field id to answer")
    return doc


def _as_answer(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


class Player:
    def __init__(
        self, chat: LocalChat, recorder: Recorder, base: Path, case: Callable[[], dict | None] = lambda: None
    ) -> None:
        self.chat, self.recorder, self.base = chat, recorder, base
        self.case = case  # the case as exported now, to check what a typed answer was taken as
        self.last: list[Outgoing] = []

    def _do(self, messages: list[Outgoing]) -> None:
        self.recorder.step += 1
        self.last = messages
        self.recorder.record(messages)

    def offered(self) -> set[str]:
        return {c.id for m in self.last for c in m.choices}

    def send(self, text: str) -> None:
        self._do(self.chat.send(text))

    def choose(self, choice_id: str) -> None:
        if choice_id not in self.offered():
            raise ReplayFailed(
                f"step {self.recorder.step + 1}: button {choice_id!r} is not offered "
                f"(offered: {sorted(self.offered()) or 'none'})"
            )
        self._do(self.chat.choose(choice_id))

    def file(self, rel: str, caption: str | None, as_photo: bool | None) -> None:
        path = (self.base / rel).resolve()
        if not path.is_file():
            raise TranscriptError(f"file not found: {rel} (paths are relative to the transcript)")
        self._do(self.chat.send_file(path, caption=caption, as_photo=as_photo))

    def asked(self) -> tuple[str, int | None] | None:
        for msg in reversed(self.last):
            if msg.asks:
                return msg.asks, msg.item
        return None

    # --- scripted ------------------------------------------------------------------------------

    def play_steps(self, steps: list) -> None:
        for number, step in enumerate(steps, 1):
            if not isinstance(step, dict) or not step:
                raise TranscriptError(f"step {number} must be a mapping such as {{send: text}}")
            if "send" in step:
                self.send(str(step["send"]))
            elif "choose" in step:
                self.choose(str(step["choose"]))
            elif "photo" in step:
                self.file(str(step["photo"]), step.get("caption"), True)
            elif "document" in step:
                self.file(str(step["document"]), step.get("caption"), False)
            elif "expect" in step:
                self.expect(step["expect"], number)
            else:
                raise TranscriptError(f"step {number}: unknown action {sorted(step)}")

    def expect(self, spec: object, number: int) -> None:
        if not isinstance(spec, dict):
            raise TranscriptError(f"step {number}: expect takes a mapping (asks, contains, choices)")
        texts = [html_to_text(m.text) for m in self.last if m.text]
        if "asks" in spec:
            got = self.asked()
            if got is None or got[0] != spec["asks"]:
                raise ReplayFailed(
                    f"step {number}: expected a question for {spec['asks']!r}, got {got[0] if got else 'no question'}"
                )
        for key, want in (("contains", True), ("not_contains", False)):
            if key in spec:
                needles = spec[key] if isinstance(spec[key], list) else [spec[key]]
                for needle in needles:
                    if any(str(needle) in text for text in texts) != want:
                        verb = "contains" if want else "does not contain"
                        raise ReplayFailed(f"step {number}: no reply {verb} {needle!r}; replies: {texts}")
        if "choices" in spec:
            for choice_id in spec["choices"]:
                if choice_id not in self.offered():
                    raise ReplayFailed(f"step {number}: button {choice_id!r} not offered")
        if "files" in spec:
            names = {m.file.name for m in self.last if m.file}
            for name in spec["files"]:
                if name not in names:
                    raise ReplayFailed(f"step {number}: file {name!r} not sent (sent: {sorted(names)})")

    # --- autopilot -----------------------------------------------------------------------------

    def asked_all(self) -> tuple[list[str], int | None] | None:
        """The fields the last question asks (several when one message asks them together)."""
        for msg in reversed(self.last):
            if msg.asks:
                return (msg.asks_all or [msg.asks]), msg.item
        return None

    def play_autopilot(self, answers: dict, outputs: object) -> None:
        attempts: dict[tuple[str, int | None], int] = {}
        seen: dict[tuple[str, int | None], int] = {}
        pending: list[tuple[tuple[str, int | None], int, int]] = []  # (field, attempt index, total)
        self.send("/start")
        confirmed = False
        for _ in range(MAX_AUTOPILOT_ACTIONS):
            question = self.asked_all()
            keys = [_key(f, question[1]) for f in question[0]] if question else []
            for want, index, total in pending:
                again = want in keys
                if index < total - 1 and not again:
                    raise ReplayFailed(
                        f"{want[0]}: attempt {index + 1} was accepted, but it should be refused"
                    )
                if index == total - 1 and again:
                    raise ReplayFailed(f"{want[0]}: the last attempt ({index + 1}) was refused")
            pending = []
            if question is None:
                if "confirm" in self.offered() and not confirmed:
                    self.choose("confirm")
                    confirmed = True
                    continue
                if confirmed:
                    self._outputs(outputs)
                    return
                raise ReplayFailed("the assistant asked nothing and offered no review to confirm")
            fields, item = question
            given: list[object] = []
            for field_id, key in zip(fields, keys, strict=True):
                answer = self._answer_for(answers, field_id, item)
                if isinstance(answer, dict) and "attempts" in answer:
                    tries = answer["attempts"]
                    if not isinstance(tries, list) or not tries:
                        raise TranscriptError(f"{field_id}: attempts must be a non-empty list")
                    index = attempts.get(key, 0)
                    if index >= len(tries):
                        raise ReplayFailed(f"{field_id}: asked again after every attempt was given")
                    attempts[key] = index + 1
                    pending.append((key, index, len(tries)))
                    answer = tries[index]
                else:
                    seen[key] = seen.get(key, 0) + 1
                    if seen[key] > 2:
                        raise ReplayFailed(
                            f"stuck: {field_id} (item {item}) was asked three times; last replies: {self._texts()}"
                        )
                given.append(answer)
            whole = given[0] if isinstance(given[0], dict) and "typed" in given[0] else None
            if whole is not None and (len(fields) == 1 or all(a is whole for a in given)):
                self._give(fields[0], whole)  # typed for this question (or this whole item)
            elif any(a is _DONE for a in given):
                if "done" not in self.offered():
                    raise ReplayFailed(
                        f"required field {fields[0]} (item {item}) has no answer in the transcript: "
                        "the list is used up but Done is not offered"
                    )
                self.choose("done")
            elif isinstance(given[0], _File):
                caption = given[1] if len(given) > 1 and fields[1] == "evidence.caption" else None
                self._give(fields[0], given[0], caption=None if caption is None else _line(caption))
            elif all(a is None for a in given):
                if "skip" not in self.offered():
                    raise ReplayFailed(f"required field {fields[0]} has no answer in the transcript")
                self.choose("skip")
            elif len(fields) == 1:
                button = self._button_for(answers, fields[0], item)
                if button is not None:
                    self.choose(button)
                else:
                    self._give(fields[0], given[0])
            else:  # one message, one line per field in the order asked (an empty line: no answer)
                self.send("\n".join("" if a is None else _line(a) for a in given))
                self._check_typed(fields, item, given)
        raise ReplayFailed(f"no end after {MAX_AUTOPILOT_ACTIONS} actions")

    def _button_for(self, answers: dict, field_id: str, item: int | None) -> str | None:
        """A button answering several fields at once (`a=x&b=y`) that matches the transcript on all of them."""
        best = None
        for choice_id in self.offered():
            pairs = [part.partition("=")[::2] for part in choice_id.split("&")]
            if len(pairs) < 2 or pairs[0][0] != field_id:
                continue
            wanted = [self._answer_for(answers, f, item) for f, _ in pairs]
            plain = all(not isinstance(w, dict | _Done | _File) and w is not None for w in wanted)
            if (
                plain
                and all(_as_answer(w) == v for w, (_, v) in zip(wanted, pairs, strict=True))
                and (best is None or len(pairs) > best[0])
            ):
                best = (len(pairs), choice_id)
        return best[1] if best else None

    def _texts(self) -> list[str]:
        return [html_to_text(m.text)[:200] for m in self.last if m.text]

    def _answer_for(self, answers: dict, field_id: str, item: int | None) -> object:
        group = field_id.split(".", 1)[0]
        if group in GROUP_LISTS and item is not None:
            items = answers.get(GROUP_LISTS[group]) or []
            if not isinstance(items, list):
                raise TranscriptError(f"`{group}` must be a list of items")
            if item >= len(items):
                return _DONE
            entry = items[item]
            if not isinstance(entry, dict):
                raise TranscriptError(f"`{group}` item {item + 1} must be a mapping")
            if "typed" in entry:  # {typed: 完成, as: done}: typed at whatever this item's question is
                return entry
            if field_id == "evidence.file":
                return _File(str(entry["file"])) if "file" in entry else None
            return entry.get(field_id)
        return answers.get(field_id)

    def _give(self, field_id: str, answer: object, caption: str | None = None) -> None:
        if isinstance(answer, dict) and "typed" in answer:
            self._type(field_id, answer)
            return
        if isinstance(answer, dict):
            raise TranscriptError(f"{field_id}: an answer mapping needs `attempts` or `typed`")
        if isinstance(answer, _File):
            self.file(answer.path, caption, Path(answer.path).suffix.lower() in IMAGE_SUFFIXES)
            return
        text = _as_answer(answer)
        choice_id = f"{field_id}={text}"
        if choice_id in self.offered():
            self.choose(choice_id)
        else:
            self.send(text)

    def _check_typed(self, fields: list[str], item: int | None, given: list[object]) -> None:
        """Lines typed with `as:` in a message of several: each must be stored as that answer."""
        case = None
        for field_id, answer in zip(fields, given, strict=True):
            if not (isinstance(answer, dict) and "typed" in answer and "as" in answer):
                continue
            case = case or self.case()
            want = _as_answer(answer["as"])
            got = _stored(case, field_id, item)
            if not (got is None if want == "skip" else _same(got, want)):
                raise ReplayFailed(
                    f"{field_id}: typed {answer['typed']!r} was taken as {got!r}, not {want!r}"
                )

    def _type(self, field_id: str, answer: dict) -> None:
        """Type the text as a merchant would; with `as:`, fail unless it was taken as that answer."""
        text = str(answer["typed"])
        question = self.asked()
        item = question[1] if question else None
        before = _stored(self.case(), field_id, item)
        count = len((self.case() or {}).get(field_id.split(".", 1)[0]) or []) if item is not None else 0
        self.send(text)
        if "as" not in answer:
            return
        want = _as_answer(answer["as"])
        after = self.asked()
        if after == question:
            raise ReplayFailed(
                f"{field_id}: typed {text!r} was not taken as {want!r}; replies: {self._texts()}"
            )
        case = self.case()
        got = _stored(case, field_id, item)
        if want == "done":
            grew = len((case or {}).get(field_id.split(".", 1)[0]) or []) > count
            if grew:
                raise ReplayFailed(
                    f"{field_id}: typed {text!r} started a new item instead of ending the list"
                )
            return
        if want == "skip":
            ok = got is None
        elif want == "keep":
            ok = got == before and got is not None
        else:
            ok = _same(got, want)
        if not ok:
            raise ReplayFailed(f"{field_id}: typed {text!r} was taken as {got!r}, not {want!r}")

    def _outputs(self, outputs: object) -> None:
        if outputs in (None, False):
            return
        wanted = ["all"] if outputs in ("all", True) else outputs
        if not isinstance(wanted, list):
            raise TranscriptError("`outputs` is `all` or a list of output ids")
        for output_id in wanted:
            self.choose(f"output:{output_id}")


def _stored(case: dict | None, field_id: str, item: int | None) -> object:
    if not case:
        return None
    group, name = field_id.split(".", 1)
    if group == "case":
        return case.get(name)
    data = case.get(group)
    if isinstance(data, list):
        return data[item].get(name) if item is not None and item < len(data) else None
    return (data or {}).get(name)


def _same(got: object, want: str) -> bool:
    """A stored value against an `as:` answer: choice values, yes/no, amounts, dates with or without offset."""
    if got is None:
        return False
    if _as_answer(got) == want:
        return True
    try:
        stored, wanted = datetime.fromisoformat(str(got)), datetime.fromisoformat(want)
    except ValueError:
        return False
    if wanted.tzinfo is None:
        return stored.replace(tzinfo=None) == wanted
    return stored == wanted and stored.utcoffset() == wanted.utcoffset()


class _Done:
    pass


def _key(field_id: str, item: int | None) -> tuple[str, int | None]:
    """A question's identity: a list's field is asked once per item, any other field once."""
    return field_id, item if field_id.split(".", 1)[0] in GROUP_LISTS else None


def _line(answer: object) -> str:
    if isinstance(answer, dict) and "typed" in answer:
        return str(answer["typed"])
    return _as_answer(answer)


_DONE = _Done()


@dataclass(frozen=True)
class _File:
    path: str


def run(path: Path, out: Path, *, database_url: str | None = None, now: datetime | None = None) -> int:
    try:
        doc = _load(path)
    except TranscriptError as exc:
        print(f"invalid transcript: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    tmp = None
    if database_url is None:
        tmp = tempfile.mkdtemp(prefix="replay-")
        database_url = f"sqlite:///{tmp}/replay.sqlite3"
    tz = ZoneInfo(str(doc.get("timezone") or "Asia/Shanghai"))
    if now is None and doc.get("now"):
        now = datetime.fromisoformat(str(doc["now"]))
        now = now if now.tzinfo else now.replace(tzinfo=tz)
    db = Database(database_url)
    recorder = Recorder(out)
    try:
        db.migrate()
        assistant = Assistant(db, tz=tz)
        user = doc["user"]
        chat = LocalChat(
            assistant,
            LocalUser(user["id"], user.get("language_code"), user.get("first_name")),
            tz=tz,
            now=now,
        )
        player = Player(chat, recorder, path.parent, lambda: assistant.case_export(user["id"]))
        if "steps" in doc:
            player.play_steps(doc["steps"])
        else:
            player.play_autopilot(doc["autopilot"], doc.get("outputs"))
        exported = assistant.case_export(user["id"])
        if exported is not None:
            (out / "case.json").write_text(
                json.dumps(exported, ensure_ascii=False, indent=2), encoding="utf-8"
            )
        return 0
    except TranscriptError as exc:
        print(f"invalid transcript: {exc}", file=sys.stderr)
        return 2
    except ReplayFailed as exc:
        print(f"replay failed: {exc}", file=sys.stderr)
        return 1
    finally:
        recorder.close()
        db.dispose()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
