"""The evidence pack, render_all and the `draft` command line."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from bot.documents import render_all, render_evidence_pack, render_output
from bot.documents.cli import main
from conversations.outputs import plan_outputs
from tests.documents_support import CASES, NOW, load


def open_pack(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_pack_from_a_case_file_alone_lists_evidence_as_not_included():
    case = load("denied-charge-zh")
    pack = render_evidence_pack(case, now=NOW)
    assert pack.name == "evidence-pack.zip" and pack.mime == "application/zip"
    files = open_pack(pack.data)
    for name in (
        "case.json",
        "timeline.zh.txt",
        "manifest.json",
        "documents/acquirer.zh.pdf",
        "documents/evidence_list.zh.docx",
    ):
        assert name in files, name
    assert not any(name.startswith("evidence/") for name in files)
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for path, sha in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == sha
    assert [(e["sha256"], e["included"]) for e in manifest["evidence"]] == [
        (e["sha256"], False) for e in case["evidence"]
    ]
    assert {o["id"]: o["applies"] for o in manifest["outputs"]}["police"] is False
    timeline = files["timeline.zh.txt"].decode()
    assert timeline.index("2025年11月22日") < timeline.index("收单机构通知调单")


def test_pack_holds_evidence_files_by_kind_and_flags_a_mismatch():
    case = load("denied-charge-zh")
    slip, still = b"\xff\xd8 slip photo", b"\xff\xd8 camera still"
    case["evidence"][0]["sha256"] = hashlib.sha256(slip).hexdigest()
    store = {case["evidence"][0]["sha256"]: slip, case["evidence"][1]["sha256"]: still}  # still: wrong hash
    files = open_pack(render_evidence_pack(case, evidence_bytes=store.get, now=NOW).data)
    assert files["evidence/signed_slip/01-slip-004518.jpg"] == slip
    assert files["evidence/cctv/02-cctv-1829.jpg"] == still
    evidence = json.loads(files["manifest.json"])["evidence"]
    assert evidence[0]["included"] and "note" not in evidence[0]
    assert evidence[1]["sha256_actual"] == hashlib.sha256(still).hexdigest()
    assert "does not match" in evidence[1]["note"]


def test_render_all_writes_every_applicable_output(tmp_path):
    case = load("lost-terminal-en")
    written = {p.name for p in render_all(case, tmp_path, now=NOW)}
    for plan in plan_outputs(case):
        assert (f"{plan.id}.en.pdf" in written or f"{plan.id}.zh.pdf" in written) == plan.applies, plan.id
    assert {"evidence-pack.zip", "outputs.json", "police.zh.pdf", "police.en.docx"} <= written
    reasons = {o["id"]: o for o in json.loads((tmp_path / "outputs.json").read_text())}
    assert "victim" in reasons["complaint"]["reason"]


def test_draft_command_line(tmp_path, capsys):
    case_file = CASES / "chargeback-debited-service-zh.json"  # written with the new field ids
    assert main(["draft", str(case_file), "--out", str(tmp_path), "--now", "2025-11-28T10:00:00+08:00"]) == 0
    assert (tmp_path / "complaint.zh.pdf").exists() and (tmp_path / "evidence-pack.zip").exists()
    assert (tmp_path / "confirmation.zh.pdf").exists() and not (tmp_path / "no_contest.zh.pdf").exists()
    err = capsys.readouterr().err
    assert "not drafted: police" in err and "not drafted: no_contest" in err
    assert main([str(case_file), "--out", str(tmp_path / "en"), "--lang", "en"]) == 0
    assert (tmp_path / "en" / "complaint.en.docx").exists() and (
        tmp_path / "en" / "checklist.en.pdf"
    ).exists()
    assert main(["draft", str(tmp_path / "missing.json"), "--out", str(tmp_path)]) == 2


def test_draft_takes_evidence_files_from_a_folder(tmp_path):
    case = load("denied-charge-zh")
    photo = b"\x89PNG fake"
    case["evidence"][0].update(sha256=hashlib.sha256(photo).hexdigest(), file_name="slip.png")
    (tmp_path / "case.json").write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "slip.png").write_bytes(photo)
    assert (
        main(
            [
                str(tmp_path / "case.json"),
                "--out",
                str(tmp_path / "out"),
                "--evidence",
                str(tmp_path / "files"),
            ]
        )
        == 0
    )
    files = open_pack((tmp_path / "out" / "evidence-pack.zip").read_bytes())
    assert files["evidence/signed_slip/01-slip.png"] == photo


@pytest.mark.parametrize("scenario", ["denied_charge", "lost_terminal"])
def test_a_sparse_case_still_renders(scenario):
    case = {
        "scenario": scenario,
        "language": "zh",
        "txn": [{"amount": "10.00"}],
        "customer": {"name": "王女士"},
    }
    for plan in plan_outputs(case):
        if plan.applies:
            result = render_output(case, plan.id, now=NOW)
            assert result.chat_html and result.files
