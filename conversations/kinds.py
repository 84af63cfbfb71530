"""Input kinds: how a question is answered (buttons, typed text, a file) and how it is read.

A kind reads an answer into a stored value (`parse`), offers buttons (`options`) and shows a
stored value back (`show`). Flows pick a kind per field; the engine never looks inside one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from conversations import fmt, validators
from conversations.i18n import N_, translate
from conversations.validators import Ask, Invalid, Result, Valid
from conversations.words import dont_know, norm

if TYPE_CHECKING:
    from conversations.engine import Context

YES_WORDS = {
    "yes", "y", "yeah", "yep", "yup", "sure", "done", "did", "i did", "yes i did", "already", "of course",
    "是", "是的", "有", "有的", "对", "对的", "已", "已经", "已经报了", "报了", "报过了", "已报", "已报案", "已挂失",
    "挂失了", "冻结了", "已冻结", "好", "好的", "嗯", "签了", "有签名", "签过", "ok", "true", "1",
}  # fmt: skip
NO_WORDS = {
    "no", "n", "nope", "not yet", "no not yet", "didn't", "did not", "haven't", "have not", "not", "false", "0",
    "否", "不", "没有", "无", "不是", "没", "未", "还没", "还没有", "没报", "没有报", "未报", "没签", "没有签名", "不对",
}  # fmt: skip


_YES = {norm(w) for w in YES_WORDS}
_NO = {norm(w) for w in NO_WORDS}
# how a longer answer starts: 没报警, 未签名, 还没挂失, no signature / 已经报警了, 有签名的, yes we did
_NO_LEAD = (
    "没", "未", "还没", "无", "不", "我没", "我还没", "我未",
    "no ", "no,", "not ", "nope", "haven't", "have not", "didn't", "did not", "never",
)  # fmt: skip
_YES_LEAD = (
    "已", "有", "报了", "报警", "报案", "挂失", "签了", "签过", "冻结", "我已", "我有", "我报", "我挂失", "打过电话",
    "yes", "yep", "yeah", "i did", "we did", "did ", "signed", "reported",
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    accepts_file = False
    free_text = True

    def options(self, case: dict) -> list[tuple[str, str]]:
        """(value, label message id) for each button."""
        return []

    def parse(self, text: str, ctx: Context, case: dict, item: dict | None) -> Result | Ask:
        raise NotImplementedError

    def matches(self, text: str) -> list[str]:
        """The button values `text` names (kinds with buttons); a word a button reads is not "don't know"."""
        return []

    def from_option(self, value: str) -> object:
        return value

    def show(self, value: object, lang: str) -> str:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Text(Kind):
    max_len: int = 200

    def parse(self, text, ctx, case, item):
        return validators.text(text, max_len=self.max_len)


def _label_forms(label: str) -> list[str]:
    """A label and its parts, in both languages: `Mobile POS (电签)` → mobile pos (电签), mobile pos, 电签."""
    found = []
    for lang in ("zh", "en"):
        shown = norm(translate(lang, label))
        found.append(shown)
        inner = re.findall(r"[(（]([^)）]+)[)）]", shown)
        outer = re.sub(r"\s*[(（][^)）]*[)）]\s*", " ", shown).strip()
        found.append(outer)
        for part in inner:
            found.extend(p.strip() for p in re.split(r"[/、,，]", part))
    return [f for f in dict.fromkeys(found) if f]


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", text)


def _contains(haystack: str, needle: str) -> bool:
    """`needle` is a whole word (or, in Chinese, any run) of `haystack`."""
    if re.search(r"[\u4e00-\u9fff]", needle):
        return len(needle) >= 2 and _squash(needle) in _squash(haystack)
    return len(needle) >= 3 and re.search(rf"(?<![a-z]){re.escape(needle)}(?![a-z])", haystack) is not None


_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "from",
        "with",
        "was",
        "were",
        "are",
        "our",
        "their",
        "they",
        "them",
        "has",
        "have",
        "had",
        "its",
        "it's",
        "that",
        "this",
        "who",
        "say",
        "says",
        "said",
        "about",
        "just",
    ]
)


def _words(text: str) -> frozenset[str]:
    return frozenset(w.rstrip("s") for w in re.findall(r"[a-z]{3,}", text) if w not in _STOP)


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[tuple[str, str], ...] = ()
    free_text: bool = False  # True: buttons are suggestions, any typed text is taken as it is
    max_len: int = 100
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)  # synonyms per value

    def options(self, case):
        return list(self.values)

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        """Every way to name each value, worked out once (labels in both languages, parts, synonyms)."""
        return {
            value: [
                norm(value),
                norm(value.replace("_", " ")),
                *_label_forms(label),
                *map(norm, self.words.get(value, ())),
            ]
            for value, label in self.values
        }

    def matches(self, text: str) -> list[str]:
        """The values `text` names: its label, a part of it, either language or a synonym; exact first."""
        typed = norm(text)
        if not typed:
            return []
        forms = self._names
        exact = [v for v, fs in forms.items() if typed in fs or _squash(typed) in map(_squash, fs)]
        if exact:
            return exact[:1] if len(exact) == 1 else exact
        found = [v for v, fs in forms.items() if any(_contains(f, typed) or _contains(typed, f) for f in fs)]
        if found or not (words := _words(typed)):
            return found
        # `customer denies payment`: every word typed is a word of one name (English, in any order)
        return [v for v, fs in forms.items() if any(words <= _words(f) for f in fs)]

    def parse(self, text, ctx, case, item):
        found = self.matches(text)
        if len(found) == 1:
            return Valid(found[0])
        if len(found) > 1:
            return Ask(tuple(found))
        if self.free_text:
            return validators.text(text, max_len=self.max_len)
        return Invalid(N_("Please press one of the buttons below (or type its name)."))

    def show(self, value, lang):
        for v, label in self.values:
            if v == value:
                return translate(lang, label)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class YesNo(Kind):
    free_text = False

    def options(self, case):
        return [("yes", N_("Yes")), ("no", N_("No"))]

    def from_option(self, value):
        return value == "yes"

    def matches(self, text: str) -> list[str]:
        """Yes or no by its words (`有签名`, `还没报警`, `yes, reported`); "don't know" is neither."""
        typed = norm(text)
        if typed in _YES or typed in _NO:
            return ["yes"] if typed in _YES else ["no"]
        if dont_know(text):
            return []
        if typed.startswith(_NO_LEAD):
            return ["no"]
        if typed.startswith(_YES_LEAD):
            return ["yes"]
        return []

    def parse(self, text, ctx, case, item):
        found = self.matches(text)
        if found:
            return Valid(found[0] == "yes")
        return Invalid(N_("Please answer yes or no (press a button)."))

    def show(self, value, lang):
        return fmt.yes_no(value, lang)


def _earlier(case: dict, item: dict | None, path: str | None) -> object:
    if not path:
        return None
    group, name = path.split(".", 1)
    source = item if group in ("txn", "evidence") else case.get(group) or {}
    return (source or {}).get(name)


@dataclass(frozen=True)
class DateTime(Kind):
    not_future: bool = True
    after: str | None = None  # field id this one may not precede

    def parse(self, text, ctx, case, item):
        earlier = _earlier(case, item, self.after)
        return validators.date_time(
            text,
            now=ctx.now,
            tz=ctx.tz,
            not_future=self.not_future,
            not_before=datetime.fromisoformat(earlier) if earlier else None,
            lang=case.get("language"),
        )

    def show(self, value, lang):
        return fmt.moment(value, lang)


@dataclass(frozen=True)
class Date(Kind):
    not_future: bool = False  # a day that happened (a notice); otherwise read as a day to come
    after: str | None = None
    reply_by: bool = False  # a reply-by date: within a year of the `after` date (or of today)

    def parse(self, text, ctx, case, item):
        earlier = _earlier(case, item, self.after)
        return validators.date_only(
            text,
            now=ctx.now,
            tz=ctx.tz,
            not_future=self.not_future,
            not_before=date.fromisoformat(earlier[:10]) if earlier else None,
            reply_by=self.reply_by,
            lang=case.get("language"),
        )

    def show(self, value, lang):
        return fmt.moment(value, lang)


@dataclass(frozen=True)
class Amount(Kind):
    def parse(self, text, ctx, case, item):
        return validators.amount(text)

    def show(self, value, lang):
        return fmt.money(value, lang)


@dataclass(frozen=True)
class Digits(Kind):
    length: int = 6
    message: str = N_("Please send {length} digits.")

    def parse(self, text, ctx, case, item):
        return validators.digits(text, length=self.length, message=self.message)


@dataclass(frozen=True)
class Alnum(Kind):
    length: int = 6
    message: str = N_("Please send {length} letters or digits.")

    def parse(self, text, ctx, case, item):
        return validators.alphanumeric(text, length=self.length, message=self.message)


@dataclass(frozen=True)
class Reference(Kind):
    def parse(self, text, ctx, case, item):
        return validators.reference(text)


@dataclass(frozen=True)
class Phone(Kind):
    def parse(self, text, ctx, case, item):
        return validators.phone(text)


@dataclass(frozen=True)
class CreditCode(Kind):
    def parse(self, text, ctx, case, item):
        return validators.credit_code(text)


@dataclass(frozen=True)
class CardMasked(Kind):
    def parse(self, text, ctx, case, item):
        return validators.card_masked(text)


@dataclass(frozen=True)
class File(Kind):
    accepts_file = True
    free_text = False
    hint: str = field(
        default=N_("Please send a photo or a file (PDF, JPEG, PNG, WebP, HEIC), or press Done.")
    )

    def parse(self, text, ctx, case, item):
        return Invalid(self.hint)

    def show(self, value, lang):
        return "" if not value else str(value)
