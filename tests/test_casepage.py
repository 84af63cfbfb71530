"""The case page's engine API (conversations/casepage.py) and its storage side (bot/miniapp/pages.py).

The page and the chat are one case: the same edits made on the page and through the chat's review
give the same case.json; a refusal is the chat's own message; nothing is kept of a refused save.
The init data check agrees with aiogram's own implementation of Telegram's rule.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest
from aiogram.utils.web_app import check_webapp_signature

from bot.miniapp import auth
from bot.miniapp.pages import CasePages
from bot.storage import Database
from conversations import Context, casepage
from conversations.i18n import translate
from conversations.review import export
from conversations.validators import amount, phone
from testkit.miniapp import init_data, sign
from tests.conftest import FIXED_NOW, SHANGHAI
from tests.support import DENIED, Chat, review

TOKEN = "123456789:TEST-token_for-the-fake-server"


def fresh_db(tmp_path, name: str) -> Database:
    db = Database(f"sqlite:///{tmp_path / name}")
    db.migrate()
    return db


def comparable(case: dict) -> dict:
    """case.json without the clock's fields (the two runs differ in when, not in what)."""
    out = dict(case)
    for key in ("id", "created_at", "updated_at", "timeline"):
        out.pop(key)
    return out


def test_page_edits_and_chat_edits_give_the_same_case(tmp_path):
    by_chat = review(Chat(fresh_db(tmp_path, "chat.sqlite3")))
    # one value changed from the review: its button, the new value, back to the review
    by_chat.choose("edit:txn").choose("edit:txn.1").choose("edit:txn.1.amount")
    by_chat.send("1,500")
    by_chat.choose("edit:customer").choose("edit:customer.name")
    by_chat.send("王小明")
    assert "confirm" in by_chat.choices

    page_chat = review(Chat(fresh_db(tmp_path, "page.sqlite3")))
    pages = CasePages(page_chat.assistant)
    saved = pages.save(1001, None, [("txn.0.amount", "1,500"), ("customer.name", "王小明")], FIXED_NOW)
    assert saved is not None and saved.ok, saved
    assert comparable(page_chat.assistant.case_export(1001)) == comparable(
        by_chat.assistant.case_export(1001)
    )
    # the chat's next screen is its review, with the new values
    assert [c.id for m in saved.messages for c in m.choices] == by_chat.choices
    assert "¥1,500.00" in saved.messages[-1].text and "王小明" in saved.messages[-1].text
    # and the chat goes on from there: confirm, then the same documents are offered
    page_chat.choose("confirm")
    by_chat.choose("confirm")
    assert page_chat.choices == by_chat.choices
    assert "output:customer" in page_chat.choices


def test_a_refused_value_is_the_chats_own_message_and_nothing_is_kept(db):
    chat = review(Chat(db))
    pages = CasePages(chat.assistant)
    before = chat.assistant.case_export(1001)
    bad_amount, bad_phone = amount("about twelve"), phone("12345")
    saved = pages.save(
        1001,
        None,
        [("txn.0.amount", "999"), ("txn.0.amount", "about twelve"), ("merchant.phone", "12345")],
        FIXED_NOW,
    )
    assert not saved.ok
    assert saved.errors == {
        "txn.0.amount": translate("en", bad_amount.message, **bad_amount.params),
        "merchant.phone": translate("en", bad_phone.message, **bad_phone.params),
    }
    assert chat.assistant.case_export(1001) == before  # the valid change in the same save is not kept
    assert saved.messages == []
    # a needed field cannot be emptied; an optional one can
    assert pages.check(1001, None, "merchant.name", "  ", FIXED_NOW) == {
        "ok": False,
        "error": translate("en", casepage.NEEDED),
    }
    assert pages.check(1001, None, "txn.0.reference_no", "", FIXED_NOW)["ok"]
    # a button field takes only its own values
    assert not pages.check(1001, None, "customer.claim", "whatever", FIXED_NOW)["ok"]
    assert pages.check(1001, None, "customer.claim", "duplicate", FIXED_NOW) == {
        "ok": True,
        "shown": "Says they were charged twice",
        "notice": None,
    }
    # a field that does not apply, or an item that does not exist, is not part of the case
    for key in ("incident.lost_at", "txn.3.amount", "txn.amount", "merchant", "evidence.0.kind", "x.y"):
        assert pages.check(1001, None, key, "1", FIXED_NOW) == {
            "ok": False,
            "error": translate("en", casepage.NOT_HERE),
        }, key


def test_dates_read_back_and_cross_field_rules_hold(db):
    chat = review(Chat(db), {**DENIED, "dispute.stage": "retrieval", "dispute.notified_at": "2025-11-27"})
    pages = CasePages(chat.assistant)
    page = pages.read(1001, None, FIXED_NOW)
    fields = {f["key"]: f for g in page["groups"] for f in g.get("fields", [])}
    txn = {f["key"]: f for f in next(g for g in page["groups"] if g["id"] == "txn")["items"][0]["fields"]}
    assert txn["txn.0.datetime"]["text"] == "2025-11-22 18:30"  # typed back, it is the same moment
    assert pages.check(1001, None, "txn.0.datetime", txn["txn.0.datetime"]["text"], FIXED_NOW)["ok"]
    assert fields["dispute.notified_at"]["input"] == "date"
    # the reply date may not precede the notice: the chat's rule and message
    refused = pages.check(1001, None, "dispute.deadline", "2025-11-01", FIXED_NOW)
    assert not refused["ok"] and refused["error"]
    assert not pages.check(1001, None, "txn.0.datetime", "2030-01-01 10:00", FIXED_NOW)["ok"]  # future


def test_a_full_card_number_typed_on_the_page_is_masked(db):
    chat = review(Chat(db))
    pages = CasePages(chat.assistant)
    saved = pages.save(
        1001,
        None,
        [
            ("customer.statement", "paid with 6225 8812 3456 7898 yesterday"),
            ("txn.0.card_masked", "6225881234567898"),
        ],
        FIXED_NOW,
    )
    assert saved.ok
    stored = json.dumps(chat.assistant.case_export(1001))
    assert "6225881234567898" not in stored and "3456 7898" not in stored
    assert saved.notices["customer.statement"].startswith("🔒")
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT data FROM cases").fetchall()
    assert all("6225881234567898" not in str(row) for row in rows)


def test_a_change_that_opens_new_questions_is_asked_in_the_chat(db):
    chat = review(Chat(db))
    pages = CasePages(chat.assistant)
    saved = pages.save(1001, None, [("case.scenario", "lost_terminal")], FIXED_NOW)
    assert saved.ok
    assert saved.messages[-1].asks == "incident.lost_at"
    groups = [g["id"] for g in saved.page["groups"]]
    assert "incident" in groups
    chat.send("2025-11-27 21:00")  # the chat carries on with that question
    assert chat.asks == "incident.discovered_at"


def test_another_case_of_the_merchant_is_read_only_and_others_cases_are_not_found(db):
    chat = review(Chat(db))
    first = chat.assistant.case_export(1001)["id"]
    chat.send("/new")
    pages = CasePages(chat.assistant)
    page = pages.read(1001, first, FIXED_NOW)
    assert page["case_id"] == first and not page["editable"] and not page["active"]
    refused = pages.save(1001, first, [("merchant.name", "X")], FIXED_NOW)
    assert not refused.ok and first in refused.errors[""]
    assert pages.read(2002, first, FIXED_NOW) is None
    assert pages.read(2002, None, FIXED_NOW) is None
    assert pages.save(2002, first, [("merchant.name", "X")], FIXED_NOW) is None
    assert pages.preview(2002, first, "checklist", FIXED_NOW) is None


def test_confirmed_case_edited_stays_confirmed_and_shows_the_documents_again(db):
    chat = review(Chat(db)).choose("confirm")
    pages = CasePages(chat.assistant)
    saved = pages.save(1001, None, [("customer.name", "Li Lei")], FIXED_NOW)
    assert saved.ok
    assert chat.assistant.case_export(1001)["status"] == "confirmed"
    assert "output:customer" in [c.id for m in saved.messages for c in m.choices]
    chat.press_anyway("output:customer")
    assert "Li Lei" in chat.text


def test_preview_is_the_document_and_only_what_applies(db):
    chat = review(Chat(db))
    pages = CasePages(chat.assistant)
    preview = pages.preview(1001, None, "acquirer", FIXED_NOW)
    assert preview and "1,288.00" in "".join(preview)
    assert pages.preview(1001, None, "police", FIXED_NOW) is None  # not for a denied charge
    assert pages.preview(1001, None, "nonsense", FIXED_NOW) is None


def test_page_read_matches_the_review_groups_and_plan(db):
    chat = review(Chat(db))
    session_page = CasePages(chat.assistant).read(1001, None, FIXED_NOW)
    assert [g["id"] for g in session_page["groups"]] == [
        "case",
        "merchant",
        "txn",
        "customer",
        "dispute",
        "evidence",
    ]
    assert [o["id"] for o in session_page["outputs"] if not o["applies"]] == [
        o["id"] for o in session_page["outputs"] if o["reason"] and not o["applies"]
    ]
    for group in session_page["groups"]:
        assert group["title"] in chat.text  # the review shows the same group titles


# --- init data ----------------------------------------------------------------------------------


def test_init_data_check_agrees_with_aiogram_and_telegram():
    now = time.time()
    good = init_data(TOKEN, 42, language_code="zh")
    user = auth.check(good, TOKEN, now)
    assert user is not None and user.id == 42 and user.language_code == "zh"
    assert check_webapp_signature(TOKEN, good)

    fields = dict(parse_qsl(good))
    fields.pop("hash")
    tampered = urlencode(
        {**fields, "user": fields["user"].replace("42", "43"), "hash": dict(parse_qsl(good))["hash"]}
    )
    for data in (
        tampered,
        good.replace("hash=", "hash=0"),
        good + "&extra=1",
        init_data("987654321:other", 42),
        "",
        "hash=abc",
        "%%%",
        sign({"auth_date": str(int(now))}, TOKEN),  # no user
        sign({"auth_date": "yesterday", "user": '{"id": 1}'}, TOKEN),
        sign({"auth_date": str(int(now)), "user": "not json"}, TOKEN),
    ):
        assert auth.check(data, TOKEN, now) is None, data
        assert not check_webapp_signature(TOKEN, data) or "auth_date" in data, data
    # fresh within the hour, by the server's clock
    assert auth.check(init_data(TOKEN, 42, auth_date=int(now) - 3599), TOKEN, now) is not None
    assert auth.check(init_data(TOKEN, 42, auth_date=int(now) - 3601), TOKEN, now) is None
    assert auth.check(init_data(TOKEN, 42, auth_date=int(now) + 3600), TOKEN, now) is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_words_are_in_the_merchants_language(db, lang):
    chat = review(Chat(db, language_code=lang))
    page = CasePages(chat.assistant).read(1001, None, FIXED_NOW)
    assert page["lang"] == lang
    assert page["words"]["save"] == translate(lang, "Save")
    assert set(page["words"]) == set(casepage.PAGE_WORDS)


def test_engine_api_is_framework_free():
    """conversations/casepage.py needs no storage: a session and a context in, plain data out."""
    from conversations.state import Session, new_case

    session = Session("en", "C1", new_case("C1", FIXED_NOW, "en"), {"mode": "form", "answered": []})
    ctx = Context(now=FIXED_NOW, tz=SHANGHAI)
    page = casepage.read(session, ctx)
    assert page["editable"] and page["groups"][0]["id"] == "case"
    saved = casepage.save(session, [("case.scenario", "denied_charge")], ctx)
    assert saved.session.case["scenario"] == "denied_charge"
    assert session.case["scenario"] is None  # the input session is not changed
    assert saved.replies[-1].asks == "txn.datetime"  # the slip first
    assert export(saved.session.case, SHANGHAI)["scenario"] == "denied_charge"


@pytest.mark.parametrize("name", ["lost-terminal-en.json", "denied-charge-zh.json"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_value_shown_for_editing_reads_back_to_itself(name, lang):
    """Each field's edit text, sent back unchanged through its validator, stores the same value: a merchant
    who only looks at the page and saves changes nothing, whatever the field's kind and language."""
    from pathlib import Path

    from conversations.state import Session

    case = json.loads((Path(__file__).parent / "fixtures" / "cases" / name).read_text("utf-8"))
    case.pop("timeline")
    case["evidence"] = [
        {
            "kind": "signed_slip",
            "file_name": "slip.jpg",
            "mime": "image/jpeg",
            "sha256": "0" * 64,
            "caption": None,
        }
    ]
    session = Session(lang, case["id"], case, {"mode": "review", "answered": []})
    ctx = Context(now=FIXED_NOW, tz=SHANGHAI)
    page = casepage.read(session, ctx)
    fields = [
        f
        for g in page["groups"]
        for f in [*g.get("fields", []), *(f for item in g.get("items", []) for f in item["fields"])]
    ]
    thief = case.get("scenario") == "lost_terminal"  # a thief's charges: no customer questions
    assert {f["field"] for f in fields} >= {
        "txn.datetime",
        "txn.amount",
        "merchant.acquirer",
        *(() if thief else ("customer.claim",)),
    }
    changes = [(f["key"], f["shown"] if f["input"] == "suggest" else f["text"]) for f in fields if f["text"]]
    saved = casepage.save(session, changes, ctx)
    assert saved.errors == {}
    before, after = export(case, SHANGHAI), export(saved.session.case, SHANGHAI)
    for key in ("updated_at", "timeline"):
        before.pop(key), after.pop(key)
    assert after == before
