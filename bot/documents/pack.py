"""The evidence pack: one ZIP a merchant can hand to a bank, a lawyer or a court.

    documents/<id>.<lang>.pdf|docx     every output that applies (letters, checklist, evidence list)
    evidence/<kind>/<NN>-<file name>   the evidence files, by kind, when their bytes are at hand
    case.json                          the case (card numbers masked again, to be safe)
    timeline.<lang>.txt                what happened when, in the merchant's language
    manifest.json                      every file's SHA-256 and size; every evidence item, included or not

An evidence item whose bytes are not at hand (the `draft` CLI run on a case file alone) is listed
in the manifest as not included, with the SHA-256 recorded when it was received, so the pack still
says exactly which file belongs to the case.

Entry names are cleaned (`zipparts.Names`: no control or bidi characters, nothing Windows refuses, at
most 100 characters, unique); the manifest keeps each evidence file's original name. With a
`part_limit` (Telegram takes at most 50 MB from a bot) a large pack comes as several ZIPs, each with
its own manifest listing the whole set (see zipparts.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot import zipparts
from bot.documents.context import fmt_date
from conversations.cards import mask_card_numbers, mask_everywhere
from conversations.chars import fit, fit_everywhere
from conversations.outputs import items, moment, plan_outputs

if TYPE_CHECKING:
    from bot.documents import Rendered, RenderedFile

PACK_NAME = "evidence-pack.zip"
_KIND = re.compile(r"[^a-z0-9_]+")
_EXT = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def masked(value: object) -> object:
    """A copy of a JSON value with every string masked for card numbers (and fit to be written)."""
    return mask_everywhere(fit_everywhere(value))


def _evidence_name(no: int, item: dict) -> str:
    name = str(item.get("file_name") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = mask_card_numbers(fit(name))[0]  # a case.json from elsewhere (the draft CLI) may hold any name
    name = zipparts.clean_component(name, 80)
    if not name:
        sha = str(item.get("sha256") or "file")[:12]
        name = sha + _EXT.get(str(item.get("mime") or ""), "")
    return f"{no:02d}-{name}"


def _sort_key(entry: dict) -> str:
    found = moment(entry.get("at"))
    if isinstance(found, datetime):
        return found.isoformat()
    if isinstance(found, date):
        return found.isoformat() + "T00:00"
    return "9999"


def timeline_text(case: dict, lang: str) -> str:
    title = "案件时间线" if lang == "zh" else "Case timeline"
    lines = [f"{title} {case.get('id') or ''}".strip(), ""]
    for entry in sorted(items(case, "timeline"), key=_sort_key):
        when = fmt_date(entry.get("at"), lang) or str(entry.get("at") or "")
        text = mask_card_numbers(fit(" ".join(str(entry.get("text") or entry.get("event") or "").split())))[0]
        lines.append(f"{when}  {text}")
    return "\n".join(lines) + "\n"


def build_pack(
    case: dict,
    rendered: list[Rendered],
    *,
    evidence_bytes: Callable[[str], bytes | None] | None,
    now: datetime,
    lang: str,
    part_limit: int | None = None,
) -> list[RenderedFile]:
    """The pack as one ZIP, or (with `part_limit`) as parts of at most that many bytes of files each."""
    from bot.documents import RenderedFile

    names = zipparts.Names()
    entries: list[zipparts.Entry] = []
    for item in rendered:
        entries += [zipparts.Entry(names.add("documents", f.name), f.data) for f in item.files]

    evidence_manifest = []
    for no, item in enumerate(items(case, "evidence"), start=1):
        recorded = item.get("sha256") if isinstance(item.get("sha256"), str) else None
        data = evidence_bytes(recorded) if evidence_bytes and recorded else None
        kind = _KIND.sub("_", str(item.get("kind") or "other").lower()) or "other"
        record = {
            "no": no,
            "kind": kind,
            "file_name": masked(item.get("file_name")),
            "caption": masked(item.get("caption")),
            "sha256": recorded,
            "size": item.get("size"),
            "included": data is not None,
            "path": None,
        }
        if data is not None:
            original = str(masked(item.get("file_name") or ""))
            path = names.add(f"evidence/{kind}", _evidence_name(no, item), fallback=f"{no:02d}-file")
            entries.append(zipparts.Entry(path, data, original=original or None))
            record["path"] = path
            actual = sha256(data)
            if recorded and actual != recorded.lower():
                record["sha256_actual"] = actual
                record["note"] = "content does not match the SHA-256 recorded when the file was received"
        else:
            record["note"] = "file not included: only its recorded SHA-256 is known here"
        evidence_manifest.append(record)

    case_json = json.dumps(masked(case), ensure_ascii=False, indent=2).encode("utf-8")
    entries.append(zipparts.Entry(names.add("", "case.json"), case_json, first=True))
    timeline = timeline_text(case, lang).encode("utf-8")
    entries.append(zipparts.Entry(names.add("", f"timeline.{lang}.txt"), timeline, first=True))
    outputs = [
        {"id": p.id, "applies": p.applies, "reason": p.reason.format(**p.params)} for p in plan_outputs(case)
    ]

    def manifest(info: dict) -> dict:
        where = {f["path"]: f["part"] for f in info["set"]}
        left_out = {f["path"] for f in info["left_out"]}
        evidence = []
        for record in evidence_manifest:
            record = dict(record)
            if record["path"] in left_out:
                record.update(
                    included=False,
                    note="larger than Telegram lets a bot send (50 MB): not in the pack; its SHA-256 "
                    "identifies the original you sent, which a smaller copy can replace",
                )
            elif record["path"] is not None and info["parts"] > 1:
                record["part"] = where.get(record["path"])
            evidence.append(record)
        body = {
            "case_id": masked(case.get("id")),
            "generated_at": now.isoformat(timespec="seconds"),
            "generator": "POS Dispute Assistant",
            "files": info["files"],
            "evidence": evidence,
            "outputs": outputs,
            "note": "SHA-256 of every file in this pack, and of every evidence file recorded in the case.",
        }
        if info["parts"] > 1 or info["left_out"]:
            body.update(
                part=info["part"],
                parts=info["parts"],
                set=info["set"],
                left_out=info["left_out"],
                note="SHA-256 of every file in this part; `set` lists every file of every part.",
            )
        return body

    parts = zipparts.build(PACK_NAME, entries, manifest=manifest, now=now, limit=part_limit)
    return [RenderedFile(p.name, p.data, "application/zip") for p in parts]
