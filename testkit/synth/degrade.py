"""Make a clean rendering look like what merchants send: a phone photo of paper or of a screen, or a screenshot.

Effects (each drawn at random, scaled by `strength`): thermal fading (uneven, towards one end), creases
(a fold line that shifts the paper and leaves a bright or dark streak), a hand's or phone's shadow,
skew and perspective, uneven light, blur and shake, sensor noise, the moiré of a photographed screen,
and JPEG compression.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
from PIL import Image


def _background(rng: random.Random, w: int, h: int) -> np.ndarray:
    base = np.array([rng.randint(60, 200) for _ in range(3)], dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = 1.0 + 0.25 * ((xx / w) * rng.uniform(-1, 1) + (yy / h) * rng.uniform(-1, 1))
    bg = base[None, None, :] * grad[..., None]
    bg += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (h, w, 1)).astype(np.float32)
    return np.clip(bg, 0, 255)


def fade(a: np.ndarray, rng: random.Random) -> np.ndarray:
    """Thermal paper: ink contrast lowered, more towards one end, a little yellowed."""
    amount = rng.uniform(0.35, 1.0) if rng.random() < 0.7 else 1.0
    h = a.shape[0]
    ramp = np.linspace(1.0, rng.uniform(0.6, 1.0), h, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    ink = (255.0 - a) * amount * ramp[:, None, None]
    out = 255.0 - ink
    return out * np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.88, 1.0)], dtype=np.float32)


def crease(a: np.ndarray, rng: random.Random) -> np.ndarray:
    """A fold across the paper: a bright/dark streak and the rows below shifted by a pixel or two."""
    h, w = a.shape[:2]
    y = rng.randint(h // 5, 4 * h // 5)
    shift = rng.choice((-2, -1, 1, 2))
    out = a.copy()
    out[y:] = np.roll(a[y:], shift, axis=1)
    band = np.exp(-(((np.arange(h) - y) / rng.uniform(2, 6)) ** 2)).astype(np.float32)
    tone = rng.choice((-45.0, 30.0))
    return np.clip(out + tone * band[:, None, None], 0, 255)


def shadow(a: np.ndarray, rng: random.Random) -> np.ndarray:
    """A soft shadow over part of the picture (a hand, the phone)."""
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, np.pi)
    d = (xx - w * rng.uniform(0.2, 0.8)) * np.cos(ang) + (yy - h * rng.uniform(0.2, 0.8)) * np.sin(ang)
    edge = 1 / (1 + np.exp(-d / rng.uniform(15, 60)))
    dark = 1.0 - rng.uniform(0.25, 0.5) * edge
    return a * dark[..., None]


def moire(a: np.ndarray, rng: random.Random) -> np.ndarray:
    """A photographed screen: interference fringes and the sub-pixel grid."""
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f = rng.uniform(0.15, 0.45)
    ang = rng.uniform(0, np.pi)
    wave = np.sin(f * (xx * np.cos(ang) + yy * np.sin(ang)) + 3 * np.sin(yy / rng.uniform(40, 90)))
    out = a * (1 - rng.uniform(0.04, 0.12) * (wave[..., None] + 1) / 2)
    grid = (np.arange(w) % 3)[None, :, None] == np.arange(3)[None, None, :]
    return out * (0.93 + 0.07 * grid)


def photograph(a: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    """The page on a table, taken at a slant, with uneven light, blur, shake and noise."""
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    h, w = a.shape[:2]
    if w > 800:  # a letter or a table: framed to fill the photo, as one does to read it
        pad_x, pad_y = int(w * rng.uniform(0.03, 0.1)), int(h * rng.uniform(0.03, 0.08))
    else:  # a narrow slip on a table
        pad_x, pad_y = int(w * rng.uniform(0.1, 0.35)), int(h * rng.uniform(0.05, 0.14))
    W, H = w + 2 * pad_x, h + 2 * pad_y
    bg = _background(rng, W, H)
    angle = np.deg2rad(rng.uniform(-9, 9) * strength)
    cx, cy = W / 2, H / 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    j = 0.045 * strength
    dst = []
    for x, y in src:
        x2, y2 = x + pad_x - cx, y + pad_y - cy
        dst.append(
            (
                x2 * np.cos(angle) - y2 * np.sin(angle) + cx + rng.uniform(-j, j) * w,
                x2 * np.sin(angle) + y2 * np.cos(angle) + cy + rng.uniform(-j, j) * h,
            )
        )
    M = cv2.getPerspectiveTransform(src, np.float32(dst))
    warped = cv2.warpPerspective(a, M, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), M, (W, H))[..., None]
    out = warped * mask + bg * (1 - mask)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 1.0 - rng.uniform(0, 0.3) * ((xx / W - rng.random()) ** 2 + (yy / H - rng.random()) ** 2)
    out = out * light[..., None]
    s = rng.choice((1280, 1280, 1152, 1024)) / max(W, H)
    out = cv2.resize(out, (int(W * s), int(H * s)), interpolation=cv2.INTER_AREA)
    sigma = rng.uniform(0.0, 1.3) * strength
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < 0.2 * strength:
        k = rng.choice((3, 5))
        kern = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1.0 / k
        out = cv2.filter2D(out, -1, kern)
    return out + nrng.normal(0, rng.uniform(2, 8) * strength, out.shape).astype(np.float32)


def degrade(img: Image.Image, rng: random.Random, *, medium: str, strength: float = 1.0) -> tuple[bytes, str]:
    """JPEG bytes of the page as sent, and how it was taken: "photo", "screen_photo" or "screenshot"."""
    a = np.asarray(img.convert("RGB")).astype(np.float32)
    if medium == "screen":
        how = rng.choice(("screenshot", "screenshot", "screen_photo"))
    else:
        how = "photo"
    if medium == "thermal":
        a = fade(a, rng)
    if medium != "screen" and rng.random() < 0.3 * strength:
        a = crease(a, rng)
    if how == "screenshot":
        out = cv2.resize(a, None, fx=(s := rng.uniform(0.8, 1.0)), fy=s, interpolation=cv2.INTER_AREA)
    else:
        if how == "screen_photo":
            a = moire(a, rng)
        out = photograph(a, rng, strength)
        if rng.random() < 0.3 * strength:
            out = shadow(out, rng)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if how == "photo" and rng.random() < 0.08 * strength:
        out = np.ascontiguousarray(np.rot90(out, rng.choice((1, 2, 3))))
    q = rng.randint(35, 85) if how != "screenshot" else rng.randint(60, 90)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return buf.tobytes(), how
