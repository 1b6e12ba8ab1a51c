import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { spreadRatios } from "../../lib/metrics/spread.ts";

/** Three images whose landmarks move by (k·10, k·20) for k = 0, 1, 2. */
const truths: Landmarks[] = [0, 1, 2].map((k) =>
  [0, 1, 2, 3].map((i) => ({ x: 100 * i + 10 * k, y: 50 + 20 * k })) as Landmarks
);
/** Predictions shrunk towards the mean truth by factor f. */
const shrink = (f: number) =>
  truths.map((l) =>
    l.map((p, i) => ({
      x: 100 * i + 10 + f * (p.x - 100 * i - 10),
      y: 70 + f * (p.y - 70),
    })) as Landmarks
  );

Deno.test("perfect predictions have ratio 1 on both axes", () => {
  const r = spreadRatios(truths, truths);
  assert.ok(r.perLandmark.every((p) => Math.abs(p.x - 1) < 1e-12 && Math.abs(p.y - 1) < 1e-12));
  assert.equal(r.collapsed, false);
});

Deno.test("shrinking by f scales the ratio by f; the collapse flag is strict at 0.5", () => {
  for (const [f, collapsed] of [[0.5, false], [0.4, true], [0, true]] as const) {
    const r = spreadRatios(shrink(f), truths);
    assert.ok(Math.abs(r.meanX - f) < 1e-12 && Math.abs(r.meanY - f) < 1e-12, `f = ${f}`);
    assert.equal(r.collapsed, collapsed, `f = ${f}`);
  }
});

Deno.test("no true spread (one image): NaN ratios and no verdict", () => {
  const r = spreadRatios([truths[0]], [truths[1]]);
  assert.ok(Number.isNaN(r.meanX) && Number.isNaN(r.meanY));
  assert.equal(r.collapsed, false);
  assert.throws(() => spreadRatios([truths[0]], truths), RangeError);
});
