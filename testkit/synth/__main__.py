"""python -m testkit.synth DIR [N] [--held-out]: write N samples and their truth to DIR, to look at."""

import sys
from pathlib import Path

from testkit.synth import corpus, held_out, write_corpus

args = [a for a in sys.argv[1:] if not a.startswith("--")]
n = int(args[1]) if len(args) > 1 else 16
write_corpus(
    Path(args[0] if args else "out/ocr-corpus"), held_out(n) if "--held-out" in sys.argv else corpus(n)
)
