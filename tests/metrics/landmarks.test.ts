import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import {
  alignPairs,
  errorReport,
  LandmarkMetricAccumulator,
  pairOrderFreeErrors,
  radialErrors,
  successDetectionRate,
} from "../../lib/metrics/landmarks.ts";

const truth: Landmarks = [{ x: 100, y: 200 }, { x: 500, y: 200 }, { x: 300, y: 50 }, {
  x: 300,
  y: 350,
}];
const shift = (l: Landmarks, dx: number, dy: number) =>
  l.map((p) => ({ x: p.x + dx, y: p.y + dy })) as Landmarks;

Deno.test("identical prediction: zero errors, MRE 0, every SDR 1", () => {
  const acc = new LandmarkMetricAccumulator();
  acc.add("a", truth, truth, 0.1);
  const r = acc.result();
  assert.deepEqual(r.images[0].errorsPx, [0, 0, 0, 0]);
  assert.equal(r.px.radial.mean, 0);
  assert.ok(r.px.sdr.every((s) => s.rate === 1));
  assert.ok(r.mm!.sdr.every((s) => s.rate === 1));
});

Deno.test("a (3, 4) shift gives 5 px everywhere; at 0.5 mm/px 2.5 mm, SDR counts ≤", () => {
  const acc = new LandmarkMetricAccumulator();
  const rec = acc.add("a", shift(truth, 3, 4), truth, 0.5);
  assert.deepEqual(rec.errorsPx, [5, 5, 5, 5]);
  assert.equal(rec.mrePx, 5);
  assert.deepEqual(rec.errorsMm, [2.5, 2.5, 2.5, 2.5]);
  const r = acc.result();
  assert.deepEqual(
    { n: r.px.radial.n, mean: r.px.radial.mean, std: r.px.radial.std, median: r.px.radial.median },
    { n: 4, mean: 5, std: 0, median: 5 },
  );
  assert.deepEqual(r.mm!.sdr, [
    { threshold: 1, rate: 0 },
    { threshold: 2, rate: 0 },
    { threshold: 2.5, rate: 1 },
    { threshold: 3, rate: 1 },
    { threshold: 4, rate: 1 },
  ]);
  // A single image: per-landmark sample std is undefined.
  assert.ok(Number.isNaN(r.px.perLandmark.OFD1.std));
  assert.equal(r.px.perLandmark.OFD1.mean, 5);
});

Deno.test("two images: per-landmark stats, SDR fractions, mm only where the pixel size is known", () => {
  const acc = new LandmarkMetricAccumulator();
  acc.add("a", shift(truth, 30, 40), truth, 0.2); // 50 px each
  acc.add("b", shift(truth, 0, 120), truth); // 120 px each
  const r = acc.result();
  assert.equal(r.nImages, 2);
  assert.equal(r.px.radial.mean, 85);
  assert.equal(r.px.perLandmark.BPD2.median, 85);
  assert.ok(Math.abs(r.px.perLandmark.BPD2.std - Math.SQRT2 * 35) < 1e-12);
  assert.deepEqual(r.px.sdr.map((s) => s.rate), [0.5, 0.5, 1, 1]);
  assert.equal(r.mm!.nImages, 1);
  assert.equal(r.mm!.radial.mean, 10);
});

Deno.test("no pixel sizes: no mm report", () => {
  const acc = new LandmarkMetricAccumulator();
  acc.add("a", truth, truth);
  assert.equal(acc.result().mm, undefined);
});

Deno.test("pair-order-free errors forgive swapped ends within a pair, not across pairs", () => {
  const swappedOfd: Landmarks = [truth[1], truth[0], truth[2], truth[3]];
  assert.deepEqual(radialErrors(swappedOfd, truth), [400, 400, 0, 0]);
  assert.deepEqual(pairOrderFreeErrors(swappedOfd, truth), [0, 0, 0, 0]);
  const swappedBoth: Landmarks = [truth[1], truth[0], truth[3], truth[2]];
  assert.deepEqual(pairOrderFreeErrors(swappedBoth, truth), [0, 0, 0, 0]);
  // Keeps the given order when it is the better one.
  const near = shift(truth, 1, 0);
  assert.deepEqual(pairOrderFreeErrors(near, truth), [1, 1, 1, 1]);
});

Deno.test("alignPairs: each pair's ends in the order nearer the reference; ties keep the order", () => {
  const swappedBoth: Landmarks = [truth[1], truth[0], truth[3], truth[2]];
  assert.deepEqual(alignPairs(swappedBoth, truth), truth);
  assert.deepEqual(alignPairs(truth, swappedBoth), swappedBoth);
  // Only the BPD pair is nearer the other way round.
  const bpdSwapped: Landmarks = [truth[0], truth[1], truth[3], truth[2]];
  assert.deepEqual(alignPairs(bpdSwapped, truth), truth);
  // Ends placed symmetrically across the reference's OFD: both orders sum to 2·√40001, so it stays.
  const tied: Landmarks = [{ x: 299, y: 200 }, { x: 301, y: 200 }, truth[2], truth[3]];
  const vertical: Landmarks = [{ x: 300, y: 0 }, { x: 300, y: 400 }, truth[2], truth[3]];
  assert.deepEqual(alignPairs(tied, vertical), tied);
  // Moved one pixel towards the reference's first end, the right-hand point goes first.
  const nearer: Landmarks = [{ x: 299, y: 200 }, { x: 301, y: 199 }, truth[2], truth[3]];
  assert.deepEqual(alignPairs(nearer, vertical).slice(0, 2), [nearer[1], nearer[0]]);
});

Deno.test("SDR and reports on empty input are NaN, not 0", () => {
  assert.ok(Number.isNaN(successDetectionRate([], 10)));
  const r = errorReport([], [10]);
  assert.equal(r.radial.n, 0);
  assert.ok(Number.isNaN(r.radial.mean));
  assert.ok(Number.isNaN(r.sdr[0].rate));
});
