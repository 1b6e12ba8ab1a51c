import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { crossCheck, REVIEW_LIMITS } from "../../lib/inference/cross_check.ts";
import { addCrossChecks, type FileResult, predictionsCsv } from "../../lib/inference/batch.ts";
import type { ImagePrediction } from "../../lib/inference/predictor.ts";
import { parseCsv } from "../../lib/core/csv.ts";

/** A circle of radius r at (cx, cy): OFD horizontal (left end first), BPD vertical (top first). */
const circle = (cx: number, cy: number, r: number): Landmarks => [
  { x: cx - r, y: cy },
  { x: cx + r, y: cy },
  { x: cx, y: cy - r },
  { x: cx, y: cy + r },
];
const close = (got: number | undefined, want: number, tol = 1e-9) =>
  assert.ok(got !== undefined && Math.abs(got - want) <= tol, `${got} vs ${want}`);

// Hand-computed: a shift by (3, 4) moves every point 5 px and leaves HC alone; a circle scaled
// 1.1× about its centre moves every point 0.1 r and adds 2π · 0.1 r to the circumference.
const cases: {
  name: string;
  others: Landmarks[];
  px: number;
  pointsPx: number;
  hcMm: number;
  reasons: RegExp[];
}[] = [
  {
    name: "the same answer",
    others: [circle(100, 80, 50)],
    px: 0.2,
    pointsPx: 0,
    hcMm: 0,
    reasons: [],
  },
  {
    name: "shifted by (3, 4): 5 px = 1 mm at 0.2 mm/px, under the limit",
    others: [circle(103, 84, 50)],
    px: 0.2,
    pointsPx: 5,
    hcMm: 0,
    reasons: [],
  },
  {
    name: "the same shift at 0.5 mm/px: 2.5 mm, over the points limit",
    others: [circle(103, 84, 50)],
    px: 0.5,
    pointsPx: 5,
    hcMm: 0,
    reasons: [/^points differ 2\.5 mm from others \(limit 1\.5 mm\)$/],
  },
  {
    name: "scaled 1.1×: 5 px per point, HC 2π·5 px = 3.14 mm at 0.1 mm/px",
    others: [circle(100, 80, 55)],
    px: 0.1,
    pointsPx: 5,
    hcMm: Math.PI,
    reasons: [/^hc differs 3\.1 mm from others \(limit 2 mm\)$/],
  },
  {
    name: "two others are averaged: 0 and 5 px → 2.5 px",
    others: [circle(100, 80, 50), circle(103, 84, 50)],
    px: 0.5,
    pointsPx: 2.5,
    hcMm: 0,
    reasons: [],
  },
  {
    name: "OFD ends listed the other way round count as 100 px each",
    others: [[{ x: 150, y: 80 }, { x: 50, y: 80 }, { x: 100, y: 30 }, { x: 100, y: 130 }]],
    px: 0.1,
    pointsPx: 50,
    hcMm: 0,
    reasons: [/^points differ 5\.0 mm/],
  },
];

for (const c of cases) {
  Deno.test(`crossCheck: ${c.name}`, () => {
    const others = c.others.map((landmarks, i) => ({ model: `m${i}`, landmarks }));
    const got = crossCheck(circle(100, 80, 50), others, c.px);
    assert.deepEqual(got.models, others.map((o) => o.model));
    close(got.pointsPx, c.pointsPx);
    close(got.pointsMm, c.pointsPx * c.px);
    close(got.hcMm, c.hcMm, 1e-9);
    assert.equal(got.review, c.reasons.length > 0);
    assert.equal(got.reasons.length, c.reasons.length);
    c.reasons.forEach((re, i) => assert.match(got.reasons[i], re));
  });
}

Deno.test("crossCheck: without a pixel size only the px distance, no verdict; no other model is an error", () => {
  const got = crossCheck(circle(100, 80, 50), [{ model: "m", landmarks: circle(103, 84, 50) }]);
  assert.deepEqual(got, { models: ["m"], pointsPx: 5, reasons: [] });
  assert.throws(() => crossCheck(circle(0, 0, 1), []), RangeError);
});

Deno.test("crossCheck: a custom limit decides the verdict", () => {
  const other = [{ model: "m", landmarks: circle(103, 84, 50) }];
  assert.equal(crossCheck(circle(100, 80, 50), other, 0.2).review, false);
  assert.equal(
    crossCheck(circle(100, 80, 50), other, 0.2, { pointsMm: 0.9, hcMm: 9 }).review,
    true,
  );
  assert.ok(REVIEW_LIMITS.pointsMm > 0 && REVIEW_LIMITS.hcMm > 0);
});

function result(name: string, landmarks: Landmarks, pixelSizeMm?: number): FileResult {
  const prediction: ImagePrediction = {
    id: name,
    width: 200,
    height: 160,
    landmarks,
    ellipse: { cx: 100, cy: 80, a: 50, b: 50, angle: 0 },
    pixelSizeMm,
    confidence: null,
  };
  return { path: `/x/${name}`, name, prediction };
}

Deno.test("addCrossChecks + predictionsCsv: the other models that predicted a file, five more columns", () => {
  const results: FileResult[] = [
    result("a.png", circle(100, 80, 50), 0.5),
    result("b.png", circle(100, 80, 50)),
    { path: "/x/c.png", name: "c.png", error: "unreadable" },
    result("d.png", circle(100, 80, 50), 0.5),
  ];
  const opinions = new Map([
    ["deeplab", new Map([["a.png", circle(103, 84, 50)], ["b.png", circle(103, 84, 50)]])],
    ["heatmap", new Map([["a.png", circle(100, 80, 50)]])],
  ]);
  addCrossChecks(results, opinions);
  assert.deepEqual(results[0].crossCheck?.models, ["deeplab", "heatmap"]);
  assert.deepEqual(results[1].crossCheck?.models, ["deeplab"]);
  assert.equal(results[3].crossCheck, undefined, "no other model predicted d.png");
  const t = parseCsv(predictionsCsv(results, false, true));
  assert.deepEqual(t.header.slice(-5), [
    "cross_check_px",
    "cross_check_mm",
    "cross_check_hc_mm",
    "review",
    "review_reasons",
  ]);
  assert.deepEqual(t.rows.map((r) => r[0]), ["a.png", "b.png", "d.png"]);
  assert.deepEqual(t.rows[0].slice(-5), ["2.5", "1.25", "0", "false", ""]);
  assert.deepEqual(t.rows[1].slice(-5), ["5", "", "", "", ""], "no pixel size: px only");
  assert.deepEqual(t.rows[2].slice(-5), ["", "", "", "", ""]);
  // Without a cross-check the CSV keeps its columns.
  assert.equal(parseCsv(predictionsCsv(results, false)).header.at(-1), "issues");
});
