"""Storage: state lives in the database, on SQLite and PostgreSQL; restarts, redeliveries and races lose nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import text

from bot.storage import Database
from conversations import Incoming
from tests.conftest import FIXED_NOW, ROOT
from tests.support import DENIED, Chat, review


@pytest.fixture
def db(any_db):
    return any_db


def test_whole_case_on_each_database(db):
    chat = review(Chat(db))
    chat.choose("confirm")
    case = chat.case()
    assert case["status"] == "confirmed"
    assert case["txn"][0]["amount"] == "1288.00"
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM cases")).scalar_one() == 1
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_migrations_are_idempotent(db_url):
    first = Database(db_url)
    first.migrate()
    first.dispose()
    second = Database(db_url)
    second.migrate()  # already at head: nothing to do, no error
    second.dispose()


def test_a_new_process_continues_at_the_same_question(db):
    chat = Chat(db).send("/start")
    chat.answer_until("txn.amount", DENIED)
    # a second assistant on the same database: nothing is kept in memory between updates
    again = Chat(db)
    again.local.next_update_id = 5_000
    again.send("/start")
    assert again.asks == "txn.amount"
    assert "Welcome back" in again.text
    again.send("1288")
    assert again.case()["txn"][0]["amount"] == "1288.00"
    assert again.case()["txn"][0]["datetime"] == "2025-11-22T18:30:00+08:00"


def test_redelivered_update_is_applied_once(db):
    chat = Chat(db).send("/start")
    event = Incoming(
        kind="choice", choice="case.scenario=denied_charge", user_id=1001, now=FIXED_NOW, update_id=77
    )
    first = chat.assistant.process(event)
    assert first and first[-1].asks == "txn.datetime"
    second = chat.assistant.process(event)
    assert second == []
    third = chat.assistant.process(
        Incoming(kind="text", text="2025-11-22 18:30\n88", user_id=1001, now=FIXED_NOW, update_id=78)
    )
    assert third[-1].asks == "merchant.merchant_no"  # two lines of three: the optional third left empty
    assert chat.case()["txn"][0]["amount"] == "88.00"


def test_simultaneous_updates_of_one_chat_lose_nothing(db):
    chat = Chat(db).send("/start")
    chat.answer_until("evidence.file", DENIED)
    images = []
    for i in range(8):
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), (i * 30, 0, 0)).save(buf, "PNG")
        images.append(buf.getvalue())
    refs = [
        chat.assistant.accept_file(1001, data, f"cam-{i}.png", is_photo=True, caption=None)
        for i, data in enumerate(images)
    ]
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            chat.assistant.process(
                Incoming(
                    kind="file",
                    file=refs[i],
                    user_id=1001,
                    now=FIXED_NOW + timedelta(seconds=i),
                    update_id=900 + i,
                )
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(refs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    evidence = chat.case()["evidence"]
    assert sorted(e["file_name"] for e in evidence) == sorted(f"cam-{i}.png" for i in range(8))


def test_files_are_stored_by_hash_with_name_type_and_size(db):
    chat = Chat(db)
    buf = io.BytesIO()
    Image.new("RGB", (20, 10)).save(buf, "JPEG")
    data = buf.getvalue()
    ref = chat.assistant.accept_file(
        1001, data, "../../etc/slip 6225881234561230.jpeg", is_photo=True, caption=None
    )
    assert ref.mime == "image/jpeg" and ref.size == len(data)
    assert ref.name == "slip 622588******1230.jpg"
    import hashlib

    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    with db.session() as s:
        row = s.execute(
            text("SELECT mime, size FROM evidence_blobs WHERE sha256 = :h"), {"h": ref.sha256}
        ).one()
        assert tuple(row) == ("image/jpeg", len(data))


def test_console_restart_continues(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": ""}
    env.update(LANG="en_US.UTF-8", LC_ALL="en_US.UTF-8")

    def console(stdin: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "bot"],
            input=stdin,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    first = console("4\n2025-11-22 18:30\n")
    assert "Amount" in first
    second = console("/skip\n")
    assert "Welcome back" in second
    # the open questions come back, then /skip leaves the reference number and asks the amount alone
    assert second.index("Reference number") < second.index("Amount in yuan")


def test_rows_stored_before_the_any_form_detector_are_masked_by_the_migration(db_url):
    """Migration 0019: cases, cursors, saved details, file names and the inbox as an older version
    stored them (a full-width number, one grouped with U+3000 or '/', a lone surrogate) are masked."""
    import json

    from alembic import command
    from alembic.config import Config

    from bot.storage.db import MIGRATIONS

    database = Database(db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0009")
    wide = "６２２５８８１２３４５６７８９８"
    slashed = "6217/0012/3456/7890/122"
    case = {
        "id": "OLD00001",
        "customer": {"statement": f"卡号 {wide}"},
        "txn": [{"goods": f"套餐{chr(0xD800)}"}],
    }
    stamp = FIXED_NOW.isoformat()
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, lang, profile, created_at, updated_at) VALUES (5, 'zh', :p, :t, :t)"
            ),
            {"p": json.dumps({"name": "店 6225\u30008812\u30003456\u30007898"}), "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, user_id, status, data, conv, version, created_at, updated_at) "
                "VALUES ('OLD00001', 5, 'draft', :d, :c, 0, :t, :t)"
            ),
            {"d": json.dumps(case), "c": json.dumps({"mode": "form", "note": slashed}), "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO evidence_files (user_id, case_id, sha256, name, mime, size, received_at) "
                "VALUES (5, 'OLD00001', :s, :n, 'image/jpeg', 1, :t)"
            ),
            {"s": "a" * 64, "n": f"cam {wide}.jpg", "t": stamp},
        )
    database.migrate()
    with database.engine.begin() as conn:
        data, conv = conn.execute(text("SELECT data, conv FROM cases")).one()
        profile = conn.execute(text("SELECT profile FROM users")).scalar_one()
        name = conn.execute(text("SELECT name FROM evidence_files")).scalar_one()
    data, conv, profile = (json.loads(v) if isinstance(v, str) else v for v in (data, conv, profile))
    assert data["customer"]["statement"] == "卡号 ６２２５８８******７８９８"
    assert data["txn"][0]["goods"] == "套餐"
    assert conv["note"] == "6217/00**/****/***0/122"
    assert profile["name"] == "店 6225\u300088**\u3000****\u30007898"
    assert name == "cam ６２２５８８******７８９８.jpg"
    database.dispose()
