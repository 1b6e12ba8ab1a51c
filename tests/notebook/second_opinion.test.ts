import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import type { ConfidenceStudy } from "../../lib/inference/compare.ts";
import { failureAuroc } from "../../lib/inference/uncertainty.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import { radialErrors } from "../../lib/metrics/landmarks.ts";
import {
  FAILURE_MM,
  secondOpinionMarkdown,
  secondOpinionRows,
} from "../../lib/notebook/second_opinion.ts";

const circle = (cx: number, cy: number, r: number): Landmarks => [
  { x: cx - r, y: cy },
  { x: cx + r, y: cy },
  { x: cx, y: cy - r },
  { x: cx, y: cy + r },
];
const truth = circle(100, 80, 50);
const ids = ["i0", "i1", "i2", "i3"];

/**
 * A source whose prediction for image i is preds[i], at `px` mm per pixel (null: none), with its
 * TTA study as `confidenceStudy` fills it: per-image MRE (mm) and the confidence's AUROC.
 */
function source(
  family: string,
  preds: Landmarks[],
  confidence: number[],
  px: number | null = 1,
) {
  const cases = ids.map((id, i) => ({
    id,
    truth,
    pred: preds[i],
    ...(px === null ? {} : { pixelSizeMm: px }),
  }));
  const mre = preds.map((p) => radialErrors(p, truth).reduce((s, e) => s + e, 0) / 4 * (px ?? 1));
  const study: ConfidenceStudy = {
    rows: ids.map((id, i) => ({ id, mre: mre[i], confidence: confidence[i], dispersionPx: 0 })),
    unit: px === null ? "px" : "mm",
    threshold: 2,
    auroc: failureAuroc(mre, confidence, 2),
    evaluation: evaluate(cases),
  };
  return { family, study };
}

// Hand-computed. A is 5 mm off on i1 (a failure) while confident there; C is 1 mm off on i2.
// A's cross-check on i1: 5 mm from B and from C → review; on i2: (0 + 1) / 2 = 0.5 mm → kept.
// B and C see A's i1 at (5 + 0) / 2 = 2.5 mm → review, though neither fails there.
const exact = ids.map(() => truth);
const A = source("A", [truth, circle(103, 84, 50), truth, truth], [0.9, 0.95, 0.5, 0.8]);
const B = source("B", exact, [0.9, 0.9, 0.9, 0.9]);
const C = source("C", [truth, truth, circle(100, 81, 50), truth], [0.7, 0.8, 0.9, 0.6]);

Deno.test("secondOpinionRows: failures caught by the cross-check and by the lowest confidence, hand-computed", () => {
  const rows = secondOpinionRows([A, B, C]);
  assert.equal(rows.length, 3);
  const [a, b, c] = rows;
  assert.equal(a[`failures (> ${FAILURE_MM} mm)`], 1);
  assert.equal(a["to review"], 1);
  assert.equal(a["caught: cross-check"], 1);
  // A's lowest confidence is i2 (0.5), not the failure.
  assert.equal(a["caught: lowest confidence"], 0);
  assert.equal(a["rest MRE mm: cross-check"], 0);
  assert.ok(Math.abs((a["rest MRE mm: confidence"] as number) - 5 / 3) < 1e-12);
  assert.equal(a["rest |ΔHC| mm: cross-check"], 0);
  assert.equal(a["AUROC MRE > 2 mm: cross-check"], 1);
  assert.equal(a["AUROC MRE > 2 mm: confidence"], 0);
  assert.deepEqual([b["to review"], b["caught: cross-check"], b[`failures (> ${FAILURE_MM} mm)`]], [
    1,
    0,
    0,
  ]);
  assert.ok(Number.isNaN(b["AUROC MRE > 2 mm: cross-check"] as number), "no image over 2 mm");
  // C: i1 is 2.5 mm from the others (review); its own 1-mm slip on i2 is 1 mm from both (kept).
  assert.equal(c["to review"], 1);
  assert.equal(c["rest MRE mm: cross-check"], 1 / 3);
  const text = secondOpinionMarkdown(rows);
  assert.match(
    text,
    /\*\*A\*\*: the cross-check sends 1 of 4 images to review and catches 1 of its 1 failures, more than its lowest TTA confidences at the same count \(0\)/,
  );
  assert.match(text, /\*\*B\*\*: .* catches 0 of its 0 failures, as many as/);
  assert.match(
    text,
    /the 3 images it keeps have \|ΔHC\| 0\.00 mm \(kept by confidence: 0\.00 mm\)/,
  );
  // Limits below any distance send everything to review, and the text says nothing is kept.
  const all = secondOpinionRows([A, B, C], { pointsMm: -1, hcMm: -1 });
  assert.deepEqual(all.map((r) => r["to review"]), [4, 4, 4]);
  assert.match(
    secondOpinionMarkdown(all),
    /\*\*A\*\*: .*catches 1 of its 1 failures, as many as .*\(1\); it keeps none\./,
  );
});

Deno.test("secondOpinionRows: one source, or a source without pixel sizes, gives no row", () => {
  assert.deepEqual(secondOpinionRows([A]), []);
  const noPx = source("D", exact, [1, 1, 1, 1], null);
  assert.deepEqual(secondOpinionRows([A, noPx]).map((r) => r.source), ["A"]);
  assert.match(secondOpinionMarkdown([]), /needs two sources/);
});
