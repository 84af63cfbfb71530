"""Input kinds: how a question is answered (buttons, typed text, a file) and how it is read.

A kind reads an answer into a stored value (`parse`), offers buttons (`options`) and shows a
stored value back (`show`). Flows pick a kind per field; the engine never looks inside one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from conversations import fmt, validators
from conversations.i18n import N_, translate
from conversations.validators import Invalid, Result, Valid

if TYPE_CHECKING:
    from conversations.engine import Context

YES_WORDS = {"yes", "y", "是", "是的", "有", "对", "已", "已经", "好", "ok", "true", "1"}
NO_WORDS = {"no", "n", "否", "不", "没有", "无", "不是", "没", "未", "还没", "false", "0"}


@dataclass(frozen=True)
class Kind:
    accepts_file = False
    free_text = True

    def options(self, case: dict) -> list[tuple[str, str]]:
        """(value, label message id) for each button."""
        return []

    def parse(self, text: str, ctx: Context, case: dict, item: dict | None) -> Result:
        raise NotImplementedError

    def from_option(self, value: str) -> object:
        return value

    def show(self, value: object, lang: str) -> str:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Text(Kind):
    max_len: int = 200

    def parse(self, text, ctx, case, item):
        return validators.text(text, max_len=self.max_len)


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[tuple[str, str], ...] = ()
    free_text: bool = False  # True: buttons are suggestions, any typed text is taken as it is
    max_len: int = 100

    def options(self, case):
        return list(self.values)

    def parse(self, text, ctx, case, item):
        typed = validators.clean(text).lower()
        for value, label in self.values:
            labels = {
                value.lower(),
                label.lower(),
                translate("zh", label).lower(),
                translate("en", label).lower(),
            }
            if typed in labels:
                return Valid(value)
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

    def parse(self, text, ctx, case, item):
        typed = validators.clean(text).lower().rstrip("。.!！")
        if typed in YES_WORDS:
            return Valid(True)
        if typed in NO_WORDS:
            return Valid(False)
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
        )

    def show(self, value, lang):
        return fmt.moment(value, lang)


@dataclass(frozen=True)
class Date(Kind):
    not_future: bool = False
    after: str | None = None

    def parse(self, text, ctx, case, item):
        earlier = _earlier(case, item, self.after)
        return validators.date_only(
            text,
            now=ctx.now,
            tz=ctx.tz,
            not_future=self.not_future,
            not_before=date.fromisoformat(earlier[:10]) if earlier else None,
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
