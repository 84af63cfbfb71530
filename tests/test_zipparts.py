"""Names inside every ZIP (evidence pack, /export) extract anywhere, and large archives come in parts under 50 MB."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import account, zipparts
from bot.documents import render_evidence_pack, render_evidence_pack_parts
from bot.storage import repo
from conversations.chars import fit
from tests.conftest import SHANGHAI
from tests.documents_support import load

NOW = datetime(2025, 11, 28, 10, 0, tzinfo=SHANGHAI)
FORBIDDEN = set('\\:*?"<>|')
HOSTILE = [
    "10-\u202egpj.exe.pdf",  # shows as …fdp.exe.jpg
    "card 622588******7898.pdf",
    'a\\b/c:d*e?f"g<h>i|j.jpg',
    "tab\there\nnewline\x00nul\x7fdel.png",
    "zero\u200bwidth\u200d\ufeff.pdf",
    "\u2066isolate\u2069 \u200fmark\u061c.pdf",
    "CON.pdf",
    "nul",
    "  ..  ",
    "长" * 300 + ".pdf",
    "x" * 500,
    "Photo.JPG",
    "photo.jpg",
    "line\u2028separator.pdf",
]


def names_ok(names: list[str]) -> None:
    assert len({n.lower() for n in names}) == len(names), names  # unique, ignoring case
    for name in names:
        assert len(name) <= zipparts.NAME_LIMIT, name
        for part in name.split("/"):
            assert part and part not in (".", "..") and not part.endswith((" ", ".")), name
            assert not FORBIDDEN & set(part), name
            assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs") for ch in part), name


def test_hostile_names_are_cleaned_and_kept_unique():
    names = zipparts.Names()
    paths = [names.add("evidence/other", name) for name in HOSTILE]
    names_ok(paths)
    assert paths[0] == "evidence/other/10-gpj.exe.pdf"  # the override is gone: what it says is what it is
    assert paths[1] == "evidence/other/card 622588_7898.pdf"
    assert paths[6] == "evidence/other/_CON.pdf"
    assert paths[9].endswith(".pdf") and len(paths[9]) == 100  # the extension survives the cut
    assert {paths[11].lower(), paths[12].lower()} == {
        "evidence/other/photo.jpg",
        "evidence/other/photo-2.jpg",
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=160), min_size=1, max_size=12))
def test_any_names_pass_the_rules(raw):
    names = zipparts.Names()
    names_ok([names.add("files", name, fallback="file") for name in raw])


def _case_with(files: dict[str, bytes]) -> dict:
    case = load("denied-charge-zh")
    case["evidence"] = [
        {
            "kind": "other",
            "file_name": name,
            "sha256": zipparts.sha256(data),
            "size": len(data),
            "mime": "image/jpeg",
        }
        for name, data in files.items()
    ]
    return case


def test_pack_names_pass_the_rules_and_the_manifest_keeps_the_original():
    files = {name: f"bytes of {n}".encode() for n, name in enumerate(HOSTILE)}
    by_sha = {zipparts.sha256(data): data for data in files.values()}
    pack = render_evidence_pack(_case_with(files), evidence_bytes=by_sha.get, now=NOW)
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    names_ok(names)
    originals = {f["path"]: f.get("original_name") for f in manifest["files"]}
    evidence = [e for e in manifest["evidence"] if e["included"]]
    assert len(evidence) == len(HOSTILE)
    assert [originals[e["path"]] for e in evidence] == [e["file_name"] for e in evidence]
    # the names as stored (characters no file can hold dropped when received), next to the cleaned paths
    assert [e["file_name"] for e in evidence] == [fit(name) for name in HOSTILE]
    assert evidence[0]["file_name"] == "10-\u202egpj.exe.pdf"


def test_a_large_pack_comes_in_parts_each_with_the_whole_sets_list():
    big = {f"statement-{n}.pdf": bytes([n]) * 20_000_000 for n in range(3)}  # 60 MB of evidence
    by_sha = {zipparts.sha256(data): data for data in big.values()}
    parts = render_evidence_pack_parts(
        _case_with(big), evidence_bytes=by_sha.get, now=NOW, part_limit=zipparts.PART_LIMIT
    )
    assert [p.name for p in parts] == ["evidence-pack.part1of2.zip", "evidence-pack.part2of2.zip"]
    every: dict[str, str] = {}
    sets = []
    for number, part in enumerate(parts, start=1):
        assert len(part.data) < zipparts.TELEGRAM_UPLOAD_LIMIT
        with zipfile.ZipFile(io.BytesIO(part.data)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            inside = {n: zipparts.sha256(archive.read(n)) for n in archive.namelist() if n != "manifest.json"}
        assert manifest["part"] == number and manifest["parts"] == 2
        assert {f["path"]: f["sha256"] for f in manifest["files"]} == inside
        every |= inside
        sets.append(manifest["set"])
    assert sets[0] == sets[1]
    assert {f["path"]: f["sha256"] for f in sets[0]} == every  # the set is exactly what the parts hold
    assert {f["sha256"] for f in sets[0]} >= set(by_sha)
    assert "case.json" in {f["path"] for f in sets[0] if f["part"] == parts[0].name}


def test_a_file_too_large_for_any_part_is_listed_not_sent():
    files = {"small.jpg": b"small", "huge.pdf": b"h" * 2000}
    by_sha = {zipparts.sha256(data): data for data in files.values()}
    parts = render_evidence_pack_parts(_case_with(files), evidence_bytes=by_sha.get, now=NOW, part_limit=1000)
    with zipfile.ZipFile(io.BytesIO(parts[0].data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = archive.namelist()
    assert not any(n.endswith("huge.pdf") for n in names)
    left = manifest["left_out"]
    assert [f["sha256"] for f in left if f["path"].endswith("huge.pdf")] == [
        zipparts.sha256(files["huge.pdf"])
    ]
    huge = next(e for e in manifest["evidence"] if e["file_name"] == "huge.pdf")
    assert huge["included"] is False and "smaller copy" in huge["note"]


def test_export_names_pass_the_rules(db):
    with db.session() as session:
        repo.lock_user(session, 5)
        for n, name in enumerate(HOSTILE):
            data = f"file {n}".encode()
            repo.store_blob(session, zipparts.sha256(data), data, "image/jpeg")
            repo.add_evidence_file(
                session, 5, None, zipparts.sha256(data), name[:255], "image/jpeg", len(data)
            )
    with db.session() as session:
        parts = account.export_parts(session, 5, SHANGHAI, name="my-data.zip")
    assert [p.name for p in parts] == ["my-data.zip"]
    with zipfile.ZipFile(io.BytesIO(parts[0].data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    names_ok(names)
    assert sorted(f["original_name"] for f in manifest["files"] if f["path"].startswith("files/")) == sorted(
        name[:255] for name in HOSTILE
    )
