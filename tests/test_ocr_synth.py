"""The generator (testkit.synth): reproducible, every layout and vocabulary drawn, truth that obeys the field rules."""

from __future__ import annotations

import re

from bot.ocr import extract_fields
from testkit.synth import HELD_OUT_SEED, LAYOUTS, NOTICE_LAYOUTS, corpus, held_out, sample
from testkit.synth.vocab import DEV, HELD_OUT

RULES = {
    "merchant.merchant_no": r"\d{15}",
    "merchant.terminal_id": r"[0-9A-Z]{8}",
    "txn.reference_no": r"\d{12}",
    "txn.voucher_no": r"\d{6}",
    "txn.batch_no": r"\d{6}",
    "txn.auth_code": r"[0-9A-Z]{6}",
    "txn.amount": r"\d+\.\d{2}",
    "txn.datetime": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00",
    "txn.card_masked": r"(\d{6}\*{6}|\*{4})\d{4}",
    "txn.type": r"sale|preauth_completion|refund|void",
    "txn.entry_mode": r"chip|swipe|contactless|fallback|manual",
    "dispute.stage": r"retrieval|chargeback|arbitration",
    "dispute.notified_at": r"\d{4}-\d\d-\d\d",
    "dispute.deadline": r"\d{4}-\d\d-\d\d",
    "dispute.reason_code": r"\d{4} [\u4e00-\u9fff]+",
    "dispute.case_no": r"[A-Z0-9]{8,30}",
    "merchant.name": r"[\u4e00-\u9fff]{4,20}",
    "txn.issuer": r"[\u4e00-\u9fff]{2,10}银行",
}


def test_same_seed_same_photo():
    a, b = sample(42, "thermal_inline"), sample(42, "thermal_inline")
    assert a.jpeg == b.jpeg and a.truth == b.truth
    assert sample(43, "thermal_inline").jpeg != a.jpeg


def test_every_layout_with_valid_truth():
    samples = corpus(len(LAYOUTS), seed=3)
    assert [s.layout for s in samples] == list(LAYOUTS)
    for s in samples:
        assert s.jpeg[:2] == b"\xff\xd8"  # JPEG
        assert len(s.truth) >= 8
        for key, value in s.truth.items():
            assert re.fullmatch(RULES[key], value), (s.name, key, value)
        if s.layout in NOTICE_LAYOUTS:
            assert s.doc == "notice" and "dispute.stage" in s.truth


def test_held_out_draws_only_its_own_vocabularies_and_seeds():
    assert not set(DEV) & set(HELD_OUT)
    held = held_out(8)
    assert {s.vocab for s in held} <= set(HELD_OUT)
    assert {s.vocab for s in corpus(8, 7)} <= set(DEV)
    assert held[0].name.endswith(str(HELD_OUT_SEED))


def test_the_extraction_reads_every_field_of_a_perfect_reading():
    """On the drawn text itself (no OCR), every vocabulary and layout is read whole and right."""
    import random

    from testkit.synth.compose import draw_notice, draw_slip
    from testkit.synth.specs import SPECS
    from testkit.synth.values import random_notice, random_txn
    from testkit.synth.vocab import NOTICE_VOCABS, SLIP_VOCABS

    right = total = wrong = 0
    for i in range(160):
        rng = random.Random(i)
        spec = SPECS[LAYOUTS[i % len(LAYOUTS)]]
        if spec.doc == "slip":
            img, truth = draw_slip(spec, SLIP_VOCABS[rng.choice(list(SLIP_VOCABS))], random_txn(rng), rng)
        else:
            img, truth = draw_notice(
                spec, NOTICE_VOCABS[rng.choice(list(NOTICE_VOCABS))], random_notice(rng), rng
            )
        r = extract_fields(img.info["lines"])
        total += len(truth)
        right += sum(1 for k, v in truth.items() if r.fields.get(k) == v)
        wrong += sum(1 for k, v in r.fields.items() if truth.get(k) != v)
    assert wrong == 0
    assert right / total >= 0.995, (right, total)
