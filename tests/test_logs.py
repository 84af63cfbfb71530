"""Logs are JSON lines with no personal data: no card numbers, phones, names, statements or bot tokens."""

from __future__ import annotations

import io
import json
import logging

from bot import logs
from bot.storage import Database
from tests.support import DENIED, Chat, review


def test_redact_masks_secrets_and_personal_data():
    line = logs.redact(
        "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw card 6225881234561230 phone 13800138000 a.b@mail.cn"
    )
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in line and "[bot-token]" in line
    assert "6225881234561230" not in line and "622588******1230" in line
    assert "13800138000" not in line and "138****8000" in line
    assert "a.b@mail.cn" not in line


def test_a_whole_case_logs_no_personal_data(sqlite_url):
    stream = io.StringIO()
    logs.setup("INFO", stream)
    try:
        db = Database(sqlite_url)
        db.migrate()
        answers = {**DENIED, "merchant.name": "Secret Shop Name 秘密小店", "txn.reference_no": "251122183045"}
        chat = review(Chat(db), answers)
        chat.choose("confirm")
        chat.send("/start")
        db.dispose()
    finally:
        logging.getLogger().handlers[:] = []
    lines = stream.getvalue().splitlines()
    events = [json.loads(line) for line in lines]
    assert any(e["msg"] == "update applied" and e["user"] for e in events)
    text = stream.getvalue()
    for secret in ("Secret Shop", "秘密小店", "13800138000", "251122183045"):
        assert secret not in text, secret
    assert all(e.get("user") not in (1001, "1001") and "user_id" not in e for e in events)
