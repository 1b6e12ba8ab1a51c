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
  assert.equal(r.hcAbsCiMm, undefined);
});

Deno.test("evaluate: bootstrap interval of the mean |ΔHC| over the images with a pixel size", () => {
  // Scaling a head about its centre by s scales its HC by s: |ΔHC| = |s − 1| · HC.
  const scaled = (l: Landmarks, s: number): Landmarks => {
    const cx = (l[0].x + l[1].x) / 2, cy = (l[0].y + l[1].y) / 2;
    return l.map((p) => ({ x: cx + s * (p.x - cx), y: cy + s * (p.y - cy) })) as Landmarks;
  };
  const cases: EvalCase[] = [1.02, 0.95, 1.1].map((s, k) => ({
    id: `${k}`,
    truth: truth(0),
    pred: scaled(truth(0), s),
    pixelSizeMm: 0.1,
  }));
  cases.push({ id: "no size", truth: truth(0), pred: scaled(truth(0), 2) });
  const r = evaluate(cases, { bootstrapResamples: 500 });
  const per = r.clinical!.images.map((i) => i.errors.hcMm);
  const hc = r.clinical!.images[0].truth.hcMm;
  [0.02, 0.05, 0.1].forEach((f, k) => assert.ok(Math.abs(per[k] - f * hc) < 1e-9));
  const ci = r.hcAbsCiMm!;
  assert.ok(Math.abs(ci.estimate - r.clinical!.hcMm.mean) < 1e-12, "estimate is the mean");
  assert.ok(ci.lower >= 0.02 * hc - 1e-9 && ci.upper <= 0.1 * hc + 1e-9, "within the values");
  assert.ok(ci.lower < ci.estimate && ci.estimate < ci.upper && ci.level === 0.95);
  assert.deepEqual(evaluate(cases, { bootstrapResamples: 500 }).hcAbsCiMm, ci, "seeded");
});
