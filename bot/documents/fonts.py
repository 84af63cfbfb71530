"""The CJK font for PDFs: Noto Sans CJK SC (SIL Open Font License) from the mplfonts package.

The full font is 16 MB with 65,000 CID-keyed CFF glyphs. Handed to fpdf2 as it is, it costs about
0.3 s a document to subset, and pypdf (which the tests and some readers use) decodes the text of
a CID-keyed CFF font wrongly once a document uses more than about 255 glyphs. So each PDF gets a
small TrueType font of its own instead, holding exactly the characters the document uses; fpdf2
embeds it as a plain CID TrueType subset (Identity-H) and every reader extracts its text.

Converting a glyph's cubic outline to TrueType's quadratic curves is the costly part (about 1 ms a
glyph), so each glyph is converted once per process and kept (`GLYPHS`, a few hundred bytes a
glyph); a document's font is then assembled from kept glyphs in milliseconds. `GLYPHS.warm()`
converts the characters of every template at start-up (see bot/warmup.py), so the first merchant
after a start pays only for the characters of their own case (names, addresses, what they typed).
"""

from __future__ import annotations

import copy
import importlib.util
import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools import ttLib
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_NAME = "Noto Sans CJK SC"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "locales" / "templates"
_BASE_EXTRA = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "¥£€©®°±×÷·—–‘’“”…•※→√□☐■▲△○●、。，．：；？！（）《》「」『』【】〔〕…￥％＋－＝／・①②③④⑤⑥⑦⑧⑨⑩"
)
_BASE_CODES = frozenset(ord(c) for c in _BASE_EXTRA)
_COPIED_TABLES = ("head", "hhea", "OS/2", "post", "name")

logging.getLogger("fontTools").setLevel(logging.WARNING)


def font_path() -> Path:
    # found without importing mplfonts, which imports matplotlib (about a second and 30 MB)
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the mplfonts package (which ships the CJK font) is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "fonts" / FONT_FILE


def template_text() -> str:
    """Every character a template can print by itself (ASCII, common marks, the templates' text)."""
    return _BASE_EXTRA + "".join(
        p.read_text(encoding="utf-8") for p in sorted(TEMPLATES_DIR.rglob("*.j2")) if p.is_file()
    )


@dataclass(frozen=True)
class _Kept:
    data: bytes  # the compiled TrueType glyph
    advance: int
    lsb: int
    points: int
    contours: int


class GlyphCache:
    """TrueType glyphs converted from the full font on first use and kept; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or font_path()
        self._lock = threading.RLock()
        self._full: ttLib.TTFont | None = None
        self._cmap: dict[int, str] = {}
        self._order: dict[str, int] = {}
        self._glyphs: dict[str, _Kept] = {}
        self._tables: dict[str, object] = {}
        self.converted = 0  # glyphs converted so far (the costly step), for benchmarks and tests

    def _open(self) -> ttLib.TTFont:
        if self._full is None:
            full = ttLib.TTFont(self.path, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
            self._cmap = full.getBestCmap()
            self._order = {name: i for i, name in enumerate(full.getGlyphOrder())}
            self._glyph_set = full.getGlyphSet()
            self._hmtx = full["hmtx"]
            self._tables = {tag: full[tag] for tag in _COPIED_TABLES}
            self._full = full
        return self._full

    def _keep(self, name: str) -> _Kept:
        kept = self._glyphs.get(name)
        if kept is None:
            pen = TTGlyphPen(None)
            self._glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyph = pen.glyph()
            data = glyph.compile(None, recalcBBoxes=True)
            points = len(glyph.coordinates) if glyph.numberOfContours > 0 else 0
            lsb = glyph.xMin if hasattr(glyph, "xMin") else 0
            kept = _Kept(data, self._hmtx[name][0], lsb, points, max(glyph.numberOfContours, 0))
            self._glyphs[name] = kept
            self.converted += 1
        return kept

    def warm(self, text: str | None = None) -> None:
        """Convert the glyphs of `text` (by default every template's characters) now, not on a first PDF."""
        with self._lock:
            self._open()
            for code in {ord(c) for c in (template_text() if text is None else text)}:
                name = self._cmap.get(code)
                if name is not None:
                    self._keep(name)
            self._keep(".notdef")

    def font_for(self, text: str) -> bytes:
        """A TrueType font holding every character of `text` that the full font has.

        ASCII and the common marks are always in (list marks, page numbers are drawn by pdf.py).
        """
        with self._lock:
            self._open()
            codes = {ord(c) for c in set(text)} | _BASE_CODES
            cmap = {code: self._cmap[code] for code in codes if code in self._cmap}
            names = sorted({*cmap.values(), ".notdef"}, key=self._order.__getitem__)
            kept = {name: self._keep(name) for name in names}
            tables = {tag: copy.deepcopy(table) for tag, table in self._tables.items()}
        return _assemble(names, cmap, kept, tables)


def _assemble(names: list[str], cmap: dict[int, str], kept: dict[str, _Kept], tables: dict) -> bytes:
    font = ttLib.TTFont(recalcBBoxes=False, recalcTimestamp=False)
    font.sfntVersion = "\x00\x01\x00\x00"
    font.setGlyphOrder(names)
    for tag, table in tables.items():
        font[tag] = table
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    post.extraNames, post.mapping = [], {}
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = names
    glyf.glyphs = {name: Glyph(kept[name].data) for name in names}
    hmtx = font["hmtx"] = newTable("hmtx")
    hmtx.metrics = {name: (kept[name].advance, kept[name].lsb) for name in names}
    cmap_table = font["cmap"] = newTable("cmap")
    cmap_table.tableVersion = 0
    subtables = []
    for platform, encoding, fmt in ((3, 1, 4), (3, 10, 12)):
        sub = ttLib.tables._c_m_a_p.CmapSubtable.newSubtable(fmt)
        sub.platformID, sub.platEncID, sub.language = platform, encoding, 0
        sub.cmap = dict(cmap) if fmt == 12 else {c: g for c, g in cmap.items() if c <= 0xFFFF}
        subtables.append(sub)
    cmap_table.tables = subtables
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(names)
    maxp.maxPoints = max(k.points for k in kept.values())
    maxp.maxContours = max(k.contours for k in kept.values())
    maxp.maxCompositePoints = maxp.maxCompositeContours = maxp.maxComponentDepth = 0
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
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


GLYPHS = GlyphCache()
