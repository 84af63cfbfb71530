"""One merchant's whole case through each framework and mode: the same replies as the local runtime."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import FRAMEWORKS, MODES
from tests.telegram.merchant import Merchant, whole_case


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_whole_case_gives_the_reference_replies(framework, mode, fake, start_bot, tmp_path):
    bot = await start_bot(framework, mode)
    merchant = Merchant.create(fake, bot, tmp_path, 5001, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    result = await whole_case(merchant)
    assert result["documents"], "the chosen output sent no document"
    assert fake.unanswered_callbacks == []
