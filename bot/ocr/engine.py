"""The OCR engine: RapidOCR (PP-OCRv4, ONNX models shipped in its wheel), loaded once, lazily, thread-safely.

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

_lock = threading.Lock()
_engine = None


class ImageError(ValueError):
    """The bytes are not an image we can decode."""


def get_engine():
    """The process-wide RapidOCR instance, created on first use (about a second, no download)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from rapidocr_onnxruntime import RapidOCR

                threads = int(os.environ.get("OCR_THREADS", "-1"))
                _engine = RapidOCR(
                    intra_op_num_threads=threads,
                    inter_op_num_threads=1,
                    print_verbose=False,
                )
    return _engine


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
    score: float
    box: tuple[tuple[float, float], ...]  # four corners, upright page coordinates


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


def _page_orientation(boxes: list[np.ndarray], cls_res: list, texts: list[str]) -> int:
    votes = {0: 0.0, 90: 0.0, 180: 0.0, 270: 0.0}
    for box, (label, cscore), text in zip(boxes, cls_res, texts, strict=False):
        bw = max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))
        bh = max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))
        tall = bh / max(bw, 1.0) >= 1.5
        flipped = "180" in str(label) and float(cscore) > 0.9
        key = (90 if not flipped else 270) if tall else (180 if flipped else 0)
        votes[key] += max(len(text), 1)
    return max(votes, key=votes.get)


def ocr_lines(data: bytes) -> list[OcrLine]:
    """Read every text line of a photo. Raises ImageError when the bytes are not an image."""
    img = decode(data)
    engine = get_engine()
    with _lock:  # RapidOCR keeps per-call state on the instance; one photo at a time per process
        boxes, _ = engine.text_det(img)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = engine.sorted_boxes(boxes)
        crops = engine.get_crop_img_list(img, boxes)
        crops, cls_res, _ = engine.text_cls(crops)
        rec_res, _ = engine.text_rec(crops)
    texts = [str(r[0]) for r in rec_res]
    h, w = img.shape[:2]
    orientation = _page_orientation(boxes, cls_res, texts)
    lines = []
    for box, (text, score, *_rest) in zip(boxes, rec_res, strict=False):
        if not str(text).strip() or float(score) < 0.5:
            continue
        pts = _upright(np.asarray(box, np.float32), orientation, w, h)
        if orientation:
            pts = _reorder(pts)
        lines.append(OcrLine(str(text), float(score), tuple((float(px), float(py)) for px, py in pts)))
    lines.sort(key=lambda ln: (sum(p[1] for p in ln.box) / 4, ln.box[0][0]))
    return lines


def _reorder(pts: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left after a rotation of the frame."""
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    order = np.argsort(ang)  # from -pi: top-left first in image coordinates (y down)
    pts = pts[order]
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)
