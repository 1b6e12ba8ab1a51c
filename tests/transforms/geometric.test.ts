import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { GrayImage, Landmarks, Point } from "../../lib/core/types.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { isCanonical, sameUpToOrder } from "../../lib/data/landmark_order.ts";
import { ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";
import { fitEllipse } from "../../lib/geometry/ellipse_fit.ts";
import { boundaryPoints } from "../../lib/geometry/mask.ts";
import {
  affineWarp,
  applyWarp,
  displacementWarp,
  elastic,
  flipHorizontal,
  flipVertical,
  gridDistortion,
  gridWarp,
  mapToSource,
  opticalDistortion,
  opticalWarp,
  rotate,
  scale,
  shift,
  shiftScaleRotate,
  shiftScaleRotateMatrix,
  type Warp,
  warpImage,
} from "../../lib/transforms/geometric.ts";
import { type AugSample, toAugSample, type Transform } from "../../lib/transforms/types.ts";

const SIZE = 256;

/** Every geometric transform, with its random parameters drawn as in training. */
const TRANSFORMS: [string, Transform][] = [
  ["rotate", rotate()],
  ["scale", scale()],
  ["shift", shift()],
  ["shiftScaleRotate", shiftScaleRotate()],
  ["flipHorizontal", flipHorizontal({ p: 1 })],
  ["flipVertical", flipVertical({ p: 1 })],
  ["elastic", elastic()],
  ["gridDistortion", gridDistortion()],
  ["opticalDistortion", opticalDistortion()],
];

/** Warps drawn directly (random parameters), to test their maps on arbitrary points. */
function randomWarps(rng: Rng, w: number, h: number): Warp[] {
  const ctrl = () => {
    const n = (Math.ceil(w / 64) + 4) * (Math.ceil(h / 64) + 4);
    return Float64Array.from({ length: n }, () => rng.uniform(-7, 7));
  };
  const knots = (n: number) => {
    const k = [-0.5];
    for (let i = 0; i < 5; i++) k.push(k[i] + (n / 5) * rng.uniform(0.7, 1.3));
    const scaleBy = n / (k[5] + 0.5);
    return Float64Array.from(k, (v) => -0.5 + (v + 0.5) * scaleBy);
  };
  return [
    affineWarp(
      "ssr",
      shiftScaleRotateMatrix(w, h, rng.uniform(-20, 20), rng.uniform(0.85, 1.15), 9, -7),
      w,
      h,
    ),
    displacementWarp("elastic", w, h, 64, ctrl(), ctrl()),
    gridWarp("grid", w, h, knots(w), knots(h)),
    opticalWarp("optical+", w, h, 0.09, { x: w / 2 + 5, y: h / 2 - 3 }),
    opticalWarp("optical-", w, h, -0.09, { x: w / 2 - 4, y: h / 2 + 6 }),
  ];
}

Deno.test("every warp: forward then inverse (and inverse then forward) returns points within 1e-3 px", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 5; trial++) {
    for (const warp of randomWarps(rng, 200, 150)) {
      for (let i = 0; i < 50; i++) {
        const p = { x: rng.uniform(10, 190), y: rng.uniform(10, 140) };
        const back = warp.inverse(warp.forward(p));
        assert.ok(
          Math.hypot(back.x - p.x, back.y - p.y) < 1e-3,
          `${warp.label}: ${JSON.stringify([p, back])}`,
        );
        const there = warp.forward(warp.inverse(p));
        assert.ok(Math.hypot(there.x - p.x, there.y - p.y) < 1e-3, `${warp.label} inverse-forward`);
      }
    }
  }
});

Deno.test("every warp: the dense resampling map agrees with the point map (sourceRow = inverse)", () => {
  const rng = new Rng(3);
  const w = 120, h = 90;
  const sx = new Float32Array(w);
  const sy = new Float32Array(w);
  for (const warp of randomWarps(rng, w, h)) {
    for (const y of [0, 17, 45, 89]) {
      warp.sourceRow(y, sx, sy);
      for (let x = 0; x < w; x++) {
        const q = warp.inverse({ x, y });
        assert.ok(
          Math.abs(q.x - sx[x]) < 1e-3 && Math.abs(q.y - sy[x]) < 1e-3,
          `${warp.label} (${x}, ${y})`,
        );
      }
    }
  }
});

/** Intensity-weighted centroid of the pixels above half the maximum, near `around`. */
function spotCentroid(img: GrayImage, around: Point, radius = 8): Point {
  let max = 0;
  for (let y = Math.round(around.y) - radius; y <= Math.round(around.y) + radius; y++) {
    for (let x = Math.round(around.x) - radius; x <= Math.round(around.x) + radius; x++) {
      max = Math.max(max, img.data[y * img.width + x]);
    }
  }
  let sw = 0, sx = 0, sy = 0;
  for (let y = Math.round(around.y) - radius; y <= Math.round(around.y) + radius; y++) {
    for (let x = Math.round(around.x) - radius; x <= Math.round(around.x) + radius; x++) {
      const v = img.data[y * img.width + x] - max / 2;
      if (v > 0) {
        sw += v;
        sx += v * x;
        sy += v * y;
      }
    }
  }
  return { x: sx / sw, y: sy / sw };
}

Deno.test("every warp: a landmark moves with the pixels (a Gaussian spot's centroid lands within 0.1 px; observed ≤ 0.03)", () => {
  const rng = new Rng(11);
  const w = 160, h = 120;
  for (const warp of randomWarps(rng, w, h)) {
    for (const c of [{ x: 50.3, y: 40.7 }, { x: 110.6, y: 80.2 }, { x: 80, y: 60 }]) {
      const data = new Float32Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          data[y * w + x] = 250 * Math.exp(-((x - c.x) ** 2 + (y - c.y) ** 2) / (2 * 2.5 ** 2));
        }
      }
      const moved = warp.forward(c);
      const got = spotCentroid(warpImage({ width: w, height: h, data }, warp), moved);
      const err = Math.hypot(got.x - moved.x, got.y - moved.y);
      assert.ok(
        err < 0.1,
        `${warp.label}: spot at ${JSON.stringify(got)}, landmark at ${JSON.stringify(moved)}`,
      );
    }
  }
});

Deno.test("affine maps: hand-computed rotation, flip and integer shift", () => {
  // 90° counter-clockwise (on screen) about the centre (4.5, 4.5) of a 10×10 image.
  const m = shiftScaleRotateMatrix(10, 10, 90, 1, 0, 0);
  const rot = affineWarp("rot90", m, 10, 10);
  const p = rot.forward({ x: 9, y: 4.5 }); // right of centre → above centre
  assert.ok(Math.abs(p.x - 4.5) < 1e-12 && Math.abs(p.y - 0) < 1e-12, JSON.stringify(p));
  // An integer shift moves pixel values exactly (no interpolation blur).
  const img = { width: 4, height: 3, data: Float32Array.from({ length: 12 }, (_, i) => i * 10) };
  const shifted = warpImage(img, affineWarp("shift", [1, 0, 1, 0, 1, 0], 4, 3));
  assert.deepEqual(Array.from(shifted.data), [0, 0, 10, 20, 0, 40, 50, 60, 0, 80, 90, 100]);
  const flipped = warpImage(img, affineWarp("flip", [-1, 0, 3, 0, 1, 0], 4, 3));
  assert.deepEqual(Array.from(flipped.data), [30, 20, 10, 0, 70, 60, 50, 40, 110, 100, 90, 80]);
});

Deno.test("flips keep the order convention (hand-computed landmarks)", () => {
  const w = 100, h = 80;
  const s = toAugSample({
    image: { width: w, height: h, data: new Float32Array(w * h) },
    landmarks: [{ x: 10, y: 40 }, { x: 90, y: 42 }, { x: 50, y: 20 }, { x: 49, y: 62 }],
  });
  const rng = new Rng(1);
  const h1 = flipHorizontal({ p: 1 })(s, rng);
  assert.deepEqual(h1.landmarks, [{ x: 9, y: 42 }, { x: 89, y: 40 }, { x: 49, y: 20 }, {
    x: 50,
    y: 62,
  }]);
  const v1 = flipVertical({ p: 1 })(s, rng);
  assert.deepEqual(v1.landmarks, [{ x: 10, y: 39 }, { x: 90, y: 37 }, { x: 49, y: 17 }, {
    x: 50,
    y: 59,
  }]);
  assert.ok(isCanonical(h1.landmarks) && isCanonical(v1.landmarks));
  // Rotations by up to 180° must keep the convention too.
  const r = rotate({ limitDeg: 180 });
  for (let i = 0; i < 30; i++) assert.ok(isCanonical(r(s, new Rng(i)).landmarks));
});

function phantomSample(seed: number): AugSample {
  const p = generatePhantom(seed, { width: SIZE, height: SIZE });
  return toAugSample(p);
}

Deno.test("every geometric transform: landmarks map back to the originals (mapToSource, 1e-3 px)", () => {
  for (const [name, t] of TRANSFORMS) {
    for (let seed = 0; seed < 4; seed++) {
      const s = phantomSample(seed);
      const out = t(s, new Rng(100 + seed));
      if (out.skipped.length) continue;
      const back = mapToSource(out.maps, out.landmarks) as Landmarks;
      assert.ok(sameUpToOrder(back, s.landmarks, 1e-3), `${name} seed ${seed}`);
      assert.ok(isCanonical(out.landmarks), name);
    }
  }
});

/** Largest distance between corresponding landmarks, after matching ends within each pair. */
function landmarkDistance(a: Landmarks, b: Landmarks): number {
  const d = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);
  const pair = (i: number) =>
    Math.min(
      Math.max(d(a[i], b[i]), d(a[i + 1], b[i + 1])),
      Math.max(d(a[i], b[i + 1]), d(a[i + 1], b[i])),
    );
  return Math.max(pair(0), pair(2));
}

Deno.test("shift/scale/rotate/flips: ellipse fitted to the moved mask agrees with the moved landmarks (≤ 2 px)", () => {
  for (const [name, t] of TRANSFORMS.slice(0, 6)) {
    for (let seed = 0; seed < 3; seed++) {
      const out = t(phantomSample(seed), new Rng(200 + seed));
      const fit = fitEllipse(boundaryPoints(out.mask!));
      assert.ok(fit, name);
      const err = landmarkDistance(ellipseToLandmarks(fit), out.landmarks);
      assert.ok(err <= 2, `${name} seed ${seed}: ${err.toFixed(2)} px`);
    }
  }
});

Deno.test("distortions: moved landmarks stay on the moved mask's boundary (≤ 1.5 px)", () => {
  for (const [name, t] of TRANSFORMS.slice(6)) {
    for (let seed = 0; seed < 3; seed++) {
      const out = t(phantomSample(seed), new Rng(300 + seed));
      const boundary = boundaryPoints(out.mask!);
      for (const p of out.landmarks) {
        const nearest = Math.min(...boundary.map((q) => Math.hypot(q.x - p.x, q.y - p.y)));
        assert.ok(
          nearest <= 1.5,
          `${name} seed ${seed}: ${nearest.toFixed(2)} px from the boundary`,
        );
      }
    }
  }
});

Deno.test("masks stay binary through every geometric transform", () => {
  for (const [name, t] of TRANSFORMS) {
    const out = t(phantomSample(5), new Rng(5));
    assert.ok(out.mask!.data.every((v) => v === 0 || v === 1), name);
  }
});

Deno.test("out-of-image policy: redraws until inside, else skips and records it (never clamps)", () => {
  const w = 64, h = 64;
  const base = toAugSample({
    image: { width: w, height: h, data: new Float32Array(w * h).fill(100) },
    landmarks: [{ x: 1, y: 30 }, { x: 62, y: 32 }, { x: 31, y: 2 }, { x: 33, y: 61 }],
  });
  // Shifting by ±50 % with landmarks at the borders can never keep all four inside.
  const hopeless = shift({ limit: 0.5, maxTries: 5 });
  const out = hopeless(base, new Rng(3));
  assert.deepEqual(out.skipped, ["shift(±50%)"]);
  assert.equal(out.image, base.image);
  assert.equal(out.maps.length, 0);
  // Landmarks in the middle always fit a small shift: applied on the first draw.
  const central = {
    ...base,
    landmarks: [{ x: 20, y: 32 }, { x: 44, y: 32 }, { x: 32, y: 22 }, {
      x: 32,
      y: 42,
    }] as Landmarks,
  };
  const ok = shift({ limit: 0.1 })(central, new Rng(3));
  assert.equal(ok.skipped.length, 0);
  assert.equal(ok.maps.length, 1);
  for (const p of ok.landmarks) assert.ok(p.x >= 0 && p.x <= w - 1 && p.y >= 0 && p.y <= h - 1);
});

Deno.test("grid distortion keeps the image borders in place", () => {
  const t = gridDistortion();
  const s = phantomSample(1);
  const out = t(s, new Rng(9));
  const warp = out.maps[0];
  for (const c of [{ x: -0.5, y: -0.5 }, { x: SIZE - 0.5, y: SIZE - 0.5 }]) {
    const q = warp.inverse(c);
    assert.ok(Math.abs(q.x - c.x) < 1e-9 && Math.abs(q.y - c.y) < 1e-9);
  }
});

Deno.test("geometric transforms do not modify their input", () => {
  const s = phantomSample(2);
  const before = {
    image: s.image.data.slice(),
    mask: s.mask!.data.slice(),
    landmarks: structuredClone(s.landmarks),
  };
  for (const [, t] of TRANSFORMS) t(s, new Rng(1));
  assert.deepEqual(s.image.data, before.image);
  assert.deepEqual(s.mask!.data, before.mask);
  assert.deepEqual(s.landmarks, before.landmarks);
});

Deno.test("applyWarp appends its map; identity affine changes nothing", () => {
  const s = phantomSample(3);
  const out = applyWarp(s, affineWarp("id", [1, 0, 0, 0, 1, 0], SIZE, SIZE));
  assert.deepEqual(out.image.data, s.image.data);
  assert.deepEqual(out.mask!.data, s.mask!.data);
  assert.equal(out.maps.length, 1);
});
