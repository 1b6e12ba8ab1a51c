import assert from "node:assert/strict";
import {
  edgePoints,
  maskToBiometry,
  type ScoreMap,
  validateBiometry,
} from "../../lib/postprocess/mod.ts";
import type { Ellipse, Point } from "../../lib/core/types.ts";
import { Rng } from "../../lib/core/rng.ts";
import { ellipsePerimeter, ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";
import { letterboxTransform } from "../../lib/io/letterbox.ts";
import { InputError } from "../../lib/core/errors.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a} (tol ${tol})`);

/** Angle difference folded to [0, π/2] (ellipse angles are defined modulo π). */
const angleGap = (a: number, b: number) => {
  const d = Math.abs(a - b) % Math.PI;
  return Math.min(d, Math.PI - d);
};

/** ≈ signed distance to the ellipse boundary (positive inside), exact on the axes. */
function insideDepth(e: Ellipse, p: Point): number {
  const c = Math.cos(e.angle), s = Math.sin(e.angle);
  const u = (p.x - e.cx) * c + (p.y - e.cy) * s;
  const v = -(p.x - e.cx) * s + (p.y - e.cy) * c;
  const r = Math.hypot(u / e.a, v / e.b);
  return (1 - r) * Math.hypot(u, v) / Math.max(r, 1e-9);
}

/** Map from a per-pixel function. */
function mapOf(w: number, h: number, f: (x: number, y: number) => number): ScoreMap {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
}

const binaryEllipse = (w: number, h: number, e: Ellipse) =>
  mapOf(w, h, (x, y) => (insideDepth(e, { x, y }) >= 0 ? 1 : 0));

const softEllipse = (w: number, h: number, e: Ellipse, edge = 0.8) =>
  mapOf(w, h, (x, y) => 1 / (1 + Math.exp(-insideDepth(e, { x, y }) / edge)));

function assertEllipse(
  got: Ellipse | null,
  want: Ellipse,
  tolPx: number,
  tolAngle: number,
  what: string,
): void {
  assert.ok(got, `${what}: no ellipse`);
  close(got.cx, want.cx, tolPx, `${what} cx`);
  close(got.cy, want.cy, tolPx, `${what} cy`);
  close(got.a, want.a, tolPx, `${what} a`);
  close(got.b, want.b, tolPx, `${what} b`);
  assert.ok(
    angleGap(got.angle, want.angle) <= tolAngle,
    `${what} angle ${got.angle} vs ${want.angle}`,
  );
}

const HEAD: Ellipse = { cx: 80.3, cy: 61.7, a: 45.2, b: 33.6, angle: 0.4 };

Deno.test("edgePoints: crack midpoints, soft crossings, nothing on the image frame", () => {
  // 3 × 3 mask with only the centre set: four cracks around pixel (1, 1)
  const mask = { width: 3, height: 3, data: Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]) };
  const pts = edgePoints(mask).map((p) => `${p.x},${p.y}`).sort();
  assert.deepEqual(pts, ["0.5,1", "1,0.5", "1,1.5", "1.5,1"]);
  // soft values: left neighbour 0.3, centre 0.7, threshold 0.5 → crossing halfway; right neighbour
  // 0.6 disagrees with the mask, so its crack keeps the midpoint
  const soft = { data: [0, 0, 0, 0.3, 0.9, 0.6, 0, 0, 0], threshold: 0.5 };
  const left = edgePoints(mask, soft).find((p) => p.y === 1 && p.x < 1)!;
  close(left.x, 1 - (0.9 - 0.5) / (0.9 - 0.3), 1e-12, "left crossing");
  assert.ok(edgePoints(mask, soft).some((p) => p.x === 1.5 && p.y === 1));
  // a full mask touches only the frame: no cracks
  assert.equal(edgePoints({ width: 2, height: 2, data: new Uint8Array([1, 1, 1, 1]) }).length, 0);
});

Deno.test("maskToBiometry recovers a known ellipse from a clean binary and a soft mask", () => {
  const cases: [string, ScoreMap, number][] = [
    ["binary", binaryEllipse(160, 120, HEAD), 0.15],
    ["soft", softEllipse(160, 120, HEAD), 0.1],
  ];
  for (const [name, map, tol] of cases) {
    const r = maskToBiometry(map, { pixelSizeMm: 0.5 });
    assertEllipse(r.ellipse, HEAD, tol, 0.01, name);
    assert.ok(r.valid, `${name}: ${r.reasons}`);
    close(r.hcMm!, ellipsePerimeter(HEAD) * 0.5, 0.5 * 2 * Math.PI * tol, `${name} HC`);
    close(r.ofdMm!, 2 * HEAD.a * 0.5, 2 * tol * 0.5, `${name} OFD`);
    close(r.bpdMm!, 2 * HEAD.b * 0.5, 2 * tol * 0.5, `${name} BPD`);
    const want = ellipseToLandmarks(HEAD);
    r.landmarks!.forEach((p, i) => {
      close(p.x, want[i].x, 0.5, `${name} landmark ${i} x`);
      close(p.y, want[i].y, 0.5, `${name} landmark ${i} y`);
    });
  }
});

Deno.test("maskToBiometry: noise, holes, spurs and a second blob do not move the ellipse", () => {
  const rng = new Rng(42);
  const map = binaryEllipse(160, 120, HEAD);
  const d = map.data as Float32Array;
  const set = (x: number, y: number, v: number) => {
    if (x >= 0 && y >= 0 && x < 160 && y < 120) d[y * 160 + x] = v;
  };
  // holes inside the head
  for (const [hx, hy] of [[70, 60], [90, 55], [80, 72]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) if (dx * dx + dy * dy <= 16) set(hx + dx, hy + dy, 0);
    }
  }
  // a 3-px-wide spur leaving the skull to the upper right
  for (let t = 0; t < 25; t++) for (let w = -1; w <= 1; w++) set(118 + t, 40 - t + w, 1);
  // a second, smaller blob
  for (let dy = -9; dy <= 9; dy++) {
    for (let dx = -9; dx <= 9; dx++) if (dx * dx + dy * dy <= 81) set(15 + dx, 105 + dy, 1);
  }
  // salt-and-pepper noise on 1 % of the pixels
  for (let i = 0; i < d.length; i++) if (rng.bool(0.01)) d[i] = 1 - d[i];
  const r = maskToBiometry(map, { pixelSizeMm: 0.5 });
  assertEllipse(r.ellipse, HEAD, 0.35, 0.02, "noisy");
  assert.ok(r.valid, `${r.reasons}`);
  // the cleaned mask kept neither the blob nor the spur's tip
  assert.equal(r.mask.data[105 * 160 + 15], 0);
  assert.equal(r.mask.data[(40 - 20) * 160 + 138], 0);
  assert.equal(r.mask.data[60 * 160 + 70], 1, "hole filled");
});

Deno.test("maskToBiometry: logits give the same result as probabilities", () => {
  const prob = softEllipse(160, 120, HEAD);
  const logits = { ...prob, data: Float32Array.from(prob.data, (p) => Math.log(p / (1 - p))) };
  const a = maskToBiometry(prob, { threshold: 0.4 });
  const b = maskToBiometry(logits, { input: "logits", threshold: 0.4 });
  assertEllipse(b.ellipse, a.ellipse!, 1e-3, 1e-4, "logits vs probabilities");
  // p = 0.4 lies 0.8·ln(1.5) px outside the p = 0.5 edge (edge width 0.8 in softEllipse)
  const grow = 0.8 * Math.log(1.5);
  assertEllipse(
    a.ellipse,
    { ...HEAD, a: HEAD.a + grow, b: HEAD.b + grow },
    0.05,
    0.01,
    "threshold 0.4",
  );
});

Deno.test("maskToBiometry maps through the letterbox inverse into image pixels", () => {
  const lb = letterboxTransform(400, 300, 128); // scale 0.32: one model px = 3.125 image px
  const truth: Ellipse = { cx: 190.4, cy: 160.2, a: 120.5, b: 92.3, angle: 2.8 };
  const map = mapOf(
    128,
    128,
    (x, y) => 1 / (1 + Math.exp(-insideDepth(truth, lb.toImage({ x, y })) / 2.5)),
  );
  const r = maskToBiometry(map, { transform: lb, pixelSizeMm: 0.2 });
  assertEllipse(r.ellipse, truth, 0.3, 0.01, "letterboxed");
  assert.ok(r.valid, `${r.reasons}`);
  close(r.hcMm!, ellipsePerimeter(truth) * 0.2, 0.4, "HC mm");
});

Deno.test("validator rejects planted implausible masks with the right reason", () => {
  const circle = (cx: number, cy: number, rad: number) => ({ cx, cy, a: rad, b: rad, angle: 0 });
  // name, map, options, the issue it must raise
  const cases: [string, ScoreMap, Parameters<typeof maskToBiometry>[1], string][] = [
    ["empty", mapOf(64, 64, () => 0), {}, "empty"],
    ["below threshold", mapOf(64, 64, () => 0.3), {}, "empty"],
    [
      "tiny blob",
      mapOf(64, 64, (x, y) => (Math.abs(x - 30) <= 1 && Math.abs(y - 30) <= 1 ? 1 : 0)),
      { openRadius: 0 },
      "too-few-points",
    ],
    ["elongated", binaryEllipse(160, 120, { ...HEAD, a: 55, b: 15 }), {}, "axis-ratio"],
    ["too small in mm", binaryEllipse(160, 120, circle(80, 60, 20)), { pixelSizeMm: 0.2 }, "size"],
    ["too large in mm", binaryEllipse(160, 120, circle(80, 60, 40)), { pixelSizeMm: 2 }, "size"],
    ["cut by the border", binaryEllipse(160, 120, { ...HEAD, cx: 20 }), {}, "border"],
    [
      "square",
      mapOf(160, 120, (x, y) => (Math.abs(x - 80) <= 35 && Math.abs(y - 60) <= 35 ? 1 : 0)),
      {},
      "poor-fit",
    ],
  ];
  for (const [name, map, opts, issue] of cases) {
    const r = maskToBiometry(map, opts);
    assert.equal(r.valid, false, name);
    // A square is fitted by some ellipse hugging part of it; the other checks may also object.
    if (name === "square") assert.ok(r.issues.includes("poor-fit"), `${name}: ${r.reasons}`);
    else assert.deepEqual(r.issues, [issue], `${name}: ${r.reasons}`);
    assert.ok(r.reasons[r.issues.indexOf(issue as never)].startsWith(`${issue}: `), `${r.reasons}`);
  }
  // a plausible head with a plausible pixel size passes
  const ok = maskToBiometry(binaryEllipse(160, 120, HEAD), { pixelSizeMm: 1 });
  assert.deepEqual(ok.reasons, []);
});

Deno.test("letterbox padding: a prediction spilling into the padding counts as touching the border", () => {
  const lb = letterboxTransform(400, 200, 128); // content rows ≈ 32..95 of the model square
  const truth: Ellipse = { cx: 200, cy: 100, a: 130, b: 115, angle: 0 }; // spans y ∈ [−15, 215]
  const map = mapOf(128, 128, (x, y) => (insideDepth(truth, lb.toImage({ x, y })) >= 0 ? 1 : 0));
  const r = maskToBiometry(map, { transform: lb });
  assert.ok(r.issues.includes("border"), `${r.reasons}`);
  // the same head inside a taller image is fine
  const lb2 = letterboxTransform(400, 400, 128);
  const inside = { ...truth, cy: 200 };
  const map2 = mapOf(128, 128, (x, y) => (insideDepth(inside, lb2.toImage({ x, y })) >= 0 ? 1 : 0));
  assert.deepEqual(maskToBiometry(map2, { transform: lb2 }).issues, []);
});

Deno.test("a head running off the image: the frame's straight cut is not fitted as skull", () => {
  // HC18-sized image, letterboxed to 256 (3.125 image px per model px); the head's lower 80 px
  // lie below the image. The model sees no head in the padding, as it was trained.
  const lb = letterboxTransform(800, 540, 256);
  const truth: Ellipse = { cx: 400, cy: 470, a: 200, b: 150, angle: 0.1 };
  const map = mapOf(256, 256, (x, y) => {
    const p = lb.toImage({ x, y });
    const inImage = p.x >= -0.5 && p.x <= 799.5 && p.y >= -0.5 && p.y <= 539.5;
    return inImage ? 1 / (1 + Math.exp(-insideDepth(truth, p) / 2.5)) : 0;
  });
  const r = maskToBiometry(map, { transform: lb, pixelSizeMm: 0.15 });
  assert.ok(r.issues.includes("border"), `${r.reasons}`);
  assertEllipse(r.ellipse, truth, 1, 0.01, "cut head");
  // Fitted to the frame's points as well, the ellipse came out 0.3–0.6 mm short in HC.
  close(r.hcMm!, ellipsePerimeter(truth) * 0.15, 0.1, "HC mm");
});

Deno.test("validateBiometry: checks in isolation", () => {
  const e = { cx: 50, cy: 50, a: 40, b: 30, angle: 0 };
  const base = {
    ellipse: e,
    boundaryPoints: 400,
    maskPixels: 3000,
    inlierFraction: 0.95,
    borderPixels: 0,
  };
  assert.deepEqual(validateBiometry(base).issues, []);
  assert.deepEqual(validateBiometry({ ...base, inlierFraction: 0.4 }).issues, ["poor-fit"]);
  assert.deepEqual(
    validateBiometry({ ...base, borderPixels: 30 }, { maxBorderFraction: 0.02 }).issues,
    [],
  );
  assert.deepEqual(
    validateBiometry({ ...base, borderPixels: 90 }, { maxBorderFraction: 0.02 }).issues,
    ["border"],
  );
  assert.deepEqual(validateBiometry({ ...base, ellipse: null }).issues, ["fit-failed"]);
  assert.deepEqual(validateBiometry({ ...base, ellipse: { ...e, b: 19 } }).issues, ["axis-ratio"]);
  // HC of a 40/30 ellipse ≈ 220.3 px: at 0.1 mm/px it is 22 mm (implausible), at 1 mm/px fine
  assert.deepEqual(validateBiometry({ ...base, pixelSizeMm: 0.1 }).issues, ["size"]);
  assert.deepEqual(validateBiometry({ ...base, pixelSizeMm: 1 }).issues, []);
  assert.deepEqual(
    validateBiometry({ ...base, pixelSizeMm: 1 }, { hcRangeMm: [250, 300] }).issues,
    ["size"],
  );
});

Deno.test("maskToBiometry rejects malformed input", () => {
  assert.throws(
    () => maskToBiometry({ width: 4, height: 4, data: new Float32Array(15) }),
    InputError,
  );
  assert.throws(() => maskToBiometry(mapOf(4, 4, () => 0), { threshold: 1 }), InputError);
  assert.throws(() => maskToBiometry(mapOf(4, 4, () => 0), { pixelSizeMm: -1 }), InputError);
});

Deno.test("maskToBiometry: the inlier band is in mask pixels; a ±2 px wobble needs a band of 3", () => {
  // Radius 60 ± 2.2 px (5 lobes): with a 1.5 px band RANSAC keeps only part of the boundary.
  const map = mapOf(160, 160, (x, y) => {
    const t = Math.atan2(y - 80, x - 80);
    return Math.hypot(x - 80, y - 80) <= 60 + 2.2 * Math.sin(5 * t) ? 1 : 0;
  });
  const narrow = maskToBiometry(map, { inlierBand: 1.5 });
  const wide = maskToBiometry(map, { inlierBand: 3 });
  assert.ok(narrow.inlierFraction < 0.9, `band 1.5: ${narrow.inlierFraction}`);
  assert.ok(wide.inlierFraction > 0.99, `band 3: ${wide.inlierFraction}`);
  close(wide.ellipse!.a, 60, 1, "a");
  close(wide.ellipse!.b, 60, 1, "b");
  // In image pixels through a 2× transform the band scales with it: the same verdicts.
  const scaled = maskToBiometry(map, {
    inlierBand: 3,
    transform: { toImage: (p: Point) => ({ x: 2 * p.x, y: 2 * p.y }) },
  });
  assert.ok(scaled.inlierFraction > 0.99, `band 3 at 2×: ${scaled.inlierFraction}`);
});
