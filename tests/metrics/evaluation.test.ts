import assert from "node:assert/strict";
import type { Landmarks, Mask } from "../../lib/core/types.ts";
import { type EvalCase, evaluate } from "../../lib/metrics/evaluation.ts";

const truth = (k: number): Landmarks => [
  { x: 100 + k, y: 200 },
  { x: 500 + k, y: 200 + 2 * k },
  { x: 300, y: 50 + k },
  { x: 300 - k, y: 350 },
];
const shift = (l: Landmarks, dx: number, dy: number) =>
  l.map((p) => ({ x: p.x + dx, y: p.y + dy })) as Landmarks;

Deno.test("evaluate: landmark, clinical and bootstrap parts agree with the hand values", () => {
  const cases: EvalCase[] = [
    { id: "a", truth: truth(0), pred: shift(truth(0), 3, 4), pixelSizeMm: 0.1 },
    { id: "b", truth: truth(10), pred: shift(truth(10), 6, 8), pixelSizeMm: 0.1 },
    { id: "c", truth: truth(20), pred: shift(truth(20), 0, 0) },
  ];
  const r = evaluate(cases, { bootstrapResamples: 200 });
  assert.equal(r.nImages, 3);
  assert.equal(r.landmarks.px.radial.mean, 5); // (5 + 10 + 0) / 3
  assert.equal(r.landmarks.mm!.nImages, 2);
  assert.ok(Math.abs(r.landmarks.mm!.radial.mean - 0.75) < 1e-12);
  // A rigid shift changes no length: clinical errors are 0 for the two images with a size.
  assert.equal(r.clinical!.nImages, 2);
  assert.ok(r.clinical!.hcMm.max! < 1e-9);
  assert.equal(r.segmentation, undefined);
  assert.ok(r.mreCiPx.lower >= 0 && r.mreCiPx.upper <= 10 && r.mreCiPx.estimate === 5);
  assert.deepEqual(evaluate(cases, { bootstrapResamples: 200 }).mreCiPx, r.mreCiPx);
});

Deno.test("evaluate: one common shift keeps the spread ratio at 1", () => {
  const cases = [0, 10, 20].map((k) => ({
    id: `${k}`,
    truth: truth(k),
    pred: shift(truth(k), 7, -2),
  }));
  const r = evaluate(cases, { bootstrapResamples: 10 });
  assert.ok(Math.abs(r.spread.meanX - 1) < 1e-12 && Math.abs(r.spread.meanY - 1) < 1e-12);
  // BPD1 x is 300 in every truth: no true spread, so that ratio is NaN and left out.
  assert.ok(Number.isNaN(r.spread.perLandmark[2].x));
});

Deno.test("evaluate: segmentation only for cases with both masks; no pixel size → no mm parts", () => {
  const m: Mask = { width: 4, height: 4, data: new Uint8Array(16).fill(1) };
  const r = evaluate([
    { id: "a", truth: truth(0), pred: truth(0), truthMask: m, predMask: m },
    { id: "b", truth: truth(1), pred: truth(1) },
  ], { bootstrapResamples: 10 });
  assert.equal(r.segmentation!.nImages, 1);
  assert.equal(r.segmentation!.dice.mean, 1);
  assert.equal(r.clinical, undefined);
  assert.equal(r.mreCiMm, undefined);
});
