"""`python -m bot ocr FILE...`: one JSON line per photo or PDF: kind, layout, fields, confidences, seconds."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    """Read each file given; print {"file", "kind", "layout", "fields", "confidence", "lines", "seconds"}."""
    args = [a for a in argv if a not in ("ocr",)] if argv[:1] == ["ocr"] else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m bot ocr FILE...   (photos, screenshots, PDFs)", file=sys.stderr)
        return 2
    from . import read
    from .engine import ImageError

    status = 0
    for path in args:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            out = read(data).to_json(path)
        except (OSError, ImageError) as exc:
            out = {
                "file": path,
                "error": str(exc) if isinstance(exc, ImageError) else exc.strerror or str(exc),
            }
            status = 1
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
