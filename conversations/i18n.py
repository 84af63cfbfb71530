"""Interface language: gettext catalogs compiled from `locales/*/LC_MESSAGES/messages.po`.

Catalogs are compiled in memory from the `.po` files the first time a language is used (no build
step, nothing written to disk), so a fresh checkout runs as it is. Message ids are whole English
sentences with named placeholders; `N_` marks a string for extraction without translating it, so
it can be translated per user when sent.
"""

from __future__ import annotations

import gettext
import io
import threading
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_CATALOG_DIRS = {"zh": "zh_CN", "en": "en"}
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}

_lock = threading.Lock()
_translations: dict[str, gettext.NullTranslations] = {}


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated when it is shown."""
    return message


def language_from_code(code: str | None) -> str:
    """Map a Telegram client language code (zh-hans, zh-CN, zh-hant, en-US...) to zh or en."""
    if not code:
        return DEFAULT_LANGUAGE
    code = code.strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return "en"


def _compile(lang: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / _CATALOG_DIRS[lang] / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=_CATALOG_DIRS[lang])
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translations(lang: str) -> gettext.NullTranslations:
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    found = _translations.get(lang)
    if found is None:
        with _lock:
            found = _translations.get(lang)
            if found is None:
                found = _translations[lang] = _compile(lang)
    return found


def translate(lang: str, message: str, **params: object) -> str:
    """Translate `message` into `lang` and fill its named placeholders."""
    text = translations(lang).gettext(message)
    return text.format(**params) if params else text


def reload() -> None:
    """Forget compiled catalogs (after editing a .po file in a running process or a test)."""
    with _lock:
        _translations.clear()
