"""Generated slips and bank notices with ground truth, photographed like merchants do, for tests and the benchmark.

    s = sample(7)                      # one photo: s.jpeg, s.truth (case fields), s.layout, s.doc
    dev = corpus(60, seed=7)           # the set rules may be looked at against
    held = held_out(120)               # fixed seeds, vocabularies no rule was written against

A sample is drawn from a layout description (specs.py), a label vocabulary (vocab.py), values
(values.py) and photo effects (degrade.py), each picked by one `random.Random`: a seed gives the same
picture on every machine. Nothing here is imported by the product packages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .compose import draw_notice, draw_slip
from .degrade import degrade
from .specs import NOTICES, SLIPS, SPECS
from .values import random_notice, random_txn
from .vocab import DEV, HELD_OUT, NOTICE_VOCABS, SLIP_VOCABS

LAYOUTS = tuple(SPECS)
SLIP_LAYOUTS = tuple(s.name for s in SLIPS)
NOTICE_LAYOUTS = tuple(s.name for s in NOTICES)
#: The layout the reader should report for each description's pictures.
READS_AS = {
    **{name: "unionpay_slip" for name in SLIP_LAYOUTS if name.startswith("thermal")},
    "e_slip": "e_slip",
    "bank_app": "bank_app",
    **{name: "notice" for name in NOTICE_LAYOUTS},
}
#: First seed of the held-out set; its samples draw only the HELD_OUT vocabularies.
HELD_OUT_SEED = 20_261_201


@dataclass(frozen=True)
class Sample:
    name: str
    layout: str  # the spec's name
    doc: str  # "slip" | "notice"
    truth: dict[str, str]
    jpeg: bytes
    how: str = "photo"
    vocab: str = ""
    clean: Image.Image | None = None


def sample(
    seed: int,
    layout: str | None = None,
    *,
    strength: float = 1.0,
    keep_clean: bool = False,
    vocabs: tuple[str, ...] = DEV,
) -> Sample:
    rng = random.Random(seed)
    spec = SPECS[layout] if layout else SPECS[LAYOUTS[seed % len(LAYOUTS)]]
    if spec.doc == "slip":
        name = rng.choice([v for v in vocabs if v in SLIP_VOCABS])
        img, truth = draw_slip(spec, SLIP_VOCABS[name], random_txn(rng), rng)
    else:
        name = rng.choice([v for v in vocabs if v in NOTICE_VOCABS])
        img, truth = draw_notice(spec, NOTICE_VOCABS[name], random_notice(rng), rng)
    jpeg, how = degrade(img, rng, medium=spec.medium, strength=strength)
    return Sample(
        f"{spec.name}-{seed}", spec.name, spec.doc, truth, jpeg, how, name, img if keep_clean else None
    )


def corpus(
    n: int, seed: int = 0, *, strength: float = 1.0, layouts: tuple[str, ...] = LAYOUTS
) -> list[Sample]:
    """n development samples, the layouts in turn, reproducible from seed."""
    return [sample(seed * 100_003 + i, layouts[i % len(layouts)], strength=strength) for i in range(n)]


def held_out(n: int, *, layouts: tuple[str, ...] = LAYOUTS) -> list[Sample]:
    """The fixed held-out set: its own seeds and only the held-out vocabularies."""
    return [sample(HELD_OUT_SEED + i, layouts[i % len(layouts)], vocabs=HELD_OUT) for i in range(n)]


def write_corpus(folder: Path, samples: list[Sample]) -> None:
    """JPEGs and a truth.jsonl beside them, for looking at the data by eye."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "truth.jsonl", "w", encoding="utf-8") as fh:
        for s in samples:
            (folder / f"{s.name}.jpg").write_bytes(s.jpeg)
            row = {
                "file": f"{s.name}.jpg",
                "layout": s.layout,
                "vocab": s.vocab,
                "how": s.how,
                "fields": s.truth,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
