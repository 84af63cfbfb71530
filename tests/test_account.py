"""The merchant's own data: consent before the first case, /export everything, /delete everything, no groups."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from PIL import Image
from sqlalchemy import text

from bot.storage import Database
from conversations import Incoming
from tests.conftest import FIXED_NOW
from tests.support import Chat, review

MARKER_NAME = "Zebra Crossing Noodles 斑马面馆"


def _finished(db) -> Chat:
    from tests.support import DENIED

    chat = review(Chat(db), {**DENIED, "merchant.name": MARKER_NAME})
    chat.choose("confirm")
    return chat


def test_privacy_notice_before_the_first_case_only(db):
    chat = Chat(db).send("/start")
    assert "outside mainland China" in chat.text and "365 days" in chat.text and "/delete" in chat.text
    chat.choose("case.scenario=denied_charge")
    with db.session() as s:
        assert s.execute(text("SELECT consent_at FROM users WHERE id = 1001")).scalar_one() is not None
    chat.send("/cancel").send("/start")
    assert "outside mainland China" not in chat.text
    chat.send("/privacy")
    assert "outside mainland China" in chat.text


def test_card_question_asks_its_own_consent(db):
    from tests.support import DENIED

    chat = Chat(db).send("/start")
    chat.answer_until("txn.card_masked", DENIED)
    assert "sensitive personal information" in chat.text and "skip" in chat.choices


def test_export_sends_everything(db, tmp_path: Path):
    chat = Chat(db).send("/start")
    photo = tmp_path / "slip.png"
    Image.new("RGB", (10, 10), (1, 2, 3)).save(photo)
    chat.file(photo, caption="slip")
    chat.send("/export")
    assert chat.files and chat.files[0].endswith(".zip")
    data = next(m.file.data for m in chat.last if m.file)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert "account.json" in names
        assert any(n.startswith("cases/") and n.endswith("case.json") for n in names)
        assert any(n.startswith("files/") and n.endswith("slip.png") for n in names)
        assert json.loads(zf.read("account.json"))["user_id"] == 1001


def test_delete_asks_first_and_cancel_keeps_everything(db):
    chat = _finished(db)
    chat.send("/delete")
    assert {"confirm", "cancel"} <= set(chat.choices)
    assert "cannot be undone" in chat.text and "1 case" in chat.text
    chat.choose("cancel")
    assert "Nothing was deleted" in chat.text
    assert chat.case()["merchant"]["name"] == MARKER_NAME


def test_delete_leaves_nothing_in_the_database_files(sqlite_url, tmp_path: Path):
    database = Database(sqlite_url)
    database.migrate()
    chat = _finished(database)
    photo = tmp_path / "evidence.png"
    marker = b"PIXELMARKER-9f3a" * 64
    image = Image.new("RGB", (64, 64))
    image.info["comment"] = marker
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=_png_text(marker.decode()))
    photo.write_bytes(buf.getvalue())
    chat.send("/new").file(photo)
    chat.send("/delete").choose("confirm")
    assert "deleted" in chat.text
    with database.session() as s:
        for table in ("users", "cases", "evidence_files", "evidence_blobs", "reminders", "processed_updates"):
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    database.dispose()
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    assert MARKER_NAME.encode() not in raw
    assert "斑马面馆".encode() not in raw
    assert b"PIXELMARKER-9f3a" not in raw
    assert b"13800138000" not in raw


def _png_text(value: str):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", value)
    return info


def test_group_chat_stores_nothing(db):
    chat = Chat(db)
    reply = chat.assistant.process(
        Incoming.from_text(
            "/start",
            user_id=1001,
            chat_id=-100,
            chat_type="supergroup",
            now=FIXED_NOW,
            update_id=1,
            language_code="en",
        )
    )
    assert "private chat" in reply[0].text
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM processed_updates")).scalar_one() == 0
