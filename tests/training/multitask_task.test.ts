import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { createModel } from "../../lib/models/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { buildBatch, memorySource } from "../../lib/training/data.ts";
import { CoordTask } from "../../lib/training/tasks/coord.ts";
import { HeatmapTask } from "../../lib/training/tasks/heatmap.ts";
import { createTask } from "../../lib/training/tasks/multitask.ts";
import { train } from "../../lib/training/trainer.ts";
import { phantomSamples, tinyConfig } from "./helpers.ts";

await tf.setBackend("cpu");

/** A narrow multi-task net so one step on the cpu backend takes a moment. */
function mtConfig(size: number, taskOptions: Record<string, unknown> = {}, modelOptions = {}) {
  return tinyConfig({
    task: "multitask",
    model: {
      name: "multitask-r18-w0.5",
      options: { encoder: "resnet18-w0.25", decoderChannels: [32, 16, 16, 8, 8], ...modelOptions },
    },
    inputSize: size,
    batchSize: 2,
    taskOptions,
  });
}

function maxError(a: Landmarks, b: Landmarks): number {
  return Math.max(...a.map((p, k) => Math.hypot(p.x - b[k].x, p.y - b[k].y)));
}

const samples = [...phantomSamples(2, 5, 120, 90)].map((s) => ({ ...s, pixelSizeMm: 1 }));

Deno.test("multitask: targets as outputs decode to the landmarks from both the heatmaps and the mask", async () => {
  for (const decodeFrom of ["landmarks", "mask"]) {
    const config = mtConfig(96, { decodeFrom, sigma: 1.5 });
    const task = createTask(config);
    assert.ok(task.head instanceof HeatmapTask);
    assert.deepEqual(task.targetShapes(96), [[96, 96, 1], [48, 48, 4]]);
    const pipe = evalPipeline(config);
    const batch = await buildBatch(memorySource(samples, pipe), [0, 1], pipe, task);
    const logits = tf.tidy(() => tf.mul(tf.sub(tf.mul(batch.targets[0], 2), 1), 8));
    const preds = await task.decode([logits, batch.targets[1]], batch.metas);
    preds.forEach((p, i) => {
      assert.ok(maxError(p.fromLandmarks, samples[i].landmarks) < 0.1);
      assert.ok(maxError(p.fromMask, samples[i].landmarks) < 1.5);
      assert.deepEqual(p.landmarks, decodeFrom === "mask" ? p.fromMask : p.fromLandmarks);
      assert.equal(p.biometry.valid, true, p.biometry.reasons.join("; "));
    });
    const acc = task.createMetrics();
    await acc.add([logits, batch.targets[1]], batch.targets, batch.metas);
    const r = acc.result();
    assert.equal(r.dice, 1);
    assert.ok(r.head_mre_px < 0.1 && r.mask_mre_px < 1.5, JSON.stringify(r));
    assert.ok(r.subpixel_gain_px > 0);
    // Loss terms: 0 landmark loss on exact heatmaps; the weights scale each term.
    const terms = task.lossTerms([logits, batch.targets[1]], batch.targets);
    assert.ok(terms.landmarks.dataSync()[0] < 1e-12);
    assert.ok(terms.segmentation.dataSync()[0] > 0);
    tf.dispose([logits, ...Object.values(terms), batch.inputs, ...batch.targets]);
  }
});

Deno.test("multitask: options route to the sub-adapters; unknown keys and a coord head", () => {
  const task = createTask(mtConfig(64, { sigma: 3, bceWeight: 0.5, segWeight: 2 }));
  assert.equal((task.head as HeatmapTask).options.sigma, 3);
  assert.equal(task.seg.options.bceWeight, 0.5);
  assert.equal(task.options.segWeight, 2);
  assert.throws(
    () => createTask(mtConfig(64, { sigmaa: 3 })),
    (e: Error) => e instanceof InputError && /unknown taskOptions key "sigmaa"/.test(e.message),
  );
  assert.throws(() => createTask(mtConfig(64, { segWeight: 0, landmarkWeight: 0 })), /both 0/);
  const coord = createTask(mtConfig(64, { l1Weight: 2 }, { landmarkHead: "coord" }));
  assert.ok(coord.head instanceof CoordTask);
  assert.equal(coord.head.options.l1Weight, 2);
  assert.deepEqual(coord.targetShapes(64), [[64, 64, 1], [8]]);
  // A heatmap option makes no sense for a coordinate head.
  assert.throws(
    () => createTask(mtConfig(64, { sigma: 2 }, { landmarkHead: "coord" })),
    InputError,
  );
});

Deno.test("multitask: the model builds and one training step updates both heads", async () => {
  const config = mtConfig(32, {}, {});
  const model = createModel(config.model.name, {
    ...config.model.options,
    inputSize: 32,
    inChannels: 1,
    seed: 3,
  });
  const task = createTask({ ...config, epochs: 1, stepsPerEpoch: 1 });
  const headWeights = () =>
    ["mask_logits", "heatmaps"].map((name) =>
      model.getLayer(name).getWeights()[0].dataSync().slice()
    );
  const before = headWeights();
  const pipe = evalPipeline(config);
  const result = await train({
    config: { ...config, epochs: 1, stepsPerEpoch: 1 },
    model,
    task,
    train: memorySource(phantomSamples(4, 50, 48, 40), pipe),
    val: memorySource(phantomSamples(2, 60, 48, 40), pipe),
  });
  const after = headWeights();
  before.forEach((w, i) => assert.ok(w.some((v, j) => v !== after[i][j]), `head ${i} unchanged`));
  const rec = result.history[0];
  assert.ok(Number.isFinite(rec.train_loss) && Number.isFinite(rec.val_loss));
  for (
    const k of [
      "val_dice",
      "val_head_mre_px",
      "val_mask_mre_px",
      "val_segmentation",
      "val_landmarks",
    ]
  ) {
    assert.ok(k in rec, `${k} logged`);
  }
  model.dispose();
});
