#!/usr/bin/python3
"""Write tests/fixtures/clahe/cases.json: OpenCV's CLAHE(2.0, (8, 8)) output for small synthetic
inputs, the reference that lib/transforms/clahe.ts is tested against.

Run with Debian's python (it has cv2 and numpy):  /usr/bin/python3 tools/make_clahe_fixture.py
Inputs are generated here from a fixed seed (synthetic patterns and crops of phantom-like
ultrasound images); no HC18 pixels are used.
"""
import base64
import json
import pathlib

import cv2
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "clahe" / "cases.json"
rng = np.random.default_rng(20261130)


def u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def phantom_like(h, w):
    """A bright elliptical skull ring on a dark fan with speckle, like a fetal head scan."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy, a, b, t = w * 0.5, h * 0.55, w * 0.3, h * 0.22, 0.4
    u = ((xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)) / a
    v = (-(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)) / b
    r = np.sqrt(u * u + v * v)
    ring = np.exp(-((r - 1.0) / 0.06) ** 2)
    fan = (np.abs(np.arctan2(xx - w / 2, yy + h * 0.3)) < 0.7).astype(np.float64)
    tissue = 50 + 30 * (r < 1)
    speckle = rng.rayleigh(1.0, size=(h, w)) / np.sqrt(np.pi / 2)
    return u8(fan * (tissue + 170 * ring) * speckle)


def cases():
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float64)
    yield "gradient", u8(xx * 4.0)
    yield "checker", u8(((xx // 8 + yy // 8) % 2) * 200 + 20)
    yield "constant", np.full((64, 64), 97, np.uint8)
    yield "noise", rng.integers(0, 256, size=(64, 64), dtype=np.uint8)
    yield "low_contrast", u8(120 + 6 * np.sin(xx / 5) + 4 * np.cos(yy / 7) + rng.normal(0, 2, (64, 64)))
    yield "rings", u8(128 + 100 * np.sin(np.hypot(xx - 30, yy - 34) / 3))
    big = phantom_like(256, 256)
    yield "phantom_crop_ring", big[96:160, 20:84].copy()
    yield "phantom_crop_centre", big[110:174, 96:160].copy()
    yield "phantom_96x80", phantom_like(80, 96)
    # Sizes that do not divide by 8: OpenCV pads with BORDER_REFLECT_101 (both axes, see clahe.ts).
    yield "pad_61x53", phantom_like(53, 61)
    yield "pad_width_only_60x64", phantom_like(64, 60)
    yield "pad_height_only_64x60", phantom_like(60, 64)


def main():
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    out = []
    for name, img in cases():
        res = clahe.apply(img)
        out.append({
            "name": name,
            "width": int(img.shape[1]),
            "height": int(img.shape[0]),
            "input": base64.b64encode(img.tobytes()).decode(),
            "expected": base64.b64encode(res.tobytes()).decode(),
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"opencv": cv2.__version__, "clipLimit": 2.0, "tileGrid": [8, 8],
                               "cases": out}, indent=1) + "\n")
    print(f"wrote {len(out)} cases to {OUT} (OpenCV {cv2.__version__})")


if __name__ == "__main__":
    main()
