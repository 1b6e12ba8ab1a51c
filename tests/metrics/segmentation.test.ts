import assert from "node:assert/strict";
import type { Mask } from "../../lib/core/types.ts";
import {
  confusion,
  dice,
  hausdorffPercentile,
  iou,
  SegmentationAccumulator,
  segmentationScores,
} from "../../lib/metrics/segmentation.ts";

function parse(rows: string[]): Mask {
  const width = rows[0].length, height = rows.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === "#" ? 1 : 0)));
  return { width, height, data };
}
const empty = parse(["....", "....", "...."]);

Deno.test("overlap: hand-counted confusion, Dice, IoU, precision, recall", () => {
  const pred = parse(["###.", "###.", "...."]); // 6 px
  const truth = parse([".###", ".###", ".###"]); // 9 px, overlap 4
  assert.deepEqual(confusion(pred, truth), { tp: 4, fp: 2, fn: 5, tn: 1 });
  const s = segmentationScores(pred, truth);
  assert.equal(s.dice, 8 / 15);
  assert.equal(s.iou, 4 / 11);
  assert.equal(s.precision, 4 / 6);
  assert.equal(s.recall, 4 / 9);
});

Deno.test("identical masks: all overlap scores 1, HD95 0", () => {
  const m = parse([".##.", ".##.", "...."]);
  assert.deepEqual(segmentationScores(m, m), { dice: 1, iou: 1, precision: 1, recall: 1, hd95: 0 });
});

Deno.test("empty-mask policy: both empty perfect; one empty scores 0 and HD95 NaN", () => {
  assert.deepEqual(segmentationScores(empty, empty), {
    dice: 1,
    iou: 1,
    precision: 1,
    recall: 1,
    hd95: 0,
  });
  const m = parse(["#...", "....", "...."]);
  for (const [p, t] of [[m, empty], [empty, m]]) {
    const s = segmentationScores(p, t);
    assert.deepEqual([s.dice, s.iou, s.precision, s.recall], [0, 0, 0, 0]);
    assert.ok(Number.isNaN(s.hd95));
  }
});

Deno.test("HD95: single pixels 5 px apart; parallel lines; percentile interpolation", () => {
  const a: Mask = { width: 10, height: 10, data: new Uint8Array(100) };
  const b: Mask = { width: 10, height: 10, data: new Uint8Array(100) };
  a.data[0] = 1;
  b.data[4 * 10 + 3] = 1;
  assert.equal(hausdorffPercentile(a, b), 5);
  assert.equal(hausdorffPercentile(a, b, 0.2), 1);
  const line = (y: number, len: number): Mask => {
    const m: Mask = { width: 20, height: 5, data: new Uint8Array(100) };
    for (let x = 0; x < len; x++) m.data[y * 20 + x] = 1;
    return m;
  };
  assert.equal(hausdorffPercentile(line(0, 10), line(2, 10)), 2);
  // Long line (20 px) vs its first half: distances 0 (×10), 1..10; the 95th percentile sits at
  // position 19·0.95 = 18.05 between 9 and 10 → 9.05. The other direction is all 0.
  assert.ok(Math.abs(hausdorffPercentile(line(0, 20), line(0, 10)) - 9.05) < 1e-12);
  assert.equal(hausdorffPercentile(line(0, 20), line(0, 10), 1, 100), 10);
});

Deno.test("size mismatch throws", () => {
  assert.throws(() => dice(parse(["#"]), parse(["##"])), RangeError);
  assert.throws(() => iou(parse(["#"]), parse(["#", "#"])), RangeError);
});

Deno.test("accumulator: NaN HD95 counted and skipped; mm only when every image has a size", () => {
  const m = parse(["##..", "##..", "...."]);
  const acc = new SegmentationAccumulator();
  acc.add("same", m, m, 0.5);
  acc.add("missed", empty, m, 0.5);
  let r = acc.result();
  assert.equal(r.nImages, 2);
  assert.equal(r.dice.mean, 0.5);
  assert.equal(r.hd95Undefined, 1);
  assert.equal(r.hd95.n, 1);
  assert.equal(r.hd95Unit, "mm");
  acc.add("no-size", m, m);
  r = acc.result();
  assert.equal(r.hd95Unit, "px");
});
