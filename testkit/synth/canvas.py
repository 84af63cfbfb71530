"""A page being drawn: text at positions, rules and table borders, rendered with one of the installed CJK fonts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

#: The CJK families the mplfonts package installs (OFL / free fonts), by the look they give.
FONTS = {
    "sans": "NotoSansCJKsc-Regular.otf",
    "sans_mono": "NotoSansMonoCJKsc-Regular.otf",
    "serif": "NotoSerifCJKsc-Regular.otf",
    "hei": "SimHei.ttf",
    "mono": "SourceHanMonoSC-Regular.otf",
    "song": "SourceHanSerifSC-Regular.otf",
}


def font_file(name: str) -> Path:
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / FONTS[name]


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(name)), size)


@dataclass
class Canvas:
    width: int
    family: str = "sans"
    bg: tuple[int, int, int] = (255, 255, 255)
    ink: tuple[int, int, int] = (20, 20, 20)
    ops: list[tuple] = field(default_factory=list)
    y: int = 0

    def measure(self, s: str, size: int) -> int:
        return int(font(self.family, size).getlength(s))

    def put(self, x: int, y: int, s: str, size: int, *, align: str = "left", fill=None) -> None:
        self.ops.append(("text", x, y, s, size, align, fill or self.ink))

    def text(self, x: int, s: str, size: int, *, align: str = "left", fill=None, gap: float = 1.45) -> None:
        self.put(x, self.y, s, size, align=align, fill=fill)
        self.y += int(size * gap)

    def rule(self, x0: int, x1: int, *, dashed: bool = False, fill=(60, 60, 60), width: int = 2) -> None:
        self.ops.append(("line", x0, self.y + 6, x1, self.y + 6, dashed, fill, width))
        self.y += 16

    def line(self, x0, y0, x1, y1, *, fill=(60, 60, 60), width: int = 2) -> None:
        self.ops.append(("line", x0, y0, x1, y1, False, fill, width))

    def render(self, height: int | None = None) -> Image.Image:
        img = Image.new("RGB", (self.width, height or self.y + 30), self.bg)
        d = ImageDraw.Draw(img)
        lines = []  # what a perfect OCR would return: (text, 1.0, box), for testing the extraction alone
        for op in self.ops:
            if op[0] == "text":
                _, x, y, s, size, align, fill = op
                f = font(self.family, size)
                if align == "right":
                    x -= int(f.getlength(s))
                elif align == "center":
                    x -= int(f.getlength(s)) // 2
                d.text((x, y), s, font=f, fill=fill)
                if s.strip():
                    x1, y0, y1 = x + f.getlength(s), y + size * 0.15, y + size * 1.2
                    lines.append((s, 1.0, ((x, y0), (x1, y0), (x1, y1), (x, y1))))
            else:
                _, x0, y0, x1, y1, dashed, fill, width = op
                if dashed:
                    for x in range(int(x0), int(x1), 14):
                        d.line((x, y0, min(x + 7, x1), y1), fill=fill, width=width)
                else:
                    d.line((x0, y0, x1, y1), fill=fill, width=width)
        img.info["lines"] = lines
        return img
