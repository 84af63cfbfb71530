"""The synthetic slip generator: reproducible, and its ground truth obeys the field rules."""

from __future__ import annotations

import re

from bot.ocr.synth import LAYOUTS, corpus, sample  # noqa: E402

RULES = {
    "merchant.merchant_no": r"\d{15}",
    "merchant.terminal_id": r"[0-9A-Z]{8}",
    "txn.reference_no": r"\d{12}",
    "txn.voucher_no": r"\d{6}",
    "txn.batch_no": r"\d{6}",
    "txn.auth_code": r"[0-9A-Z]{6}",
    "txn.amount": r"\d+\.\d{2}",
    "txn.datetime": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00",
    "txn.card_masked": r"(\d{6}\*{6,9}|\*{4})\d{4}",
    "txn.type": r"sale|preauth_completion|refund|void|other",
}


def test_same_seed_same_photo():
    a, b = sample(42, "unionpay_slip"), sample(42, "unionpay_slip")
    assert a.jpeg == b.jpeg and a.truth == b.truth
    assert sample(43, "unionpay_slip").jpeg != a.jpeg


def test_corpus_covers_the_layouts_with_valid_truth():
    samples = corpus(6, seed=3)
    assert [s.layout for s in samples] == list(LAYOUTS) * 2
    for s in samples:
        assert s.jpeg[:2] == b"\xff\xd8"  # JPEG
        assert len(s.truth) >= 8
        for key, value in s.truth.items():
            if key in RULES:
                assert re.fullmatch(RULES[key], value), (s.name, key, value)
