import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import {
  aggregateVariants,
  alignEnds,
  auroc,
  combineTta,
  confidenceFromDispersion,
  failureAuroc,
  ttaVariants,
} from "../../lib/inference/uncertainty.ts";
import { applyWarp, mapToSource } from "../../lib/transforms/geometric.ts";
import { toAugSample } from "../../lib/transforms/types.ts";

const L = (...xy: number[]): Landmarks =>
  [0, 1, 2, 3].map((k) => ({ x: xy[2 * k], y: xy[2 * k + 1] })) as Landmarks;

Deno.test("auroc: hand-computed cases, ties count half, empty class is NaN", () => {
  const cases: [number[], boolean[], number][] = [
    [[0.1, 0.4, 0.35, 0.8], [false, false, true, true], 0.75], // 3 of 4 pairs ordered
    [[1, 2, 3, 4], [false, false, true, true], 1],
    [[4, 3, 2, 1], [false, false, true, true], 0],
    [[1, 1, 2], [true, false, true], 0.75], // (1 vs 1) = ½, (2 vs 1) = 1 → 1.5 / 2
    [[5, 5, 5, 5], [true, false, true, false], 0.5],
  ];
  for (const [scores, pos, want] of cases) {
    assert.equal(auroc(scores, pos), want, JSON.stringify(scores));
  }
  assert.ok(Number.isNaN(auroc([1, 2], [true, true])));
  assert.ok(Number.isNaN(auroc([1, 2], [false, false])));
  assert.throws(() => auroc([1], [true, false]), RangeError);
});

Deno.test("failureAuroc: errors above 2 mm flagged by low confidence", () => {
  // Failures (3 mm, 5 mm) have confidence 0.2 and 0.1; successes 0.9, 0.8 → perfect ranking.
  assert.equal(failureAuroc([1, 3, 0.5, 5], [0.9, 0.2, 0.8, 0.1]), 1);
  // Exactly 2 mm is not a failure; the one failure (2.5 mm) is the most confident → 0.
  assert.equal(failureAuroc([2, 2.5, 1], [0.5, 0.9, 0.4]), 0);
  // Threshold is a parameter: at 0.75 mm the 1 mm case fails too.
  assert.equal(failureAuroc([1, 3, 0.5, 5], [0.9, 0.2, 0.8, 0.1], 0.75), 2 / 3);
  // One threshold per image (2 % of each image's width, without pixel sizes): the 10-px error on
  // a 400-px image (limit 8) fails, the same error on an 800-px image (limit 16) does not.
  assert.equal(failureAuroc([10, 10, 1], [0.1, 0.9, 0.5], [8, 16, 16]), 1);
  assert.equal(failureAuroc([10, 10, 1], [0.9, 0.1, 0.5], [8, 16, 16]), 0);
});

Deno.test("alignEnds pairs each axis's ends with the reference", () => {
  const ref = L(0, 0, 10, 0, 5, -3, 5, 3);
  assert.deepEqual(alignEnds(L(10, 1, 0, 1, 5, 3, 5, -3), ref), L(0, 1, 10, 1, 5, -3, 5, 3));
  assert.deepEqual(alignEnds(ref, ref), ref);
});

const close = (a: Landmarks, b: Landmarks, tol = 1e-9) =>
  a.every((p, k) => Math.abs(p.x - b[k].x) <= tol && Math.abs(p.y - b[k].y) <= tol);

Deno.test("aggregateVariants: mean ellipse's axis ends and the variants' mean distance to them", () => {
  const a = L(0, 0, 10, 0, 5, -3, 5, 3); // centre (5, 0), a = 5, b = 3, along x
  const b = L(12, 0, 2, 0, 7, -3, 7, 3); // the same shifted by +2 in x, OFD ends swapped
  const agg = aggregateVariants([a, b]);
  assert.ok(close(agg.landmarks, L(1, 0, 11, 0, 6, -3, 6, 3)), JSON.stringify(agg.landmarks));
  assert.ok(Math.abs(agg.dispersion - 1) < 1e-9);
  assert.ok(Math.abs(agg.ellipse.cx - 6) < 1e-12 && agg.ellipse.a === 5 && agg.ellipse.b === 3);
  assert.ok(aggregateVariants([a]).dispersion < 1e-12);
  assert.throws(() => aggregateVariants([]), RangeError);
});

Deno.test("aggregateVariants: a round head whose axes the variants place differently keeps its size", () => {
  // Two variants of a near-circle (semi-axes 5.1 and 5), one with the OFD along x, one along y.
  // Averaging coordinates would put the OFD ends at (±2.55, ∓2.55): length 7.2 instead of 10.2.
  const agg = aggregateVariants([L(-5.1, 0, 5.1, 0, 0, -5, 0, 5), L(0, -5.1, 0, 5.1, -5, 0, 5, 0)]);
  const [o1, o2, b1, b2] = agg.landmarks;
  assert.ok(Math.abs(Math.hypot(o2.x - o1.x, o2.y - o1.y) - 10.2) < 1e-9);
  assert.ok(Math.abs(Math.hypot(b2.x - b1.x, b2.y - b1.y) - 10) < 1e-9);
  assert.ok(Math.abs(agg.ellipse.cx) < 1e-12 && Math.abs(agg.ellipse.cy) < 1e-12);
  assert.ok(agg.dispersion > 1, "the variants disagree on the axes");
});

Deno.test("aggregateVariants: the axis direction follows the elongated variants, not the round ones", () => {
  const elongated = L(-10, 0, 10, 0, 0, -5, 0, 5); // (a − b)/(a + b) = 1/3, along x
  const round = L(0, -5.05, 0, 5.05, -5, 0, 5, 0); // weight 0.005, along y
  const { angle } = aggregateVariants([round, elongated]).ellipse;
  // Doubled-angle mean: ½·atan2(0.005·sin π, 1/3 − 0.005) ≈ 0.
  assert.ok(Math.min(angle, Math.PI - angle) < 1e-6, `angle ${angle}`);
});

Deno.test("confidenceFromDispersion: 1 at zero, e^-1 at 1 % of the longer side", () => {
  assert.equal(confidenceFromDispersion(0, 800, 540), 1);
  assert.equal(confidenceFromDispersion(8, 800, 540), Math.exp(-1));
  assert.equal(confidenceFromDispersion(8, 540, 800), Math.exp(-1));
});

Deno.test("ttaVariants: exact whole-pixel warps whose maps carry points back", () => {
  const S = 20;
  const variants = ttaVariants(S); // identity, flip, shift(+1,+1), shift(−1,−1): round(0.03·20) = 1
  assert.deepEqual(variants.map((v) => v.label), [
    "identity",
    "flipHorizontal",
    "shift(1,1)",
    "shift(-1,-1)",
  ]);
  assert.equal(ttaVariants(S, { flip: false, shiftFraction: 0 }).length, 1);
  const data = new Float32Array(S * S);
  data[7 * S + 4] = 255; // bright pixel at (4, 7)
  const expected: Record<string, [number, number]> = {
    flipHorizontal: [15, 7],
    "shift(1,1)": [5, 8],
    "shift(-1,-1)": [3, 6],
  };
  for (const v of variants.slice(1)) {
    const p = { x: 4, y: 7 };
    const out = applyWarp(
      toAugSample({ image: { width: S, height: S, data }, landmarks: [p, p, p, p] }),
      v.warp!,
    );
    const [ex, ey] = expected[v.label];
    assert.equal(out.image.data[ey * S + ex], 255, v.label);
    assert.equal(out.image.data.reduce((s, x) => s + x, 0), 255, `${v.label}: nothing else lit`);
    assert.deepEqual(mapToSource(out.maps, [{ x: ex, y: ey }])[0], p);
  }
});

Deno.test("combineTta: failed variants are left out, and cost confidence by the fitted share", () => {
  const head = L(0, 0, 20, 0, 10, -6, 10, 6);
  const shifted = L(1, 0, 21, 0, 11, -6, 11, 6);
  const failed = L(50, 40, 50, 40, 50, 40, 50, 40); // zero-size placeholder at the image centre
  const c = combineTta([head, failed, shifted], [true, false, true], 101, 81);
  const want = aggregateVariants([head, shifted]);
  assert.ok(close(c.landmarks, want.landmarks));
  assert.equal(c.used, 2);
  // Dispersion 0.5 px (each fitted variant 0.5 px from the mean), τ = 1.01 px; × 2/3 fitted.
  assert.ok(Math.abs(want.dispersion - 0.5) < 1e-12);
  assert.ok(Math.abs(c.confidence - Math.exp(-0.5 / 1.01) * (2 / 3)) < 1e-12);
  // All fitted: plain aggregateVariants and its confidence.
  const all = combineTta([head, shifted], [true, true], 101, 81);
  assert.ok(close(all.landmarks, want.landmarks) && all.used === 2);
  assert.equal(all.confidence, confidenceFromDispersion(want.dispersion, 101, 81));
  // None fitted: all are combined (the placeholders), confidence 0.
  const none = combineTta([failed, failed], [false, false], 101, 81);
  assert.ok(close(none.landmarks, failed) && none.used === 2 && none.confidence === 0);
  assert.throws(() => combineTta([head], [true, false], 101, 81), RangeError);
});
