import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import { isCanonical } from "../../lib/data/landmark_order.ts";
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

Deno.test("standardised outputs: fitted mean/std, decode of z = 0 is the mean shape, loss in normalised units", async () => {
  const S = 10; // u = (2x + 1)/10 − 1
  const cfg = tinyConfig({ inputSize: S, taskOptions: { standardise: 1 } });
  const task = createTask(cfg);
  const at = (x: number, y: number) => ({ x, y });
  // Two shapes: every x is 2 or 6 (u = −0.5 or 0.3), every y is 4 (u = −0.1).
  const fitted = task.fitOptions([
    [at(2, 4), at(2, 4), at(2, 4), at(2, 4)],
    [at(6, 4), at(6, 4), at(6, 4), at(6, 4)],
  ])!;
  const mean = fitted.targetMean as number[], std = fitted.targetStd as number[];
  close8(mean, [-0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1]);
  close8(std, [0.4, 1e-3, 0.4, 1e-3, 0.4, 1e-3, 0.4, 1e-3]); // y never varies: floored at 1e-3
  const fittedTask = createTask({ ...cfg, taskOptions: { ...cfg.taskOptions, ...fitted } });
  assert.equal(fittedTask.fitOptions([]), undefined); // nothing left to fit (e.g. on resume)

  const z = tf.zeros([1, 8]);
  const identity = { toImage: (p: { x: number; y: number }) => p };
  const meta = {
    id: "a",
    width: S,
    height: S,
    toModel: identity.toImage,
    landmarks: [at(0, 0), at(0, 0), at(0, 0), at(0, 0)] as const,
    ...identity,
  };
  const [pred] = await fittedTask.decode([z], [meta as never]);
  for (const p of pred.landmarks) {
    assert.ok(Math.abs(p.x - 4) < 1e-6 && Math.abs(p.y - 4) < 1e-6, JSON.stringify(p)); // u = −0.1 → x = 4
  }
  // z = +1 on x moves OFD1.x by one std (0.4 → 2 px) to x = 6; the target there gives zero loss.
  const zx = tf.tensor2d([[1, 0, 1, 0, 1, 0, 1, 0]]);
  const target = tf.tensor2d([[0.3, -0.1, 0.3, -0.1, 0.3, -0.1, 0.3, -0.1]]);
  assert.ok(fittedTask.loss([zx], [target]).dataSync()[0] < 1e-6);
  // Unfitted, the raw output is read as normalised coordinates: z = (1, 0, …) is 1.3 off in x.
  assert.ok(
    Math.abs(task.lossTerms([zx], [target]).l1.dataSync()[0] - (0.7 * 4 + 0.1 * 4) / 8) < 1e-6,
  );
  tf.dispose([z, zx, target]);
});

Deno.test("dynamicOrder: reversed ends cost nothing in training; decoding is canonical", async () => {
  const S = 100;
  const target = tf.tensor2d([[-0.5, 0, 0.5, 0, 0, -0.3, 0, 0.3]]);
  // Both pairs predicted end-for-end, each coordinate 0.01 off.
  const reversed = tf.tensor2d([[0.51, 0, -0.49, 0, 0, 0.31, 0, -0.29]]);
  const fixed = createTask(tinyConfig({ inputSize: S }));
  const dynamic = createTask(tinyConfig({ inputSize: S, taskOptions: { dynamicOrder: 1 } }));
  // Canonical order: |Δ| = 1.01, 0, 0.99, 0, 0, 0.61, 0, 0.59 → mean 0.4; aligned: 0.01 on 4 of 8.
  assert.ok(Math.abs(fixed.lossTerms([reversed], [target]).l1.dataSync()[0] - 0.4) < 1e-6);
  assert.ok(Math.abs(dynamic.lossTerms([reversed], [target]).l1.dataSync()[0] - 0.005) < 1e-6);
  const identity = { toImage: (p: { x: number; y: number }) => p, toModel: (p: unknown) => p };
  const meta = { id: "m", width: S, height: S, landmarks: [], ...identity };
  const [pred] = await dynamic.decode([reversed], [meta as never]);
  assert.ok(isCanonical(pred.landmarks), JSON.stringify(pred.landmarks));
  tf.dispose([target, reversed]);
});

Deno.test("standardise options are validated", () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ standardise: 2 }, /standardise must be 0 or 1/],
    [{ dynamicOrder: 0.5 }, /dynamicOrder must be 0 or 1/],
    [{ targetMean: [0, 0], targetStd: [1, 1] }, /targetMean must be 8 finite numbers/],
    [
      { targetMean: Array(8).fill(0), targetStd: Array(8).fill(0) },
      /targetStd must be 8 finite numbers > 0/,
    ],
    [{ targetMean: Array(8).fill(0) }, /come together/],
  ];
  for (const [opts, re] of table) {
    assert.throws(
      () => parseCoordOptions(opts),
      (e: Error) => e instanceof InputError && re.test(e.message),
      JSON.stringify(opts),
    );
  }
});

function close8(a: number[], b: number[]) {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-9, `${i}: ${v} vs ${b[i]}`));
}
