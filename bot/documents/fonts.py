"""The CJK font for PDFs: Noto Sans CJK SC (SIL Open Font License) from the mplfonts package.

The full font is 16 MB with 65,000 CID-keyed CFF glyphs. Handed to fpdf2 as it is, it costs about
0.3 s a document to subset, and pypdf (which the tests and some readers use) decodes the text of
a CID-keyed CFF font wrongly once a document uses more than about 255 glyphs. So the process keeps
one working font instead: a cut of the full font holding the characters of every template plus
the characters seen in documents so far, with its outlines converted to TrueType (quadratic)
curves. fpdf2 embeds such a font as a plain CID TrueType subset (Identity-H) in about 0.03 s a
document, and every reader extracts its text. The working font grows when a document needs a
character it lacks (about 0.5 s for the first cut, less for later ones), and is cut again from
the template characters alone when it grows too large. The full font is read for its character
map once per process.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import newTable

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_NAME = "Noto Sans CJK SC"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "locales" / "templates"
_MAX_CHARS = 6000
_BASE_EXTRA = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "¥£€©®°±×÷·—–‘’“”…•※→√□☐■▲△○●、。，．：；？！（）《》「」『』【】〔〕…￥％＋－＝／・①②③④⑤⑥⑦⑧⑨⑩"
)

logging.getLogger("fontTools").setLevel(logging.WARNING)


def font_path() -> Path:
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / FONT_FILE


class WorkingFont:
    """A growing subset of the full font; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or font_path()
        self._lock = threading.Lock()
        self._cmap: set[int] | None = None
        self._base: set[int] | None = None
        self._chars: set[int] = set()
        self._data: bytes = b""
        self.builds = 0

    def _full_cmap(self) -> set[int]:
        if self._cmap is None:
            font = ttLib.TTFont(self.path, lazy=True)
            self._cmap = set(font.getBestCmap())
            font.close()
        return self._cmap

    def _template_chars(self) -> set[int]:
        if self._base is None:
            text = _BASE_EXTRA + "".join(
                p.read_text(encoding="utf-8") for p in sorted(TEMPLATES_DIR.rglob("*.j2")) if p.is_file()
            )
            self._base = {ord(c) for c in text} & self._full_cmap()
        return self._base

    def data_for(self, text: str) -> bytes:
        """Font bytes holding every character of `text` the full font has."""
        with self._lock:
            needed = {ord(c) for c in set(text)} & self._full_cmap()
            if self._data and needed <= self._chars:
                return self._data
            chars = self._template_chars() | self._chars | needed
            if len(chars) > _MAX_CHARS:
                chars = self._template_chars() | needed
            self._data = _cut(self.path, chars)
            self._chars = chars
            self.builds += 1
            return self._data

    def warm(self) -> None:
        """Build the working font now (at start-up) rather than on the first PDF."""
        self.data_for("")


def _cut(path: Path, chars: set[int]) -> bytes:
    font = ttLib.TTFont(path, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    options = ftsubset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        layout_features=[],
        desubroutinize=True,
        hinting=False,
        name_IDs=["*"],
        name_languages=["*"],
        glyph_names=False,
    )
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    font.recalcBBoxes = True  # the new TrueType glyphs need their boxes computed once, here
    _to_truetype(font)
    out = io.BytesIO()
    font.save(out)
    font.close()
    return out.getvalue()


def _to_truetype(font: ttLib.TTFont) -> None:
    """Replace the CFF outlines by TrueType ones (after fontTools' Snippets/otf2ttf.py)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.compile(font)
    font["post"].formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


WORKING_FONT = WorkingFont()
