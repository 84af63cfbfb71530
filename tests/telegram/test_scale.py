"""Several webhook processes on one PostgreSQL, and the progress shown while every document is sent."""

from __future__ import annotations

import pytest

from tests.telegram.merchant import Merchant, whole_case


@pytest.mark.postgres
async def test_two_webhook_processes_on_one_postgres_serve_one_conversation(
    pg_url, fake, start_bot, tmp_path
):
    """A load balancer hands each update to the next process (ptb, then aiogram): the merchant sees one bot."""
    first = await start_bot("ptb", "webhook", database_url=pg_url)
    second = await start_bot("aiogram", "webhook", database_url=pg_url)
    fake.webhook_targets = [f"http://127.0.0.1:{bot.port}/telegram/webhook" for bot in (first, second)]
    merchant = Merchant.create(fake, first, tmp_path, 8001, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    merchant.more_bots = [second]
    result = await whole_case(merchant)
    assert result["documents"]
    assert fake.unanswered_callbacks == []
    assert set(fake.webhook_deliveries) == {200}


async def test_all_documents_with_progress_and_upload_action(fake, start_bot, tmp_path):
    bot = await start_bot("ptb", "webhook")
    merchant = Merchant.create(fake, bot, tmp_path, 8002, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    result = await whole_case(merchant, outputs="all")
    documents = result["documents"]
    assert len(documents) >= 3
    progress = next(m for m in result["sent"] if m.kind == "text" and m.edits)
    total = int(progress.original[0].split()[1])  # "Preparing N document(s)…": one step per document
    assert total >= 3 and len(documents) >= total
    assert progress.html.endswith(f"✅ {total}/{total}")
    assert progress.original[0] + f"\n✅ {total}/{total}" == progress.html
    actions = [c["action"] for c in fake.calls_of("sendChatAction")]
    assert "upload_document" in actions  # "typing" shows only when applying an update is slow (OCR)
    for document in documents:
        assert document.data and document.file_name
