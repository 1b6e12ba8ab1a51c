import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import {
  ellipseCaseErrors,
  ellipseErrorSummary,
  roundnessBinLabel,
  tiltBinLabel,
} from "../../lib/metrics/ellipse_errors.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import { ellipseErrorRows, headSizeRows, tiltErrorRows } from "../../lib/notebook/comparison.ts";
import { close, DEG, head, rotate, shift } from "./helpers.ts";

const T = head(40, 30); // b/a = 0.75
const ROUND = head(40, 39); // b/a = 0.975

// [name, pred, truth, centre, |Δa|, |Δb|, angle °, b/a, MRE]
const CASES: [string, Landmarks, Landmarks, number, number, number, number, number, number][] = [
  ["identity", T, T, 0, 0, 0, 0, 0.75, 0],
  ["shift by (3, 4)", shift(T, 3, 4), T, 5, 0, 0, 0, 0.75, 5],
  // Each end moves along a chord 2 r sin(θ/2): (2·40 + 2·30) · 2 sin(θ/2) / 4.
  ["rotation by 10°", rotate(T, 10), T, 0, 0, 0, 10, 0.75, 70 * Math.sin(5 * DEG)],
  [
    "rotation by 170° is 10° modulo 180°",
    rotate(T, 170),
    T,
    0,
    0,
    0,
    10,
    0.75,
    70 * Math.sin(85 * DEG),
  ],
  // Chord 2 r sin 45° = r √2: (2·40 + 2·30) √2 / 4.
  ["rotation by 90°", rotate(T, 90), T, 0, 0, 0, 90, 0.75, 35 * Math.SQRT2],
  ["OFD1/OFD2 swapped", [T[1], T[0], T[2], T[3]], T, 0, 0, 0, 0, 0.75, 40],
  ["scaled axes 44 × 27", head(44, 27), T, 0, 4, 3, 0, 0.75, 3.5],
  // The OFD labels turned 90° onto a matching ellipse: the ellipse's a axis still points along
  // x, but the labelled OFD is vertical, and every end is 50 px from its truth.
  ["OFD labels on the short axis", [T[2], T[3], T[0], T[1]], T, 0, 0, 0, 90, 0.75, 50],
  ["near-round truth", shift(ROUND, 6, 8), ROUND, 10, 0, 0, 0, 39 / 40, 10],
  // Degenerate: a zero-length OFD has no direction; an all-coincident truth has no b/a.
  // Centre (80, 50); the predicted ellipse is the BPD alone: a = 30, b = 0.
  ["zero-length predicted OFD", [T[0], T[0], T[2], T[3]], T, 20, 10, 30, NaN, 0.75, 20],
  ["all truth points coincide", T, head(0, 0), 0, 40, 30, NaN, NaN, 35],
];

// MRE after turning the prediction onto the labelled OFD direction (modulo 180°), per case name.
const ALIGNED: Record<string, number> = {
  "identity": 0,
  "shift by (3, 4)": 5,
  "rotation by 10°": 0,
  // Turned back by 10° it lies on the truth's axis the other way round: every end 2 r away.
  "rotation by 170° is 10° modulo 180°": (2 * 80 + 2 * 60) / 4,
  // A tie: the signed error is −90° ([−90°, 90°)), and turning by +90° lands the other way round.
  "rotation by 90°": (2 * 80 + 2 * 60) / 4,
  // Order, not direction: no turn.
  "OFD1/OFD2 swapped": 40,
  "scaled axes 44 × 27": 3.5,
  // Turned by +90°: the 60-px OFD lies along x, ends swapped (30 + 40 = 70 px each), the 80-px
  // BPD along y, each end 10 px from its truth.
  "OFD labels on the short axis": (70 + 70 + 10 + 10) / 4,
  "near-round truth": 10,
  // No direction to turn: the MRE.
  "zero-length predicted OFD": 20,
  "all truth points coincide": 35,
};

for (const [name, pred, truth, centre, dA, dB, angle, roundness, mre] of CASES) {
  Deno.test(`ellipseCaseErrors: ${name}`, () => {
    const e = ellipseCaseErrors(pred, truth);
    close(e.centrePx, centre, "centre");
    close(e.dAPx, dA, "|Δa|");
    close(e.dBPx, dB, "|Δb|");
    close(e.angleDeg, angle, "angle");
    close(e.roundness, roundness, "b/a");
    close(e.mrePx, mre, "MRE");
    close(e.alignedMrePx, ALIGNED[name], "aligned MRE");
  });
}

/** Identity and a (3, 4) shift on the 0.75 head, a 90° turn of the near-round head. */
const MIXED = [
  { pred: T, truth: T },
  { pred: shift(T, 3, 4), truth: T },
  { pred: rotate(ROUND, 90), truth: ROUND },
];
const ROUND_90_MRE = (2 * 40 + 2 * 39) * Math.SQRT2 / 4;

Deno.test("ellipseErrorSummary: overall means and medians, bins by the truth's b/a", () => {
  const s = ellipseErrorSummary(MIXED);
  assert.equal(s.n, 3);
  close(s.centrePx.mean, 5 / 3, "centre mean");
  close(s.centrePx.median, 0, "centre median");
  close(s.angleDeg.mean, 30, "angle mean");
  close(s.angleDeg.median, 0, "angle median");
  close(s.mrePx.mean, (0 + 5 + ROUND_90_MRE) / 3, "MRE mean");
  close(s.mrePx.median, 5, "MRE median");
  // The tied 90° turn lands the other way round: every end of the near-round head 2 r away.
  close(s.alignedMrePx.mean, (0 + 5 + (2 * 80 + 2 * 78) / 4) / 3, "aligned MRE mean");
  close(s.alignedMrePx.median, 5, "aligned MRE median");
  // b/a = 0.75 sits on an edge and goes up: bins are [lo, hi).
  assert.deepEqual(s.bins.map((b) => [b.lo, b.hi, b.n]), [
    [-Infinity, 0.75, 0],
    [0.75, 0.85, 2],
    [0.85, Infinity, 1],
  ]);
  close(s.bins[0].mrePx, NaN, "empty bin MRE");
  close(s.bins[0].angleDeg, NaN, "empty bin angle");
  close(s.bins[1].mrePx, 2.5, "middle bin MRE");
  close(s.bins[1].angleDeg, 0, "middle bin angle");
  close(s.bins[2].mrePx, ROUND_90_MRE, "top bin MRE");
  close(s.bins[2].angleDeg, 90, "top bin angle");
});

Deno.test("ellipseErrorSummary: custom edges; NaN b/a and NaN angles are left out", () => {
  const s = ellipseErrorSummary([
    ...MIXED,
    { pred: T, truth: head(0, 0) },
    { pred: [T[0], T[0], T[2], T[3]], truth: T },
  ], [0.8]);
  assert.equal(s.n, 5);
  assert.deepEqual(s.bins.map((b) => b.n), [3, 1]);
  close(s.bins[0].angleDeg, 0, "low bin angle (the zero-length OFD skipped)");
  close(s.angleDeg.mean, 30, "angle mean over the 3 defined angles");
});

Deno.test("ellipseErrorSummary: empty input gives n = 0, NaN everywhere, empty bins", () => {
  const s = ellipseErrorSummary([]);
  assert.equal(s.n, 0);
  for (const k of ["centrePx", "dAPx", "dBPx", "angleDeg", "mrePx"] as const) {
    close(s[k].mean, NaN, `${k} mean`);
    close(s[k].median, NaN, `${k} median`);
  }
  assert.deepEqual(s.bins.map((b) => b.n), [0, 0, 0]);
  assert.ok(s.bins.every((b) => Number.isNaN(b.mrePx) && Number.isNaN(b.angleDeg)));
});

Deno.test("ellipseErrorSummary: edges must be finite and strictly increasing", () => {
  for (const edges of [[0.85, 0.75], [0.8, 0.8], [NaN], [Infinity]]) {
    assert.throws(() => ellipseErrorSummary(MIXED, edges), RangeError, `${edges}`);
  }
  assert.deepEqual(ellipseErrorSummary(MIXED, []).bins.map((b) => b.n), [3]);
});

Deno.test("ellipseCaseErrors: tilt of the true OFD from the horizontal, folded to [0, 90]", () => {
  const table: [Landmarks, number][] = [
    [T, 0],
    [rotate(T, 30), 30],
    [rotate(T, -30), 30],
    [rotate(T, 90), 90],
    [rotate(T, 100), 80],
    [head(0, 0), NaN],
  ];
  for (const [truth, tilt] of table) {
    close(ellipseCaseErrors(T, truth).tiltDeg, tilt, `tilt ${tilt}`);
  }
});

Deno.test("ellipseErrorSummary: tilt bins group the MRE by the true OFD's tilt", () => {
  // Truths tilted 0°, 40° and 80°; each prediction is its truth shifted by 3, 6 and 9 px in x.
  const cases = [0, 40, 80].map((deg, i) => {
    const truth = rotate(T, deg);
    return { pred: shift(truth, 3 * (i + 1), 0), truth };
  });
  const s = ellipseErrorSummary(cases);
  assert.deepEqual(s.tiltBins.map((b) => [b.lo, b.hi, b.n]), [
    [-Infinity, 30, 1],
    [30, 50, 1],
    [50, Infinity, 1],
  ]);
  s.tiltBins.forEach((b, i) => close(b.mrePx, 3 * (i + 1), `bin ${i} MRE`));
  assert.deepEqual(ellipseErrorSummary(cases, undefined, [60]).tiltBins.map((b) => b.n), [2, 1]);
  assert.throws(() => ellipseErrorSummary(cases, undefined, [50, 30]), RangeError);
  assert.equal(tiltBinLabel(s.tiltBins[0]), "tilt < 30°");
  assert.equal(tiltBinLabel(s.tiltBins[1]), "tilt 30–50°");
  assert.equal(tiltBinLabel(s.tiltBins[2]), "tilt ≥ 50°");
});

Deno.test("roundnessBinLabel: open outer bins", () => {
  assert.equal(roundnessBinLabel({ lo: -Infinity, hi: 0.75 }), "b/a < 0.75");
  assert.equal(roundnessBinLabel({ lo: 0.75, hi: 0.85 }), "b/a 0.75–0.85");
  assert.equal(roundnessBinLabel({ lo: 0.85, hi: Infinity }), "b/a ≥ 0.85");
  assert.equal(roundnessBinLabel({ lo: -Infinity, hi: Infinity }), "b/a any");
});

Deno.test("ellipseErrorRows (notebook 07): one row per family from its evaluation cases", () => {
  const evaluation = evaluate(MIXED.map((c, i) => ({ id: `${i}.png`, ...c })), {
    bootstrapResamples: 10,
  });
  const rows = ellipseErrorRows([{ family: "unet", evaluation }]);
  assert.equal(rows.length, 1);
  const r = rows[0];
  assert.equal(r.family, "unet");
  close(r["centre px"] as number, 5 / 3, "centre px");
  close(r["|Δa| px"] as number, 0, "|Δa| px");
  close(r["angle °"] as number, 30, "angle °");
  close(r["angle ° median"] as number, 0, "angle ° median");
  close(r["MRE px"] as number, evaluation.landmarks.px.radial.mean, "MRE px as evaluate scores it");
  close(r["MRE px, labelled direction"] as number, (0 + 5 + 79) / 3, "aligned MRE");
  assert.equal(r["b/a < 0.75 n"], 0);
  close(r["b/a < 0.75 MRE px"] as number, NaN, "empty bin");
  assert.equal(r["b/a 0.75–0.85 n"], 2);
  close(r["b/a 0.75–0.85 MRE px"] as number, 2.5, "middle bin");
  assert.equal(r["b/a ≥ 0.85 n"], 1);
  close(r["b/a ≥ 0.85 angle °"] as number, 90, "top bin angle");
});

Deno.test("tiltErrorRows (notebooks 03, 07): n and MRE per tilt bin, one row per family", () => {
  const cases = [0, 10, 80].map((deg, i) => {
    const truth = rotate(T, deg);
    return { id: `${i}.png`, pred: shift(truth, 0, 2 * (i + 1)), truth };
  });
  const evaluation = evaluate(cases, { bootstrapResamples: 10 });
  const [r] = tiltErrorRows([{ family: "coord", evaluation }]);
  assert.equal(r.family, "coord");
  close(r["MRE px"] as number, 4, "MRE px");
  assert.equal(r["tilt < 30° n"], 2);
  close(r["tilt < 30° MRE px"] as number, 3, "flat bin");
  assert.equal(r["tilt 30–50° n"], 0);
  close(r["tilt 30–50° MRE px"] as number, NaN, "empty bin");
  assert.equal(r["tilt ≥ 50° n"], 1);
  close(r["tilt ≥ 50° MRE px"] as number, 6, "steep bin");
});

Deno.test("headSizeRows (notebooks 04, 05): MRE per third by true OFD length, thirds from the first run", () => {
  // Six heads with OFD 40…90 px (head(a, b) has OFD 2a); run A is off by 1…6 px, run B by 2 px.
  const truths = [20, 25, 30, 35, 40, 45].map((a) => head(a, a * 0.8));
  const a = evaluate(
    truths.map((t, i) => ({ id: `${i}`, pred: shift(t, i + 1, 0), truth: t })),
    { bootstrapResamples: 10 },
  );
  // Run B lists the images in another order: bins go by id, not position.
  const b = evaluate(
    truths.map((t, i) => ({ id: `${i}`, pred: shift(t, 0, 2), truth: t })).reverse(),
    { bootstrapResamples: 10 },
  );
  const [ra, rb] = headSizeRows([{ family: "A", evaluation: a }, { family: "B", evaluation: b }]);
  assert.equal(ra["small n"], 2);
  assert.equal(ra["small OFD px"], "40–50");
  assert.equal(ra["large OFD px"], "80–90");
  close(ra["small MRE px"] as number, 1.5, "A small");
  close(ra["middle MRE px"] as number, 3.5, "A middle");
  close(ra["large MRE px"] as number, 5.5, "A large");
  for (const k of ["small", "middle", "large"]) close(rb[`${k} MRE px`] as number, 2, `B ${k}`);
  assert.deepEqual(headSizeRows([]), []);
});
