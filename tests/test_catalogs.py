"""The gettext catalogs: in step with the code, fully translated into Chinese, and compilable.

When one of these fails after you added or changed an interface string, run
`./scripts/update_catalogs.sh`, then fill the empty `msgstr ""` entries of
`locales/zh_CN/LC_MESSAGES/messages.po` (the English catalog keeps empty msgstr: English falls back to
the msgid). The failure message lists the msgids concerned.
"""

from __future__ import annotations

import ast
import gettext
import re
import shlex
import string
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.util import pathmatch

from conversations import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
CATALOGS = {
    "zh_CN": LOCALES / "zh_CN" / "LC_MESSAGES" / "messages.po",
    "en": LOCALES / "en" / "LC_MESSAGES" / "messages.po",
}
UPDATE_SCRIPT = ROOT / "scripts" / "update_catalogs.sh"
# The extraction of scripts/update_catalogs.sh (kept in step by test_extraction_matches_update_script).
MAPPING = "babel.cfg"
KEYWORDS = ("N_", "translate:2", "t")

# Telegram's HTML tags (https://core.telegram.org/bots/api#html-style).
TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|code|pre|span|tg-spoiler|tg-emoji|blockquote)\b[^<>]*>"
)

Key = tuple[str | None, str]


def _key(message: Message) -> Key:
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    return (message.context, msgid)


def _show(key: Key) -> str:
    context, msgid = key
    return f"  {msgid!r}" + (f" (msgctxt {context!r})" if context else "")


def _report(title: str, keys: object) -> str:
    return title + "\n" + "\n".join(_show(k) for k in sorted(keys, key=lambda k: (k[1], k[0] or "")))


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


def _entries(catalog: Catalog) -> dict[Key, Message]:
    return {_key(m): m for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[Key, Message]:
    """The strings the code marks today, extracted as scripts/update_catalogs.sh does."""
    out = tmp_path_factory.mktemp("catalogs") / "messages.pot"
    argv = ["pybabel", "--quiet", "extract", "-F", str(ROOT / MAPPING)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    argv += [
        "--no-location",
        "--sort-output",
        "--project",
        "POS Dispute Assistant",
        "-o",
        str(out),
        str(ROOT),
    ]
    CommandLineInterface().run(argv)
    return _entries(_read(out))


@pytest.fixture(scope="module")
def zh_catalog() -> Catalog:
    return _read(CATALOGS["zh_CN"], locale="zh_CN")


def test_extraction_matches_update_script():
    """The extraction above is the one of scripts/update_catalogs.sh (same keywords, same mapping)."""
    if not UPDATE_SCRIPT.exists():
        pytest.skip("scripts/update_catalogs.sh is not there")
    tokens = shlex.split(UPDATE_SCRIPT.read_text(encoding="utf-8"), comments=True)
    start = tokens.index("extract")
    end = tokens.index("-o", start)
    args = tokens[start:end]
    keywords = tuple(args[i + 1] for i, arg in enumerate(args) if arg in ("-k", "--keyword", "--keywords"))
    mapping = next(args[i + 1] for i, arg in enumerate(args) if arg in ("-F", "--mapping-file", "--mapping"))
    assert (sorted(keywords), mapping) == (sorted(KEYWORDS), MAPPING), (
        "tests/test_catalogs.py extracts with other options than scripts/update_catalogs.sh: "
        "update KEYWORDS / MAPPING in the test"
    )


def _marked_in_source() -> dict[str, list[str]]:
    """Literal strings passed to the keywords above, found with `ast` (which also sees inside f-strings)."""
    argnums = {"_": 0, "gettext": 0}
    for keyword in KEYWORDS:
        name, _, num = keyword.partition(":")
        argnums[name] = int(num) - 1 if num else 0
    patterns = re.findall(r"^\[python:\s*(.+?)\s*\]", (ROOT / MAPPING).read_text(encoding="utf-8"), re.M)
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if any(part.startswith((".", "_")) for part in rel.split("/")[:-1]):
            continue
        if not any(pathmatch(pattern, rel) for pattern in patterns):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            index = argnums.get(name)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                found.setdefault(arg.value, []).append(f"{rel}:{node.lineno}")
    return found


def test_no_plain_name_is_a_gettext_keyword():
    """Babel 2.19 reads `t["x"]` as a gettext call when `t` is an extraction keyword, so a variable named
    like a keyword puts dictionary keys into the catalog. Only `turn.t(...)`-style attributes may use them."""
    names = {keyword.partition(":")[0] for keyword in KEYWORDS}
    patterns = re.findall(r"^\[python:\s*(.+?)\s*\]", (ROOT / MAPPING).read_text(encoding="utf-8"), re.M)
    clashes = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(".") or not any(pathmatch(pattern, rel) for pattern in patterns):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if isinstance(node, ast.Name) and node.id in names and not isinstance(node.ctx, ast.Load):
                clashes.append(f"{rel}:{node.lineno} binds {node.id!r}")
            elif isinstance(node, ast.arg) and node.arg in names:
                clashes.append(f"{rel}:{node.lineno} argument {node.arg!r}")
    assert not clashes, "Variables named like a gettext keyword (rename them):\n" + "\n".join(clashes)


def test_extractor_sees_every_marked_string(extracted: dict[Key, Message]):
    """Marked strings pybabel misses: inside an f-string (on Python 3.11), or N_() nested in another call
    inside t()/translate(), e.g. `t(KINDS.get(kind, N_("x")))`."""
    unseen = {msgid: where for msgid, where in _marked_in_source().items() if (None, msgid) not in extracted}
    assert not unseen, (
        "Strings marked for translation that pybabel does not extract, so they are never translated "
        "(the call is inside an f-string, or N_() is nested in another call inside t()/translate(): "
        "assign the N_() string to a variable or a module constant first):\n"
        + "\n".join(f"  {msgid!r} at {', '.join(where)}" for msgid, where in sorted(unseen.items()))
    )


@pytest.mark.parametrize("name", ["messages.pot", *CATALOGS])
def test_catalog_has_the_strings_of_the_code(extracted: dict[Key, Message], name: str):
    path = POT if name == "messages.pot" else CATALOGS[name]
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run ./scripts/update_catalogs.sh"
    have = _entries(_read(path))
    missing = extracted.keys() - have.keys()
    stale = have.keys() - extracted.keys()
    problems = []
    if missing:
        problems.append(_report(f"{len(missing)} string(s) in the code but not in the catalog:", missing))
    if stale:
        problems.append(_report(f"{len(stale)} string(s) in the catalog but no longer in the code:", stale))
    assert not problems, (
        f"{path.relative_to(ROOT)} is out of date; run ./scripts/update_catalogs.sh "
        "(then translate the new zh_CN entries).\n" + "\n".join(problems)
    )


def test_every_string_is_translated_into_chinese(zh_catalog: Catalog):
    untranslated = {_key(m) for m in zh_catalog if m.id and not all(s.strip() for s in _strings(m))}
    fuzzy = {_key(m) for m in zh_catalog if m.id and m.fuzzy}
    problems = []
    if untranslated:
        problems.append(_report(f"{len(untranslated)} msgid(s) with an empty msgstr:", untranslated))
    if fuzzy:
        problems.append(
            _report(f"{len(fuzzy)} fuzzy entries (not used until the fuzzy flag is removed):", fuzzy)
        )
    assert not problems, "Translate these in locales/zh_CN/LC_MESSAGES/messages.po:\n" + "\n".join(problems)


def _placeholders(text: str) -> Counter[str]:
    """The `{name}` / `{name:spec}` fields that str.format fills, counted."""
    found: Counter[str] = Counter()
    try:
        for _, field, spec, conversion in string.Formatter().parse(text):
            if field is not None:
                found[
                    "{"
                    + field
                    + (f"!{conversion}" if conversion else "")
                    + (f":{spec}" if spec else "")
                    + "}"
                ] += 1
    except ValueError as exc:
        found[f"<unbalanced braces: {exc}>"] += 1
    return found


def test_placeholders_are_kept(zh_catalog: Catalog):
    bad = []
    for m in zh_catalog:
        if not m.id:
            continue
        expected = set().union(*(_placeholders(i) for i in _ids(m)))
        for s in _strings(m):
            if s and set(_placeholders(s)) != expected:
                bad.append(
                    f"  {_ids(m)[0]!r}\n      msgid has {sorted(expected)}, msgstr has {sorted(_placeholders(s))}"
                )
    assert not bad, (
        "zh_CN msgstr whose {placeholders} differ from the msgid's (keep the same names):\n" + "\n".join(bad)
    )


def test_html_tags_are_kept(zh_catalog: Catalog):
    bad = []
    for m in zh_catalog:
        if not m.id:
            continue
        expected = Counter(TAG.findall(_ids(m)[0]))
        for s in _strings(m):
            if s and Counter(TAG.findall(s)) != expected:
                bad.append(
                    f"  {_ids(m)[0]!r}\n      msgid has {sorted(expected.elements())}, "
                    f"msgstr has {sorted(TAG.findall(s))}"
                )
    assert not bad, "zh_CN msgstr whose HTML tags differ from the msgid's:\n" + "\n".join(bad)


def test_catalogs_compile_and_are_used(zh_catalog: Catalog):
    i18n.reload()
    try:
        zh = i18n.translations("zh")
        en = i18n.translations("en")
        assert isinstance(zh, gettext.GNUTranslations), "the zh_CN catalog did not load"
        assert isinstance(en, gettext.GNUTranslations), "the en catalog did not load"
        wrong = [
            _show(_key(m))
            for m in zh_catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy and zh.gettext(m.id) != m.string
        ]
        assert not wrong, "Compiled zh catalog does not give the .po translation for:\n" + "\n".join(wrong)
        failing = []
        for m in zh_catalog:
            if m.id and isinstance(m.id, str) and "{" in m.id:
                params = {re.split(r"[.\[!:]", name[1:-1])[0]: 1 for name in _placeholders(m.id)}
                for lang in i18n.LANGUAGES:
                    try:
                        i18n.translate(lang, m.id, **params)
                    except (KeyError, IndexError, ValueError) as exc:
                        failing.append(f"  [{lang}] {m.id!r}: {exc!r}")
        assert not failing, "translate() fails to fill the placeholders of:\n" + "\n".join(failing)
    finally:
        i18n.reload()
