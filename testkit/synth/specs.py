"""Layout descriptions: what kind of page, how rows are arranged, label style, sizes, spacing, fonts.

A description says nothing about what the reader looks for; `compose.py` draws any description with any
vocabulary (vocab.py) and any values (values.py), so the same rules meet many combinations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    name: str
    doc: str  # "slip" | "notice"
    medium: str  # "thermal" (paper slip) | "paper" (A4 letter) | "screen" (app)
    arrangement: str  # "inline" | "below" | "right" | "two_column" | "table"
    labels: tuple[str, ...]  # label styles to choose from: "zh(en)", "zh en", "zh", "en", "zh/en"
    widths: tuple[int, ...]
    sizes: tuple[int, ...]
    gap: tuple[float, float]  # line spacing, in font sizes
    fonts: tuple[str, ...]
    big_amount: bool = False  # an app's big amount on top


SLIPS = (
    Spec(
        "thermal_inline",
        "slip",
        "thermal",
        "inline",
        ("zh(en)", "zh en", "zh"),
        (400, 420, 440),
        (20, 21, 22),
        (1.3, 1.6),
        ("sans", "mono", "sans_mono", "hei"),
    ),
    Spec(
        "thermal_below",
        "slip",
        "thermal",
        "below",
        ("zh(en)", "zh/en", "en"),
        (380, 420),
        (20, 22),
        (1.25, 1.5),
        ("mono", "sans_mono", "hei"),
    ),
    Spec(
        "thermal_two_column",
        "slip",
        "thermal",
        "two_column",
        ("zh", "zh en", "en"),
        (560, 600),
        (19, 20),
        (1.35, 1.7),
        ("sans", "hei", "sans_mono"),
    ),
    Spec(
        "e_slip",
        "slip",
        "screen",
        "right",
        ("zh", "zh en"),
        (720, 750, 828),
        (26, 28, 30),
        (2.0, 2.6),
        ("sans", "hei"),
    ),
    Spec(
        "bank_app",
        "slip",
        "screen",
        "right",
        ("zh",),
        (720, 750, 828),
        (26, 28),
        (2.1, 2.6),
        ("sans", "hei"),
        big_amount=True,
    ),
)

NOTICES = (
    Spec(
        "notice_letter",
        "notice",
        "paper",
        "inline",
        ("zh",),
        (900, 1000),
        (22, 24, 26),
        (1.5, 1.9),
        ("song", "serif", "sans"),
    ),
    Spec(
        "notice_table",
        "notice",
        "paper",
        "table",
        ("zh",),
        (1000, 1100),
        (21, 22, 24),
        (2.0, 2.3),
        ("song", "sans", "hei"),
    ),
    Spec(
        "notice_app",
        "notice",
        "screen",
        "right",
        ("zh",),
        (720, 750, 828),
        (26, 28),
        (2.0, 2.5),
        ("sans", "hei"),
    ),
)

SPECS = {s.name: s for s in SLIPS + NOTICES}
