"""ZIP archives a merchant can open anywhere, in parts that Telegram accepts from a bot.

Entry names: no control or bidi characters (a right-to-left override makes `x.exe.pdf` look like
`x.fdp.exe`), none of `\\ / : * ? " < > |` (Windows cannot extract them), at most `NAME_LIMIT`
characters, unique regardless of case. The original name stays in the archive's manifest.

Parts: Telegram refuses an upload over 50 MB from a bot (HTTP 413), so an archive whose files add
up to more is cut into parts of at most `PART_LIMIT` bytes of files each, `NAME.part1of3.zip`, …
Each part holds its own `manifest.json`: the files in it, and every file of the whole set with its
SHA-256 and the part it is in. A single file too large for any part is left out and listed (with
its SHA-256) in every manifest as not included.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024  # what the Bot API takes from a bot in one file
PART_LIMIT = 45 * 1000 * 1000  # bytes of files in one part: room for the ZIP's own records and manifest
NAME_LIMIT = 100
_FORBIDDEN = set('\\/:*?"<>|')
_BAD_CATEGORIES = {
    "Cc",
    "Cf",
    "Cs",
    "Co",
    "Cn",
    "Zl",
    "Zp",
}  # controls, format (bidi, zero-width), unassigned
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_component(name: str, limit: int = NAME_LIMIT) -> str:
    """One file or folder name made safe to extract on Windows, macOS and Linux, at most `limit` characters."""
    name = unicodedata.normalize("NFC", name)
    out = "".join(
        ""
        if unicodedata.category(ch) == "Cf"  # bidi controls, zero-width characters: dropped
        else "_"
        if ch in _FORBIDDEN or unicodedata.category(ch) in _BAD_CATEGORIES
        else ch
        for ch in name
    )
    out = re.sub(r"\s+", " ", re.sub(r"_{2,}", "_", out)).strip(" ._")
    if _RESERVED.match(out):
        out = "_" + out
    if len(out) > limit:
        stem, dot, ext = out.rpartition(".")
        if dot and 0 < len(ext) <= 8 and stem:
            out = stem[: limit - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            out = out[:limit].rstrip(" .")
    return out


class Names:
    """Entry paths for one archive: cleaned, at most `NAME_LIMIT` characters in all, unique ignoring case."""

    def __init__(self, limit: int = NAME_LIMIT) -> None:
        self.limit = limit
        self.used: set[str] = set()

    def add(self, folder: str, name: str, fallback: str = "file") -> str:
        prefix = f"{folder}/" if folder else ""
        room = max(8, self.limit - len(prefix))
        base = clean_component(name, room) or clean_component(fallback, room) or "file"
        candidate = prefix + base
        number = 1
        while candidate.lower() in self.used:
            number += 1
            stem, dot, ext = base.rpartition(".")
            suffix = f"-{number}"
            if not (dot and stem and len(ext) <= 8):
                stem, ext = base, ""
            stem = stem[: room - len(suffix) - (len(ext) + 1 if ext else 0)]
            candidate = prefix + stem + suffix + (f".{ext}" if ext else "")
        self.used.add(candidate.lower())
        return candidate


@dataclass
class Entry:
    path: str
    data: bytes
    original: str | None = None  # the name as received, when the path had to be cleaned
    first: bool = False  # kept in the first part (case.json, the timeline)


@dataclass
class Part:
    name: str
    data: bytes


@dataclass
class Planned:
    """Which part each entry goes into; entries too large for any part are left out."""

    parts: list[list[Entry]] = field(default_factory=list)
    too_large: list[Entry] = field(default_factory=list)


def plan(entries: list[Entry], limit: int | None) -> Planned:
    """Fill parts in order (first-part entries first); an entry over `limit` on its own is left out."""
    planned = Planned()
    if limit is None:
        planned.parts = [list(entries)]
        return planned
    ordered = [e for e in entries if e.first] + [e for e in entries if not e.first]
    current: list[Entry] = []
    size = 0
    for entry in ordered:
        if len(entry.data) > limit:
            planned.too_large.append(entry)
            continue
        if current and size + len(entry.data) > limit:
            planned.parts.append(current)
            current, size = [], 0
        current.append(entry)
        size += len(entry.data)
    planned.parts.append(current)
    return planned


def part_names(base: str, count: int) -> list[str]:
    if count == 1:
        return [base]
    stem, _, ext = base.rpartition(".")
    return [f"{stem}.part{n}of{count}.{ext}" for n in range(1, count + 1)]


def build(
    base: str,
    entries: list[Entry],
    *,
    manifest: Callable[[dict], dict],
    now: datetime,
    limit: int | None = PART_LIMIT,
) -> list[Part]:
    """The archive as one or more parts; `manifest(parts_info)` returns each part's manifest.json content.

    `parts_info` has `part`, `parts`, `files` (this part's entries) and `set` (every file of every
    part, and the files left out), so that each part can be checked on its own and against the set."""
    planned = plan(entries, limit)
    names = part_names(base, len(planned.parts))
    whole = [
        {"path": e.path, "sha256": sha256(e.data), "size": len(e.data), "part": names[n]}
        | ({"original_name": e.original} if e.original else {})
        for n, part in enumerate(planned.parts)
        for e in part
    ]
    left_out = [
        {
            "path": e.path,
            "sha256": sha256(e.data),
            "size": len(e.data),
            "included": False,
            "note": "larger than Telegram lets a bot send (50 MB): not in any part; the SHA-256 identifies "
            "the original, which a smaller copy can replace",
        }
        | ({"original_name": e.original} if e.original else {})
        for e in planned.too_large
    ]
    stamp = now.timetuple()[:6]
    out: list[Part] = []
    for n, part in enumerate(planned.parts):
        info = {
            "part": n + 1,
            "parts": len(planned.parts),
            "name": names[n],
            "files": [
                {"path": e.path, "sha256": sha256(e.data), "size": len(e.data)}
                | ({"original_name": e.original} if e.original else {})
                for e in part
            ],
            "set": whole,
            "left_out": left_out,
        }
        content = json.dumps(manifest(info), ensure_ascii=False, indent=2).encode("utf-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in [(e.path, e.data) for e in part] + [("manifest.json", content)]:
                item = zipfile.ZipInfo(path, date_time=stamp)
                item.compress_type = zipfile.ZIP_DEFLATED
                item.flag_bits |= 0x800  # UTF-8 names
                archive.writestr(item, data)
        out.append(Part(names[n], buffer.getvalue()))
    return out
