import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { measuresFromLandmarks } from "../../lib/geometry/measures.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { buildBatch, memorySource } from "../../lib/training/data.ts";
import {
  createTask,
  hasBiometry,
  parseSegmentationOptions,
} from "../../lib/training/tasks/segmentation.ts";
import { phantomSamples, tinyConfig } from "./helpers.ts";

await tf.setBackend("cpu");

function segConfig(size: number, taskOptions: Record<string, unknown> = {}) {
  return tinyConfig({
    task: "segmentation",
    model: { name: "unet-r18-w0.5", options: {} },
    inputSize: size,
    taskOptions,
  });
}

function maxError(a: Landmarks, b: Landmarks): number {
  return Math.max(...a.map((p, k) => Math.hypot(p.x - b[k].x, p.y - b[k].y)));
}

/**
 * Phantoms 160×120 and 100×150 (padding on either axis) batched through the eval pipeline. Their
 * pixel size is set to 0.8 mm so the heads have plausible HCs for the validator (~100–300 mm).
 */
async function gtBatch(size: number, options: Record<string, unknown> = {}) {
  const config = segConfig(size, options);
  const samples = [...phantomSamples(2, 3, 160, 120), ...phantomSamples(1, 30, 100, 150)]
    .map((s) => ({ ...s, pixelSizeMm: 0.8 }));
  const task = createTask(config);
  const pipe = evalPipeline(config);
  const batch = await buildBatch(memorySource(samples, pipe), [0, 1, 2], pipe, task);
  // Hard ±8 logits from the 0/1 target mask.
  const logits = tf.tidy(() => tf.mul(tf.sub(tf.mul(batch.targets[0], 2), 1), 8));
  return { task, batch, samples, logits };
}

Deno.test("segmentation: ground-truth mask as logits decodes to the original landmarks and HC", async () => {
  const { task, batch, samples, logits } = await gtBatch(128);
  assert.deepEqual(batch.targets[0].shape, [3, 128, 128, 1]);
  const preds = await task.decode([logits], batch.metas);
  preds.forEach((p, i) => {
    const s = samples[i];
    // One model pixel is 1.25 (160 px wide) or 1.17 original px; the fit over the whole outline
    // lands well within one of them.
    const err = maxError(p.landmarks, s.landmarks);
    assert.ok(err < 1, `sample ${i}: ${err} px`);
    assert.ok(hasBiometry(p));
    assert.equal(p.biometry.valid, true, p.biometry.reasons.join("; "));
    const hcTrue = measuresFromLandmarks(s.landmarks, s.pixelSizeMm!).hcMm;
    assert.ok(
      Math.abs(p.biometry.hcMm! - hcTrue) < 0.01 * hcTrue,
      `HC ${p.biometry.hcMm} vs ${hcTrue}`,
    );
    assert.equal(p.modelMask.width, 128);
  });
  tf.dispose([logits, batch.inputs, ...batch.targets]);
});

Deno.test("segmentation metrics: Dice/IoU/precision/recall 1 for the ground truth, hand-checked for a shifted mask", async () => {
  const { task, batch, logits } = await gtBatch(64);
  const acc = task.createMetrics();
  await acc.add([logits], batch.targets, batch.metas);
  const r = acc.result();
  for (const k of ["dice", "iou", "precision", "recall"]) assert.equal(r[k], 1, k);
  assert.equal(r.invalid, 0);
  assert.equal(r.sdr2mm, 1);
  // Everything predicted foreground: precision = mask fraction, recall 1, Dice = 2f/(1 + f).
  const all = tf.onesLike(logits);
  const acc2 = task.createMetrics();
  await acc2.add([all], batch.targets, batch.metas);
  const fractions = Array.from(
    { length: 3 },
    (_, b) => batch.targets[0].slice([b, 0, 0, 0], [1, 64, 64, 1]).mean().dataSync()[0],
  );
  const mean = (f: (x: number) => number) => fractions.reduce((s, x) => s + f(x), 0) / 3;
  const r2 = acc2.result();
  assert.ok(Math.abs(r2.precision - mean((f) => f)) < 1e-6);
  assert.equal(r2.recall, 1);
  assert.ok(Math.abs(r2.dice - mean((f) => (2 * f) / (1 + f))) < 1e-6);
  tf.dispose([all, logits, batch.inputs, ...batch.targets]);
});

Deno.test("segmentation loss: Dice + BCE at zero logits, hand-computed", async () => {
  const { task, batch, logits } = await gtBatch(64);
  const zeros = tf.zerosLike(logits);
  const terms = task.lossTerms([zeros], batch.targets);
  // σ(0) = ½: BCE = ln 2; soft Dice per image = 1 − (Σt + 1)/(N/2 + Σt + 1) with smoothing 1.
  assert.ok(Math.abs(terms.bce_loss.dataSync()[0] - Math.LN2) < 1e-6);
  const N = 64 * 64;
  const expectedDice = Array.from({ length: 3 }, (_, b) => {
    const sumT = batch.targets[0].slice([b, 0, 0, 0], [1, 64, 64, 1]).sum().dataSync()[0];
    return 1 - (sumT + 1) / (N / 2 + sumT + 1);
  }).reduce((s, v) => s + v, 0) / 3;
  assert.ok(Math.abs(terms.dice_loss.dataSync()[0] - expectedDice) < 1e-5);
  assert.ok(
    Math.abs(task.loss([zeros], batch.targets).dataSync()[0] - (Math.LN2 + expectedDice)) < 1e-5,
  );
  tf.dispose([zeros, logits, ...Object.values(terms), batch.inputs, ...batch.targets]);
});

Deno.test("segmentation: an empty prediction falls back to the image centre and is flagged invalid", async () => {
  const { task, batch, logits } = await gtBatch(64);
  const empty = tf.fill(logits.shape, -5);
  const preds = await task.decode([empty], batch.metas);
  preds.forEach((p, i) => {
    const m = batch.metas[i];
    p.landmarks.forEach((q) =>
      assert.deepEqual(q, { x: (m.width - 1) / 2, y: (m.height - 1) / 2 })
    );
    assert.equal(p.biometry.valid, false);
    assert.ok(p.biometry.reasons.some((r) => r.startsWith("empty")));
    assert.equal(p.biometry.ellipse, null);
  });
  tf.dispose([empty, logits, batch.inputs, ...batch.targets]);
});

Deno.test("segmentation: samples without a mask and bad options are rejected", async () => {
  const config = segConfig(32);
  const task = createTask(config);
  const [s] = phantomSamples(1, 1);
  const { mask: _drop, ...noMask } = s;
  const pipe = evalPipeline(config);
  await assert.rejects(
    () => buildBatch(memorySource([noMask], pipe), [0], pipe, task),
    (e: Error) =>
      e instanceof InputError && /has no mask/.test(e.message) && e.message.includes(s.id),
  );
  const table: [Record<string, unknown>, RegExp][] = [
    [{ dicewt: 1 }, /unknown taskOptions key "dicewt"/],
    [{ threshold: 1 }, /threshold must be ≤/],
    [{ threshold: 0 }, /threshold must be > 0/],
    [{ openRadius: 1.5 }, /openRadius must be an integer/],
    [{ inlierBand: 0 }, /inlierBand must be > 0/],
    [{ diceWeight: 0, bceWeight: 0 }, /both 0/],
  ];
  for (const [raw, re] of table) {
    assert.throws(
      () => parseSegmentationOptions(raw),
      (e: Error) => e instanceof InputError && re.test(e.message),
    );
  }
  assert.throws(
    () =>
      createTask(
        tinyConfig({ task: "segmentation", model: { name: "coord-r18-w0.5", options: {} } }),
      ),
    /has 0 segmentation outputs/,
  );
});
