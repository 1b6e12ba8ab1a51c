import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { signedAngleErrorDeg } from "../../lib/metrics/ellipse_errors.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import {
  angleErrorCorrelations,
  commonIds,
  consensus,
  errorCorrelations,
  type LandmarkSource,
  pairAgreement,
  pairAgreements,
} from "../../lib/metrics/model_agreement.ts";
import {
  agreementFigure,
  agreementMarkdown,
  agreementRows,
  agreementStudy,
  errorCorrelationRows,
} from "../../lib/notebook/comparison.ts";
import { close, DEG, head, rotate, shift } from "./helpers.ts";

const T = head(40, 30);

const source = (name: string, entries: [string, Landmarks][]): LandmarkSource => ({
  name,
  byId: new Map(entries),
});
// [name, pred, signed angle error °]
const SIGNED: [string, Landmarks, number][] = [
  ["identity", T, 0],
  ["turned +10°", rotate(T, 10), 10],
  ["turned −10°", rotate(T, -10), -10],
  ["turned 170° is −10° modulo 180°", rotate(T, 170), -10],
  ["OFD ends swapped is the same direction", [T[1], T[0], T[2], T[3]], 0],
  ["turned 95° is −85°", rotate(T, 95), -85],
  ["zero-length OFD", [T[0], T[0], T[2], T[3]], NaN],
];
for (const [name, pred, expected] of SIGNED) {
  Deno.test(`signedAngleErrorDeg: ${name}`, () => {
    close(signedAngleErrorDeg(pred, T), expected, name);
  });
}

Deno.test("pairAgreement: centre, angle and MRE per image, then mean and median", () => {
  const labels = source("labels", [["a", T], ["b", T], ["c", T]]);
  // Shifts of 5, 10 and 50 px: mean 65 / 3, median 10; every point moves by the same distance.
  const shifted = source("shifted", [
    ["a", shift(T, 3, 4)],
    ["b", shift(T, 6, 8)],
    ["c", shift(T, 30, 40)],
  ]);
  const p = pairAgreement(labels, shifted);
  assert.deepEqual([p.a, p.b, p.n], ["labels", "shifted", 3]);
  close(p.centrePx.mean, 65 / 3, "centre mean");
  close(p.centrePx.median, 10, "centre median");
  close(p.mrePx.mean, 65 / 3, "MRE mean");
  close(p.mrePx.median, 10, "MRE median");
  close(p.angleDeg.mean, 0, "angle");
  // A 10° turn about the centre: each end moves along a chord 2 r sin 5°, r = 40, 40, 30, 30.
  const turned = source("turned", [["a", rotate(T, 10)], ["b", rotate(T, 10)], ["c", T]]);
  const q = pairAgreement(labels, turned);
  close(q.mrePx.median, 70 * Math.sin(5 * DEG), "turned MRE median");
  close(q.mrePx.mean, (2 * 70 * Math.sin(5 * DEG)) / 3, "turned MRE mean");
  close(q.angleDeg.mean, 20 / 3, "turned angle mean");
  close(q.centrePx.mean, 0, "turned centre");
});

Deno.test("pairAgreements: every unordered pair, on the images all sources have", () => {
  const labels = source("labels", [["a", T], ["b", T], ["only-labels", T]]);
  const m1 = source("m1", [["b", shift(T, 3, 4)], ["a", shift(T, 3, 4)]]);
  const m2 = source("m2", [["a", shift(T, -3, -4)], ["b", shift(T, -3, -4)], ["extra", T]]);
  assert.deepEqual(commonIds([labels, m1, m2]), ["a", "b"]);
  const pairs = pairAgreements([labels, m1, m2]);
  assert.deepEqual(pairs.map((p) => [p.a, p.b, p.n]), [
    ["labels", "m1", 2],
    ["labels", "m2", 2],
    ["m1", "m2", 2],
  ]);
  close(pairs[0].centrePx.mean, 5, "labels–m1");
  close(pairs[2].centrePx.mean, 10, "m1–m2: the shifts point opposite ways");
  assert.deepEqual(pairAgreements([]), []);
  assert.deepEqual(commonIds([]), []);
});

Deno.test("pairAgreement: no common image gives n = 0 and NaN distances", () => {
  const p = pairAgreement(source("x", [["a", T]]), source("y", [["b", T]]));
  assert.equal(p.n, 0);
  close(p.mrePx.mean, NaN, "MRE");
  close(p.angleDeg.median, NaN, "angle");
});

Deno.test("angleErrorCorrelations: shared errors give ρ = 1, opposite errors ρ = −1", () => {
  const turns = [1, -2, 3, -4, 5];
  const ids = turns.map((_, i) => `img${i}`);
  const labels = source("labels", ids.map((id) => [id, T]));
  const by = (name: string, f: (t: number) => number) =>
    source(name, ids.map((id, i) => [id, rotate(T, f(turns[i]))]));
  const a = by("a", (t) => t);
  // Twice the turn: a different size, the same order of errors.
  const b = by("b", (t) => 2 * t);
  const c = by("c", (t) => -t);
  const r = angleErrorCorrelations(labels, [a, b, c]);
  assert.deepEqual(r.map((e) => [e.a, e.b, e.n]), [["a", "b", 5], ["a", "c", 5], ["b", "c", 5]]);
  close(r[0].rho, 1, "a–b");
  close(r[1].rho, -1, "a–c");
  close(r[2].rho, -1, "b–c");
  assert.deepEqual(angleErrorCorrelations(labels, [a]), []);
});

Deno.test("consensus: coordinate-wise mean on the common images, ends matched, canonical order", () => {
  const up = source("up", [["a", shift(T, 3, 4)], ["b", shift(T, 2, 0)]]);
  const down = source("down", [["a", shift(T, -3, -4)], ["c", T]]);
  const mean = consensus("mean", [up, down]);
  assert.equal(mean.name, "mean");
  assert.deepEqual([...mean.byId.keys()], ["a"]);
  assert.deepEqual(mean.byId.get("a"), T);
  // One source lists both pairs the other way round: matched to the first source before
  // averaging, so the mean is the head itself, not its ends averaged onto the centre.
  const swapped: Landmarks = [T[1], T[0], T[3], T[2]];
  const fromSwapped = consensus("m", [source("t", [["a", T]]), source("s", [["a", swapped]])]);
  assert.deepEqual(fromSwapped.byId.get("a"), T);
  // The reference itself swapped: the mean still comes out in the canonical order (OFD1 left,
  // BPD1 top), which is T's.
  const fromRef = consensus("m", [source("s", [["a", swapped]]), source("t", [["a", T]])]);
  assert.deepEqual(fromRef.byId.get("a"), T);
});

Deno.test("agreementStudy (notebook 07): labels against each family, family pairs, their mean", () => {
  // Two families off by opposite shifts on image a and by the same 10° turn on image b.
  const fam = (family: string, sign: number) => ({
    family,
    evaluation: evaluate([
      { id: "a.png", truth: T, pred: shift(T, 3 * sign, 4 * sign) },
      { id: "b.png", truth: T, pred: rotate(T, 10) },
    ], { bootstrapResamples: 10 }),
  });
  const study = agreementStudy([fam("unet", 1), fam("deeplab", -1)]);
  const rows = agreementRows(study);
  assert.deepEqual(rows.map((r) => [r.pair, r.n]), [
    ["labels – unet", 2],
    ["labels – deeplab", 2],
    ["unet – deeplab", 2],
    ["labels – mean of 2", 2],
  ]);
  const turned = 70 * Math.sin(5 * DEG);
  // labels–unet: MRE 5 (a) and the turn's (b); unet–deeplab: 10 (a) and 0 (b).
  close(rows[0]["MRE px median"] as number, (5 + turned) / 2, "labels–unet MRE");
  close(rows[2]["MRE px mean"] as number, 5, "unet–deeplab MRE");
  close(rows[2]["angle ° mean"] as number, 0, "the families turn together");
  // The mean cancels the shifts, not the shared turn.
  close(rows[3]["MRE px mean"] as number, turned / 2, "mean of 2");
  close(rows[3]["angle ° mean"] as number, 5, "mean of 2 angle");
  assert.equal(study.correlations.length, 1);
  // No pixel sizes here, so no HC errors to correlate.
  assert.deepEqual(study.hcCorrelations.map((c) => [c.n, c.rho]), [[0, NaN]]);
  assert.deepEqual(errorCorrelationRows(study).map((r) => r["A vs B"]), ["unet vs deeplab"]);
  assert.equal(study.correlations[0].n, 2);
  close(study.correlations[0].rho, 1, "both families' angle errors rise from a to b");
  close(study.consensusHcAbsMm!, NaN, "no pixel sizes, no HC");
  // A table without finite values for a key: the sentence ends without that comparison.
  assert.match(agreementMarkdown(study, [{ "MRE px": NaN }]), /the best single family – px\.$/);
  const fig = agreementFigure(study).plotly.data[0];
  assert.deepEqual(fig.x, ["labels", "unet", "deeplab"]);
  const z = fig.z as number[][];
  assert.deepEqual(z.map((r, i) => r[i]), [0, 0, 0]);
  assert.equal(z[1][2], z[2][1], "symmetric");
  close(z[1][2], rows[2]["MRE px median"] as number, "unet–deeplab cell = its table row");
  const md = agreementMarkdown(study, [{ "MRE px": 3.5, "|ΔHC| mm": NaN }, { "MRE px": 4 }]);
  assert.match(md, /between two families: 5\.0–5\.0 px/);
  assert.match(md, /Averaging the 2 families' points scores MRE 3\.1 px/);
  assert.match(md, /the best single family 3\.5 px\.$/);
  // With pixel sizes: shifts and turns keep the head's shape, so the mean's HC is exact.
  const mm = (family: string, sign: number) => {
    const f = fam(family, sign);
    f.evaluation.cases.forEach((c) => (c.pixelSizeMm = 0.1));
    return f;
  };
  const withMm = agreementStudy([mm("unet", 1), mm("deeplab", -1)]);
  close(withMm.consensusHcAbsMm!, 0, "HC of the mean");
  assert.match(
    agreementMarkdown(withMm, [{ "MRE px": 3.5, "|ΔHC| mm": 0.5 }]),
    /\|ΔHC\| 0\.00 mm against 0\.50 mm\.$/,
  );
  assert.equal(agreementStudy([fam("unet", 1)]).consensus, undefined, "one family, no mean");
});

Deno.test("errorCorrelations: any signed error; NaN errors leave the pair, n counts the rest", () => {
  const ids = ["a", "b", "c", "d"];
  const labels = source("labels", ids.map((id) => [id, T]));
  // The error is read off the predicted OFD1's x: 60 + error.
  const by = (name: string, errs: number[]) =>
    source(name, ids.map((id, i) => [id, shift(T, errs[i], 0)]));
  const x = (pred: Landmarks, truth: Landmarks) =>
    pred[0].x === truth[0].x + 99 ? NaN : pred[0].x - truth[0].x;
  const r = errorCorrelations(labels, [by("p", [1, 2, 3, 99]), by("q", [2, 1, 3, 4])], x);
  // Ranks of (1, 2, 3) and (2, 1, 3): one swap, ρ = 1 − 6·2 / (3·8) = 0.5.
  assert.deepEqual(r.map((e) => [e.a, e.b, e.n]), [["p", "q", 3]]);
  close(r[0].rho, 0.5, "ρ");
});
