"""End to end with the real model: generated photos (fixed seed) → read_image → fields."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from bot.ocr import SlipReading, read_image, read_image_async  # noqa: E402
from bot.ocr.engine import ImageError  # noqa: E402
from testkit.synth import LAYOUTS, READS_AS, sample  # noqa: E402

pytestmark = pytest.mark.slow

# One photo per layout description from a fixed seed: the same pictures on every machine.
SEEDS = [(layout, 9000 + i) for i, layout in enumerate(LAYOUTS)]


@pytest.fixture(scope="module")
def readings():
    out = []
    for layout, seed in SEEDS:
        s = sample(seed, layout)
        out.append((s, read_image(s.jpeg)))
    return out


def test_generated_photos_are_read_with_almost_no_wrong_value(readings):
    """One photo per layout: the kind and layout told right, at most one value wrong in all of them (a
    character OCR drops from a free-text name is not seen in its scores; the goal is 99.5%, measured
    in bench/ocr.py), and never a wrong number (a number's misread digit shows in its score)."""
    truth = correct = 0
    wrong = []
    for s, r in readings:
        assert isinstance(r, SlipReading)
        assert r.layout == READS_AS[s.layout], s.name
        assert r.kind == s.doc
        assert r.lines > 10
        truth += len(s.truth)
        for key, value in r.fields.items():
            assert 0 < r.confidence[key] <= 1
            if s.truth.get(key) == value:
                correct += 1
            else:
                wrong.append((s.name, key, value, s.truth.get(key)))
    assert len(wrong) <= 1, wrong
    assert all(key in ("merchant.name", "txn.issuer", "dispute.reason_code") for _, key, _, _ in wrong), wrong
    assert correct / truth >= 0.85, (correct, truth)


def test_rotated_photo(readings):
    from PIL import Image

    s = sample(9100, "thermal_inline")
    with Image.open(io.BytesIO(s.jpeg)) as im:
        buf = io.BytesIO()
        im.rotate(90, expand=True).save(buf, "JPEG", quality=90)
    r = read_image(buf.getvalue())
    assert r.layout == "unionpay_slip"
    wrong = {k: v for k, v in r.fields.items() if s.truth.get(k) != v}
    assert not wrong
    assert len(r.fields) >= 0.7 * len(s.truth)


def test_async_runs_off_the_event_loop(readings):
    s = readings[0][0]

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.create_task(ticker())
        r = await read_image_async(s.jpeg)
        t.cancel()
        return r, ticks

    r, ticks = asyncio.run(main())
    assert r.fields
    assert ticks > 5  # the loop kept running while the photo was read


def test_blank_photo_yields_nothing_and_garbage_is_refused():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 190, 180)).save(buf, "PNG")
    r = read_image(buf.getvalue())
    assert r.fields == {} and r.lines == 0
    with pytest.raises(ImageError):
        read_image(b"not an image at all")


def test_cli_prints_one_json_line_per_image(tmp_path, capsys, readings):
    from bot.ocr.cli import main

    s = readings[1][0]
    p = tmp_path / "slip.jpg"
    p.write_bytes(s.jpeg)
    assert main([str(p), str(p)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 2
    assert set(out[0]) >= {"file", "kind", "layout", "fields", "confidence", "seconds"}
    assert out[0]["file"] == str(p) and out[0]["layout"] == READS_AS[s.layout]
    assert main([str(tmp_path / "missing.jpg")]) == 1


def test_pdf_notices_text_layer_and_scan(tmp_path, capsys):
    """A notice PDF made from text is read from its text layer; a scanned one by OCR of its page image."""
    from bot.ocr import read_pdf
    from bot.ocr.cli import main
    from testkit.synth.pdf import notice_pdf, scanned_pdf

    data, truth = notice_pdf(11)
    r = read_pdf(data)
    assert r.source == "pdf_text" and r.kind == "notice"
    assert r.fields == truth
    s = sample(9200, "notice_letter", strength=0.5)
    scan = read_pdf(scanned_pdf(s.jpeg))
    assert scan.source == "ocr" and scan.kind == "notice"
    assert {k: v for k, v in scan.fields.items() if s.truth.get(k) != v} == {}
    assert len(scan.fields) >= len(s.truth) - 2
    p = tmp_path / "notice.pdf"
    p.write_bytes(data)
    assert main([str(p)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["kind"] == "notice" and line["fields"]["dispute.case_no"] == truth["dispute.case_no"]
