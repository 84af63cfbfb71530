"""Incoming files: the type comes from the bytes; limits, damage and odd formats each get a clear answer."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot import files
from conversations.i18n import translate


def _jpeg(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buf, "JPEG")
    return buf.getvalue()


def _message(result) -> str:
    assert isinstance(result, files.Refused), result
    for lang in ("zh", "en"):
        assert translate(lang, result.message, **result.params)
    return translate("en", result.message, **result.params)


def test_type_is_sniffed_not_taken_from_the_name():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    result = files.check(pdf, "photo.jpg", max_bytes=10_000)
    assert (
        isinstance(result, files.Accepted) and result.mime == "application/pdf" and result.name == "photo.pdf"
    )
    result = files.check(_jpeg(), "statement.pdf", max_bytes=100_000)
    assert result.mime == "image/jpeg" and result.name == "statement.jpg"


def test_empty_oversized_and_unknown_files():
    assert "empty" in _message(files.check(b"", "a.jpg", max_bytes=100))
    assert "limit" in _message(files.check(_jpeg(), "a.jpg", max_bytes=100))
    assert "PDF" in _message(files.check(b"MZ\x90\x00" + b"\x00" * 100, "slip.jpg", max_bytes=10_000))


def test_truncated_photo_is_refused():
    data = _jpeg((400, 300))
    assert "damaged" in _message(files.check(data[: len(data) // 2], "a.jpg", max_bytes=10**6))


def test_decompression_bomb_is_refused_from_its_header():
    buf = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buf, "PNG")  # 144 MP of nothing compresses to a few KB
    data = buf.getvalue()
    assert len(data) < 200_000
    assert "megapixels" in _message(files.check(data, "a.png", max_bytes=10**6)) or "pixels" in _message(
        files.check(data, "a.png", max_bytes=10**6)
    )


def test_cut_off_pdf_is_kept_with_a_warning():
    result = files.check(b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"x" * 5000, "s.pdf", max_bytes=10**6)
    assert isinstance(result, files.Accepted) and result.notice


def test_heic_is_kept_with_a_notice():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    result = files.check(heic, "IMG_0001.HEIC", max_bytes=10**6)
    assert isinstance(result, files.Accepted), result
    assert result.mime == "image/heic" and result.notice and result.name == "IMG_0001.heic"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\me\\slip.JPG", "slip.jpg"),
        ("\x00\x1bslip.jpg", "slip.jpg"),
        (None, "file.jpg"),
        ("card 4111111111111111.jpg", "card 411111******1111.jpg"),
    ],
)
def test_safe_names(name, expected):
    assert files.safe_name(name, "image/jpeg") == expected


def test_a_file_name_with_broken_characters_is_cleaned():
    from bot.files import safe_name

    assert (
        safe_name("cam\ud800\ufffe\uffff\x07 ６２２５８８１２３４５６７８９８.jpg", "image/jpeg")
        == "cam ６２２５８８******７８９８.jpg"
    )
