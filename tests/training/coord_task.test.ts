import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { buildBatch, memorySource } from "../../lib/training/data.ts";
import {
  createTask,
  fromNormalised,
  parseCoordOptions,
  toNormalised,
} from "../../lib/training/tasks/coord.ts";
import { phantomSamples, tinyConfig } from "./helpers.ts";

await tf.setBackend("cpu");

Deno.test("normalised coordinates: square edges at ±1, centre at 0, exact inverse", () => {
  const S = 64;
  const table: [number, number][] = [[-0.5, -1], [S - 0.5, 1], [(S - 1) / 2, 0], [0, -1 + 1 / S]];
  for (const [x, u] of table) {
    assert.ok(Math.abs(toNormalised(x, S) - u) < 1e-12, `x=${x}`);
    assert.ok(Math.abs(fromNormalised(u, S) - x) < 1e-12, `u=${u}`);
  }
});

Deno.test("targets decoded back land on the original landmarks (letterbox inverted exactly)", async () => {
  // 60×34 images: wide, so the letterbox pads top and bottom.
  const config = tinyConfig({ inputSize: 40 });
  const samples = phantomSamples(3, 7, 60, 34);
  const task = createTask(config);
  const source = memorySource(samples, evalPipeline(config));
  const batch = await buildBatch(source, [0, 1, 2], evalPipeline(config), task);
  const decoded = await task.decode(batch.targets, batch.metas);
  decoded.forEach((d, i) =>
    d.landmarks.forEach((p, k) => {
      const t = samples[i].landmarks[k];
      assert.ok(
        Math.hypot(p.x - t.x, p.y - t.y) < 1e-3,
        `sample ${i} landmark ${k}: ${JSON.stringify(p)} vs ${JSON.stringify(t)}`,
      );
    })
  );
  // Targets lie inside the square, within the letterboxed band in y.
  const v = batch.targets[0].dataSync();
  assert.ok(v.every((u) => u > -1 && u < 1));
  tf.dispose([batch.inputs, ...batch.targets]);
});

Deno.test("loss terms: hand-computed L1 + smooth-L1, Wing and geometric switched on by options", () => {
  const S = 100; // 1 px = 0.02 normalised; smoothL1 beta 2 px = 0.04
  const target = tf.tensor2d([[-0.5, 0, 0.5, 0, 0, -0.3, 0, 0.3]]);
  const pred = tf.add(target, 0.1) as tf.Tensor2D;
  const base = createTask(tinyConfig({ inputSize: S }));
  const terms = base.lossTerms([pred], [target]);
  assert.deepEqual(Object.keys(terms), ["l1", "smoothL1"]);
  assert.ok(Math.abs(terms.l1.dataSync()[0] - 0.1) < 1e-6);
  assert.ok(Math.abs(terms.smoothL1.dataSync()[0] - (0.1 - 0.02)) < 1e-6); // |d| − β/2
  assert.ok(Math.abs(base.loss([pred], [target]).dataSync()[0] - 0.18) < 1e-6);

  // Wing with w = 10 px = 0.2, ε = 2 px = 0.04: |d| = 0.1 < w → w·ln(1 + |d|/ε) = 0.2·ln 3.5.
  const withWing = createTask(
    tinyConfig({ inputSize: S, taskOptions: { l1Weight: 0, smoothL1Weight: 0, wingWeight: 1 } }),
  );
  assert.ok(Math.abs(withWing.loss([pred], [target]).dataSync()[0] - 0.2 * Math.log(3.5)) < 1e-6);

  // Geometric term: 0 for perpendicular axes sharing a midpoint (the target), > 0 when tilted.
  const geo = createTask(
    tinyConfig({
      inputSize: S,
      taskOptions: { l1Weight: 0, smoothL1Weight: 0, geometricWeight: 1 },
    }),
  );
  assert.ok(geo.loss([target], [target]).dataSync()[0] < 1e-9);
  const tilted = tf.tensor2d([[-0.5, 0, 0.5, 0, -0.3, -0.3, 0.3, 0.3]]);
  assert.ok(geo.loss([tilted], [target]).dataSync()[0] > 0.1);
  tf.dispose([target, pred, tilted, ...Object.values(terms)]);
});

Deno.test("coord task options: unknown keys, bad values and all-zero weights are rejected", () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ l1weight: 1 }, /unknown taskOptions key "l1weight"/],
    [{ wingWeight: -1 }, /wingWeight must be a number ≥ 0/],
    [{ wingWeight: "1" }, /wingWeight/],
    [{ wingWeight: 1, wingWidthPx: 0 }, /wingWidthPx/],
  ];
  for (const [opts, re] of table) {
    assert.throws(
      () => parseCoordOptions(opts),
      (e: Error) => e instanceof InputError && re.test(e.message),
    );
  }
  const none = createTask(tinyConfig({ taskOptions: { l1Weight: 0, smoothL1Weight: 0 } }));
  const x = tf.zeros([1, 8]);
  assert.throws(() => none.loss([x], [x]), /every loss weight is 0/);
  x.dispose();
});
