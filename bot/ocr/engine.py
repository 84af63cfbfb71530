"""The OCR engine: RapidOCR with the PP-OCRv6 small models shipped inside the `rapidocr` 3.10 wheel
(no download), loaded once, lazily, thread-safely.

`OCR_MODEL=v4` runs the earlier PP-OCRv4 models of `rapidocr-onnxruntime` 1.4.4 instead, when that
package is installed (it is not a dependency: it was kept until bench/ocr.py showed PP-OCRv6 reading
more fields right at a higher precision on the held-out set, for the same CPU time).

`ocr_lines(data)` decodes a photo, bounds its size, runs detection, the 0/180 degree line classifier
and recognition, then works out which way up the page is (from the shape of the text boxes and the
classifier's votes) and returns every line as (text, score, box) with the box in upright-page
coordinates, so that the extractor can reason about rows and columns whatever way the photo was taken.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

#: Longest image side fed to the detector. Telegram sends photos at 1280 px at most; text on a slip
#: photo stays legible at this size and detection time grows with the pixel count.
MAX_SIDE = int(os.environ.get("OCR_MAX_SIDE", "1280"))

MODEL = os.environ.get("OCR_MODEL", "v6")

_lock = threading.Lock()
_engines: dict[str, object] = {}


class ImageError(ValueError):
    """The bytes are not an image we can decode."""


def get_engine(model: str | None = None):
    """The process-wide engine for a model ("v6", or "v4" when installed), created on first use (about a
    second, no download)."""
    model = model or MODEL
    if model not in _engines:
        with _lock:
            if model not in _engines:
                threads = int(os.environ.get("OCR_THREADS", "-1"))
                if model == "v4":
                    from rapidocr_onnxruntime import RapidOCR

                    _engines[model] = _V4(
                        RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
                    )
                else:
                    _engines[model] = _V6(threads)
    return _engines[model]


class _V4:
    """rapidocr-onnxruntime 1.4.x: PP-OCRv4 detection and recognition, the v2 line classifier."""

    def __init__(self, engine):
        self.e = engine

    def detect(self, img):
        boxes, _ = self.e.text_det(img)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = self.e.sorted_boxes(boxes)
        return boxes, self.e.get_crop_img_list(img, boxes)

    def classify(self, crops):
        _, cls_res, _ = self.e.text_cls(crops)
        return cls_res

    def recognize(self, crops):
        """(text, score, per-character probabilities or ()) per crop."""
        rec_res, _ = self.e.text_rec(crops, True)
        out = []
        for res in rec_res:
            chars = tuple(float(c) for c in res[2][4]) if len(res) > 2 and len(res[2]) > 4 else ()
            out.append((str(res[0]), float(res[1]), chars))
        return out


class _V6:
    """rapidocr 3.10: PP-OCRv6 small models from its wheel. Its recogniser gives one score per line (the
    extraction then judges every character of a line by it)."""

    def __init__(self, threads: int):
        from rapidocr import RapidOCR

        self.e = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self.det, self.cls, self.rec = (
            self.e._load_det_model(),
            self.e._load_cls_model(),
            self.e._load_rec_model(),
        )

    def detect(self, img):
        res = self.det(img)
        if res.boxes is None or len(res.boxes) == 0:
            return []
        return res.boxes, self.e.crop_text_regions(img, res.boxes)

    def classify(self, crops):
        return self.cls(crops).cls_res

    def recognize(self, crops):
        from rapidocr.ch_ppocr_rec import TextRecInput

        res = self.rec(TextRecInput(img=crops))
        return [(str(txt), float(sc), ()) for txt, sc in zip(res.txts or (), res.scores, strict=False)]


def decode(data: bytes) -> np.ndarray:
    """Bytes → BGR uint8 array, EXIF orientation applied, longest side at most MAX_SIDE."""
    import cv2

    arr = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR) if arr.size else None  # applies EXIF orientation
    if img is None:
        try:
            from PIL import Image, ImageOps

            with Image.open(io.BytesIO(data)) as pil:
                pil = ImageOps.exif_transpose(pil).convert("RGB")
                img = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
        except Exception as exc:  # noqa: BLE001 - any decoder failure means "not an image we read"
            raise ImageError("not a readable image") from exc
    h, w = img.shape[:2]
    if min(h, w) < 16:
        raise ImageError("image too small")
    s = MAX_SIDE / max(h, w)
    if s < 1.0:
        img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return img


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float  # mean character probability, as RapidOCR reports it
    box: tuple[tuple[float, float], ...]  # four corners, upright page coordinates
    chars: tuple[float, ...] = ()  # probability of each character of text


def _upright(points: np.ndarray, orientation: int, w: int, h: int) -> np.ndarray:
    """Map points from the photo into the frame where the page reads normally (orientation in degrees CW)."""
    x, y = points[:, 0], points[:, 1]
    if orientation == 90:  # text runs top to bottom: turn the page back counter-clockwise
        return np.stack([y, w - x], axis=1)
    if orientation == 270:
        return np.stack([h - y, x], axis=1)
    if orientation == 180:
        return np.stack([w - x, h - y], axis=1)
    return points


def _is_tall(box: np.ndarray) -> bool:
    bw = max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))
    bh = max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))
    return bh / max(bw, 1.0) >= 1.5  # the rule RapidOCR uses to turn a crop by 90 degrees


def ocr_lines(data: bytes, model: str | None = None) -> list[OcrLine]:
    """Read every text line of a photo. Raises ImageError when the bytes are not an image.

    The page orientation is decided once for the whole photo (boxes mostly tall: turned by 90
    degrees; the line classifier's vote on the longest lines: upside down), and every crop is turned
    the same way. Deciding per line lets a short number like 000596 be read upside down as 965000.
    """
    import cv2

    img = decode(data)
    engine = get_engine(model)
    with _lock:  # RapidOCR keeps per-call state on the instance; one photo at a time per process
        found = engine.detect(img)
        if not found:
            return []
        boxes, crops = found
        tall = [_is_tall(b) for b in boxes]
        sideways = sum(tall) > len(tall) / 2
        # vote on the longest lines that agree with the page's orientation
        order = sorted(
            (i for i in range(len(crops)) if tall[i] == sideways),
            key=lambda i: -crops[i].shape[1] / max(crops[i].shape[0], 1),
        )[:VOTERS]
        flipped = False
        if order:
            cls_res = engine.classify([crops[i] for i in order])
            weight = sum(float(sc) * (1 if "180" in str(lb) else -1) for lb, sc in cls_res)
            flipped = weight > 0
        if flipped:
            crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
        rec_res = engine.recognize(crops)
    h, w = img.shape[:2]
    orientation = (270 if flipped else 90) if sideways else (180 if flipped else 0)
    lines = []
    for box, (text, score, chars) in zip(boxes, rec_res, strict=False):
        if not text.strip() or score < 0.5:
            continue
        pts = _upright(np.asarray(box, np.float32), orientation, w, h)
        if orientation:
            pts = _reorder(pts)
        if len(chars) != len(text):
            chars = (score,) * len(text)
        lines.append(OcrLine(text, score, tuple((float(px), float(py)) for px, py in pts), chars))
    lines.sort(key=lambda ln: (sum(p[1] for p in ln.box) / 4, ln.box[0][0]))
    return lines


#: How many of the longest lines vote on whether the page is upside down.
VOTERS = 12


def _reorder(pts: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left after a rotation of the frame."""
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    order = np.argsort(ang)  # from -pi: top-left first in image coordinates (y down)
    pts = pts[order]
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)
