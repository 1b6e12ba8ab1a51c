import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { GrayImage, Mask, Point } from "../../lib/core/types.ts";
import {
  letterboxImage,
  letterboxMask,
  letterboxTransform,
  toModelImage,
  toModelMask,
  unletterboxImage,
  unletterboxMask,
  windowTransform,
} from "../../lib/io/letterbox.ts";

function blob(w: number, h: number, c: Point, sigma: number): GrayImage {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data[y * w + x] = 255 * Math.exp(-((x - c.x) ** 2 + (y - c.y) ** 2) / (2 * sigma * sigma));
    }
  }
  return { width: w, height: h, data };
}

function centroid(img: GrayImage): Point {
  let s = 0, sx = 0, sy = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.data[y * img.width + x];
      s += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return { x: sx / s, y: sy / s };
}

Deno.test("transform: hand-computed HC18 → 256 geometry and exact round trip", () => {
  const t = letterboxTransform(800, 540, 256);
  assert.equal(t.scale, 0.32);
  assert.equal(t.padX, 0);
  assert.ok(Math.abs(t.padY - 41.6) < 1e-12);
  const corner = t.toModel({ x: -0.5, y: -0.5 });
  assert.ok(Math.abs(corner.x + 0.5) < 1e-12 && Math.abs(corner.y - 41.1) < 1e-12);
  const centre = t.toModel({ x: 399.5, y: 269.5 });
  assert.ok(Math.abs(centre.x - 127.5) < 1e-12 && Math.abs(centre.y - 127.5) < 1e-12);
  const rng = new Rng(1);
  for (const [w, h, s] of [[800, 540, 256], [540, 800, 320], [738, 563, 512], [50, 30, 256]]) {
    const tr = letterboxTransform(w, h, s);
    assert.ok(Math.abs(tr.padX + tr.padX + w * tr.scale - s) < 1e-9, "symmetric padding");
    for (let k = 0; k < 100; k++) {
      const p = { x: rng.uniform(-1, w), y: rng.uniform(-1, h) };
      const q = tr.toImage(tr.toModel(p));
      assert.ok(Math.hypot(q.x - p.x, q.y - p.y) < 1e-9);
    }
  }
  assert.throws(() => letterboxTransform(0, 10, 256), RangeError);
});

Deno.test("a resampled bright dot lands where toModel says (shrinking and enlarging)", () => {
  const cases: [number, number, number, Point, number][] = [
    [800, 540, 256, { x: 613.3, y: 97.8 }, 6],
    [540, 800, 256, { x: 70.2, y: 700.6 }, 6],
    [120, 90, 256, { x: 30.25, y: 61.7 }, 2],
    [739, 563, 192, { x: 400.1, y: 280.9 }, 8],
  ];
  for (const [w, h, size, c, sigma] of cases) {
    const { image, transform } = letterboxImage(blob(w, h, c, sigma), size);
    const found = centroid(image);
    const expected = transform.toModel(c);
    const err = Math.hypot(found.x - expected.x, found.y - expected.y);
    assert.ok(err < 0.01, `${w}×${h}→${size}: ${JSON.stringify({ found, expected })}`);
  }
});

Deno.test("enlarging is exact bilinear: a linear ramp reads back its source coordinate", () => {
  const w = 40, h = 30;
  const img = { width: w, height: h, data: Float32Array.from({ length: w * h }, (_, i) => i % w) };
  const { image, transform } = letterboxImage(img, 100, -1);
  for (let y = 20; y < 80; y += 7) {
    for (let x = 0; x < 100; x += 3) {
      const sx = transform.toImage({ x, y }).x;
      if (sx < 0 || sx > w - 1) continue; // edge pixels clamp
      assert.ok(Math.abs(image.data[y * 100 + x] - sx) < 1e-4, `${x},${y}`);
    }
  }
});

Deno.test("padding takes the fill value, symmetrically", () => {
  const img = { width: 100, height: 50, data: new Float32Array(5000).fill(200) };
  const { image, transform } = letterboxImage(img, 64, 7);
  assert.equal(transform.padY, 16);
  const rowValue = (y: number) => image.data[y * 64 + 32];
  for (let y = 0; y < 16; y++) {
    assert.equal(rowValue(y), 7);
    assert.equal(rowValue(63 - y), 7);
  }
  for (let y = 16; y < 48; y++) assert.ok(Math.abs(rowValue(y) - 200) < 1e-3);
});

Deno.test("masks: nearest neighbour, values stay binary, area scales by scale²", () => {
  const w = 300, h = 200;
  const data = new Uint8Array(w * h);
  for (let y = 50; y < 150; y++) for (let x = 60; x < 240; x++) data[y * w + x] = 1;
  const src: Mask = { width: w, height: h, data };
  const { mask, transform } = letterboxMask(src, 150);
  assert.ok(mask.data.every((v) => v === 0 || v === 1));
  const area = mask.data.reduce((s, v) => s + v, 0);
  assert.equal(area, 90 * 50); // 180×100 box at scale 0.5
  const tl = transform.toModel({ x: 60, y: 50 });
  assert.equal(mask.data[Math.round(tl.y + 0.5) * 150 + Math.round(tl.x + 0.5)], 1);
  // Model → image: same size as the source and close to the original (boundary pixels only).
  const back = unletterboxMask(mask, transform);
  assert.equal(back.width, w);
  let diff = 0;
  for (let i = 0; i < data.length; i++) diff += back.data[i] !== data[i] ? 1 : 0;
  assert.ok(diff <= 2 * (180 + 100) * 2, `diff ${diff}`);
});

Deno.test("unletterboxImage brings a model-space dot back to its image position", () => {
  const t = letterboxTransform(800, 540, 256);
  const p = { x: 300.4, y: 222.2 };
  const modelImg = blob(256, 256, t.toModel(p), 2);
  const back = unletterboxImage(modelImg, t);
  assert.equal(back.width, 800);
  assert.equal(back.height, 540);
  const c = centroid(back);
  assert.ok(Math.hypot(c.x - p.x, c.y - p.y) < 0.05, JSON.stringify(c));
});

Deno.test("letterboxTransform is the whole-image window: the hand formula on a portrait image", () => {
  // 53 × 77 into 32: scale 32/77, padX = (32 − 53·32/77)/2, padY = 0.
  const t = letterboxTransform(53, 77, 32);
  assert.equal(t.scale, 32 / 77);
  assert.ok(Math.abs(t.padX - (32 - (53 * 32) / 77) / 2) < 1e-12);
  assert.ok(Math.abs(t.padY) < 1e-12);
  const p = t.toModel({ x: -0.5, y: 76.5 });
  assert.ok(Math.abs(p.x - (t.padX - 0.5)) < 1e-12 && Math.abs(p.y - 31.5) < 1e-12);
});

Deno.test("windowTransform: hand-computed window, exact round trip", () => {
  // 400 image px around (200, 100) onto 200 model px: scale ½, the centre on model (99.5, 99.5),
  // the window's edges x = 0 and 400 (y = −100 and 300) on the model's −½ and 199.5.
  const t = windowTransform(800, 540, 200, { cx: 200, cy: 100, side: 400 });
  assert.equal(t.scale, 0.5);
  assert.deepEqual(t.toModel({ x: 200, y: 100 }), { x: 99.5, y: 99.5 });
  assert.deepEqual(t.toModel({ x: 0, y: -100 }), { x: -0.5, y: -0.5 });
  assert.deepEqual(t.toModel({ x: 400, y: 300 }), { x: 199.5, y: 199.5 });
  const p = { x: 251.3, y: 17.9 };
  const q = t.toImage(t.toModel(p));
  assert.ok(Math.abs(q.x - p.x) < 1e-9 && Math.abs(q.y - p.y) < 1e-9);
  assert.throws(() => windowTransform(800, 540, 200, { cx: 1, cy: 1, side: 0 }), RangeError);
});

Deno.test("toModelImage on a window: the blob lands where toModel says; outside the image is fill", () => {
  const img = blob(800, 540, { x: 250, y: 120 }, 12);
  const t = windowTransform(800, 540, 200, { cx: 200, cy: 100, side: 400 });
  const c = centroid(toModelImage(img, t));
  assert.ok(Math.abs(c.x - 124.5) < 0.05 && Math.abs(c.y - 109.5) < 0.05, JSON.stringify(c));
  // Centre (50, 270): the image's left edge x = −½ lands on model x = 74.25, so columns 0–74
  // read outside the image and get the fill value.
  const flat: GrayImage = { width: 800, height: 540, data: new Float32Array(800 * 540).fill(100) };
  const out = toModelImage(flat, windowTransform(800, 540, 200, { cx: 50, cy: 270, side: 400 }), 7);
  assert.equal(out.data[100 * 200 + 74], 7);
  assert.ok(Math.abs(out.data[100 * 200 + 75] - 100) < 1e-4);
});

Deno.test("toModelMask / unletterboxMask on a window: pixels outside the window come back empty", () => {
  const mask: Mask = { width: 120, height: 90, data: new Uint8Array(120 * 90).fill(1) };
  const t = windowTransform(120, 90, 32, { cx: 60, cy: 45, side: 40 });
  const inModel = toModelMask(mask, t);
  assert.ok(inModel.data.every((v) => v === 1));
  const back = unletterboxMask(inModel, t);
  // The window spans x, y ∈ [40, 80] and [25, 65] (pixel centres strictly inside are kept).
  for (let y = 0; y < 90; y++) {
    for (let x = 0; x < 120; x++) {
      const inside = x > 40 && x < 80 && y > 25 && y < 65;
      const outside = x < 40 || x > 80 || y < 25 || y > 65;
      if (inside) assert.equal(back.data[y * 120 + x], 1, `(${x}, ${y})`);
      if (outside) assert.equal(back.data[y * 120 + x], 0, `(${x}, ${y})`);
    }
  }
});
