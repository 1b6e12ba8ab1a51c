import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { compareMre } from "../../lib/metrics/comparison.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";

const truth: Landmarks = [{ x: 10, y: 30 }, { x: 70, y: 30 }, { x: 40, y: 10 }, { x: 40, y: 50 }];
const shift = (d: number) => truth.map((p) => ({ x: p.x + d, y: p.y })) as Landmarks;

Deno.test("compareMre pairs images by id; model A better on all 8 → exact p = 2/256", () => {
  const ids = Array.from({ length: 8 }, (_, i) => `img${i}`);
  const a = evaluate(ids.map((id, i) => ({ id, truth, pred: shift(i + 1) })), {
    bootstrapResamples: 5,
  });
  // B is listed in reverse with one extra image A lacks; errors are larger by 10 + i px.
  const b = evaluate(
    [...ids.map((id, i) => ({ id, truth, pred: shift(2 * i + 11) })), {
      id: "extra",
      truth,
      pred: truth,
    }].reverse(),
    { bootstrapResamples: 5 },
  );
  const c = compareMre(a, b);
  assert.equal(c.n, 8);
  assert.equal(c.unit, "px");
  assert.equal(c.meanA, 4.5);
  assert.equal(c.meanB, 18);
  assert.equal(c.medianDiff, -13.5);
  assert.equal(c.wilcoxon.statistic, 0);
  assert.equal(c.wilcoxon.pValue, 2 / 256);
  assert.equal(compareMre(a, b, "less").wilcoxon.pValue, 1 / 256);
});
