import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import { adaptiveWing } from "../../lib/losses/mod.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { isCanonical } from "../../lib/data/landmark_order.ts";
import { perpendicularAxes } from "../../lib/geometry/ellipse.ts";
import { targetPeak } from "../../lib/heatmap/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { buildBatch, memorySource } from "../../lib/training/data.ts";
import { createTask, parseHeatmapOptions } from "../../lib/training/tasks/heatmap.ts";
import { phantomSamples, tinyConfig } from "./helpers.ts";

await tf.setBackend("cpu");

function heatmapConfig(
  size: number,
  stride: number,
  taskOptions: Record<string, unknown> = {},
  modelOptions: Record<string, unknown> = {},
) {
  return tinyConfig({
    task: "heatmap",
    model: { name: "heatmap-unet-r18-w0.25", options: { outputStride: stride, ...modelOptions } },
    inputSize: size,
    taskOptions,
  });
}

function maxError(a: Landmarks, b: Landmarks): number {
  return Math.max(...a.map((p, k) => Math.hypot(p.x - b[k].x, p.y - b[k].y)));
}

/** Targets of three wide/tall phantoms (the letterbox pads) decoded as if they were the outputs. */
async function roundTrip(
  size: number,
  stride: number,
  options: Record<string, unknown>,
  modelOptions: Record<string, unknown> = {},
) {
  const config = heatmapConfig(size, stride, options, modelOptions);
  const samples = [...phantomSamples(2, 11, 90, 52), ...phantomSamples(1, 40, 50, 70)];
  const task = createTask(config);
  const pipe = evalPipeline(config);
  const batch = await buildBatch(memorySource(samples, pipe), [0, 1, 2], pipe, task);
  // With learnable σ the targets are points, not outputs: nothing to decode.
  const preds = task.learnSigma ? [] : await task.decode(batch.targets, batch.metas);
  return { task, batch, preds, samples };
}

Deno.test("heatmap targets decoded as outputs give the original landmarks (stride 1, 2, 4; both scalings)", async () => {
  const table: [number, number, Record<string, unknown>][] = [
    [48, 1, { sigma: 1.5 }],
    [48, 2, { sigma: 1.5 }],
    [64, 4, { sigma: 1 }],
    [48, 2, { sigma: 2, loss: "adaptive-wing" }],
    [48, 2, { sigma: 2, scaling: "unit" }],
  ];
  for (const [size, stride, options] of table) {
    const { batch, preds, samples, task } = await roundTrip(size, stride, options);
    assert.deepEqual(batch.targets[0].shape, [3, size / stride, size / stride, 4]);
    preds.forEach((p, i) => {
      const err = maxError(p.landmarks, samples[i].landmarks);
      assert.ok(
        err < 0.1,
        `S=${size} s=${stride} ${JSON.stringify(options)} sample ${i}: ${err} px`,
      );
      assert.ok(isCanonical(p.landmarks));
      // A perfect target has full confidence.
      p.confidence.forEach((c) => assert.ok(Math.abs(c - 1) < 1e-3, `confidence ${c}`));
    });
    assert.equal(task.scaling, options.scaling === "unit" || options.loss ? "unit" : "payer");
    tf.dispose([batch.inputs, ...batch.targets]);
  }
});

Deno.test("payer-scaled targets peak at γ/(2πσ²); l2 loss is the mean squared difference", async () => {
  const { batch, task } = await roundTrip(48, 2, { sigma: 2, gamma: 500 });
  const max = batch.targets[0].max().dataSync()[0];
  // The peak is sampled at a pixel centre, within half a pixel of the true centre: ≤ the analytic peak.
  const peak = targetPeak(2, "payer", 500);
  assert.ok(Math.abs(peak - 500 / (8 * Math.PI)) < 1e-9);
  assert.ok(
    max <= peak + 1e-4 && max > peak * Math.exp(-0.5 / 8) - 1e-4,
    `max ${max} peak ${peak}`,
  );
  const shifted = tf.add(batch.targets[0], 0.5);
  assert.ok(task.loss(batch.targets, batch.targets).dataSync()[0] < 1e-12);
  assert.ok(Math.abs(task.loss([shifted], batch.targets).dataSync()[0] - 0.25) < 1e-5);
  assert.deepEqual(Object.keys(task.lossTerms([shifted], batch.targets)), ["l2"]);
  tf.dispose([shifted, batch.inputs, ...batch.targets]);
});

Deno.test("adaptive-wing loss uses the paper's weighted map with awingWeight, none with 0", async () => {
  const shiftedBy = (t: tf.Tensor) => tf.add(t, 0.1);
  const values: number[] = [];
  for (const awingWeight of [10, 0]) {
    const { batch, task } = await roundTrip(48, 2, {
      sigma: 2,
      loss: "adaptive-wing",
      awingWeight,
    });
    const shifted = shiftedBy(batch.targets[0]);
    const got = task.loss([shifted], batch.targets).dataSync()[0];
    const want = adaptiveWing(shifted, batch.targets[0], { foregroundWeight: awingWeight });
    assert.ok(Math.abs(got - want.dataSync()[0]) < 1e-6, `W=${awingWeight}: ${got}`);
    assert.deepEqual(Object.keys(task.lossTerms([shifted], batch.targets)), ["adaptiveWing"]);
    values.push(got);
    tf.dispose([shifted, want, batch.inputs, ...batch.targets]);
  }
  // The peaks' neighbourhoods weigh 11 instead of 1, so the weighted loss is the larger.
  assert.ok(values[0] > values[1] * 1.05, `weighted ${values[0]}, plain ${values[1]}`);
});

Deno.test("windowed and integral soft-argmax decoding also recover the landmarks", async () => {
  // Windowed: the recentred window leaves ~0.01 px of bias. Integral: the whole-map centroid, exact
  // up to the Gaussian's truncation at the map border (negligible for these interior landmarks).
  for (const [decode, tol] of [["softargmax", 0.05], ["integral", 0.05]] as const) {
    const { batch, preds, samples } = await roundTrip(48, 2, { sigma: 1.5, decode });
    preds.forEach((p, i) => {
      const err = maxError(p.landmarks, samples[i].landmarks);
      assert.ok(err < tol, `${decode} sample ${i}: ${err} px`);
    });
    tf.dispose([batch.inputs, ...batch.targets]);
  }
});

Deno.test("decoding re-canonicalises swapped channels and carries each point's confidence along", async () => {
  const { batch, samples, task } = await roundTrip(48, 2, { sigma: 1.5 });
  // Swap OFD1/OFD2 channels and halve the (new) channel 0, i.e. the true OFD2's Gaussian.
  const swapped = tf.tidy(() => {
    const [c0, c1, c2, c3] = tf.split(batch.targets[0], 4, 3);
    return tf.concat([tf.mul(c1, 0.5), c0, c3, c2], 3);
  });
  const preds = await task.decode([swapped], batch.metas);
  preds.forEach((p, i) => {
    assert.ok(maxError(p.landmarks, samples[i].landmarks) < 0.1);
    assert.ok(Math.abs(p.confidence[0] - 1) < 1e-3 && Math.abs(p.confidence[1] - 0.5) < 1e-3);
  });
  tf.dispose([swapped, batch.inputs, ...batch.targets]);
});

Deno.test("axes: perpendicular moves decoded points onto one ellipse's axes; free keeps them as decoded", async () => {
  // Targets drawn at landmarks whose BPD is shifted off the OFD's midpoint by (2.5, −1.5) px.
  const samples = phantomSamples(2, 11, 90, 52).map((s) => ({
    ...s,
    landmarks: s.landmarks.map((p, k) => k >= 2 ? { x: p.x + 2.5, y: p.y - 1.5 } : p) as Landmarks,
  }));
  for (const s of samples) assert.ok(maxError(perpendicularAxes(s.landmarks), s.landmarks) > 1);
  for (const axes of ["free", "perpendicular"] as const) {
    const config = heatmapConfig(48, 1, { sigma: 1.5, axes });
    const task = createTask(config);
    const pipe = evalPipeline(config);
    const batch = await buildBatch(memorySource(samples, pipe), [0, 1], pipe, task);
    const preds = await task.decode(batch.targets, batch.metas);
    preds.forEach((p, i) => {
      const planted = samples[i].landmarks;
      const want = axes === "free" ? planted : perpendicularAxes(planted);
      assert.ok(maxError(p.landmarks, want) < 0.1, `${axes} sample ${i}`);
      assert.ok(isCanonical(p.landmarks));
    });
    tf.dispose([batch.inputs, ...batch.targets]);
  }
});

Deno.test("heatmap metrics: refined beats integer argmax; SDR and HC error from exact targets", async () => {
  const { batch, task } = await roundTrip(48, 4, { sigma: 1 });
  const acc = task.createMetrics();
  await task.decode(batch.targets, batch.metas);
  await acc.add(batch.targets, batch.targets, batch.metas);
  const r = acc.result();
  // Stride 4 at 48 px on ~90 px images: an argmax pixel is ~7.5 original px wide.
  assert.ok(r.mre_argmax_px > 0.5, `argmax MRE ${r.mre_argmax_px}`);
  assert.ok(r.subpixel_gain_px > 0.5 && r.subpixel_gain_px <= r.mre_argmax_px);
  assert.ok(Math.abs(r.sdr2mm - 1) < 1e-12 && r.hc_abs_mm < 1e-3);
  assert.ok(Math.abs(r.confidence - 1) < 1e-3);
  // Without a prior decode the accumulator decodes by itself, with the same result.
  const fresh = task.createMetrics();
  await fresh.add(batch.targets, batch.targets, batch.metas);
  assert.deepEqual(fresh.result(), r);
  tf.dispose([batch.inputs, ...batch.targets]);
});

Deno.test("learnable σ: targets are the points, the loss draws them at the model's σ, decoding reads it", async () => {
  const fixed = await roundTrip(48, 2, { sigma: 1.5 });
  const learn = await roundTrip(48, 2, { sigma: 1.5, sigmaPenalty: 0.01 }, { learnSigma: 1.5 });
  assert.equal(learn.task.learnSigma, true);
  assert.equal(fixed.task.learnSigma, false);
  // The targets are the model-space landmarks.
  assert.deepEqual(learn.batch.targets[0].shape, [3, 4, 2]);
  const points = learn.batch.targets[0].arraySync() as number[][][];
  const rows = fixed.batch.targets[0];
  const sigmaOut = (v: number) => tf.fill([3, 4], v);
  // At the same σ the drawn targets equal the fixed ones: the same loss against any prediction.
  const pred = tf.add(rows, tf.randomUniform(rows.shape, -1, 1, "float32", 5));
  const want = fixed.task.lossTerms([pred], fixed.batch.targets).l2.dataSync()[0];
  const terms = learn.task.lossTerms([pred, sigmaOut(1.5)], learn.batch.targets);
  assert.deepEqual(Object.keys(terms), ["l2", "sigma"]);
  assert.ok(
    Math.abs(terms.l2.dataSync()[0] - want) < 1e-6 * want,
    `${terms.l2.dataSync()} vs ${want}`,
  );
  // Payer's α·Σσ² over the four landmarks.
  assert.ok(Math.abs(terms.sigma.dataSync()[0] - 0.01 * 4 * 2.25) < 1e-6);
  // At another σ the fixed targets no longer fit.
  const wide = learn.task.lossTerms([rows, sigmaOut(3)], learn.batch.targets).l2.dataSync()[0];
  const exact = learn.task.lossTerms([rows, sigmaOut(1.5)], learn.batch.targets).l2.dataSync()[0];
  assert.ok(exact < 1e-9 && wide > 1e-3, `exact ${exact}, σ = 3 ${wide}`);
  // Decoding finds the points either way; its confidence is measured against the output's σ: a
  // target of σ 1.5 read against σ 0.75 peaks at a quarter of the reference height and is twice
  // as wide, 1/4 · 1/2 (lib/heatmap/decode.ts).
  for (const [sigma, conf] of [[1.5, 1], [0.75, 0.125]]) {
    const preds = await learn.task.decode([rows, sigmaOut(sigma)], learn.batch.metas);
    preds.forEach((p, i) => {
      assert.ok(maxError(p.landmarks, learn.samples[i].landmarks) < 0.1);
      p.confidence.forEach((c) => assert.ok(Math.abs(c - conf) < 0.02, `σ ${sigma}: ${c}`));
    });
  }
  // Each channel against its own σ: the BPD channels read at 0.75, the OFD ones at 1.5.
  const perChannel = tf.tile(tf.tensor2d([[1.5, 1.5, 0.75, 0.75]]), [3, 1]);
  for (const p of await learn.task.decode([rows, perChannel], learn.batch.metas)) {
    const want = [1, 1, 0.125, 0.125];
    p.confidence.forEach((c, k) => assert.ok(Math.abs(c - want[k]) < 0.02, `channel ${k}: ${c}`));
  }
  perChannel.dispose();
  // Unit targets would pull σ towards 0 (their energy grows with σ): refused.
  for (const options of [{ scaling: "unit" }, { loss: "adaptive-wing" }]) {
    assert.throws(
      () => createTask(heatmapConfig(48, 2, options, { learnSigma: 1.5 })),
      (e: Error) => e instanceof InputError && /needs payer scaling/.test(e.message),
    );
  }
  const acc = learn.task.createMetrics();
  await acc.add([rows, sigmaOut(1.5)], learn.batch.targets, learn.batch.metas);
  const r = acc.result();
  assert.deepEqual([r.sigma_ofd1, r.sigma_ofd2, r.sigma_bpd1, r.sigma_bpd2], [1.5, 1.5, 1.5, 1.5]);
  assert.ok(!("sigma_ofd1" in (await metricsOf(fixed))));
  assert.equal(points.length, 3);
  tf.dispose([pred, rows, ...learn.batch.targets, learn.batch.inputs, fixed.batch.inputs]);
});

async function metricsOf(r: Awaited<ReturnType<typeof roundTrip>>) {
  const acc = r.task.createMetrics();
  await acc.add(r.batch.targets, r.batch.targets, r.batch.metas);
  return acc.result();
}

Deno.test("heatmap options: unknown keys, bad values and incompatible choices are rejected", () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ sigmma: 2 }, /unknown taskOptions key "sigmma"/],
    [{ sigma: 0 }, /sigma must be > 0/],
    [{ sigma: "2" }, /sigma must be a number/],
    [{ loss: "l1" }, /loss must be one of l2, adaptive-wing/],
    [{ decode: "argmax" }, /decode must be one of/],
    [{ awingWeight: -1 }, /awingWeight must be/],
    [{ loss: "adaptive-wing", scaling: "payer" }, /needs targets in \[0, 1\]/],
  ];
  for (const [raw, re] of table) {
    assert.throws(
      () => parseHeatmapOptions(raw),
      (e: Error) => e instanceof InputError && re.test(e.message),
    );
  }
  // The stride must divide the input size; a model without a heatmap output is refused.
  assert.throws(() => createTask(heatmapConfig(50, 4)), InputError);
  assert.throws(
    () =>
      createTask(tinyConfig({ task: "heatmap", model: { name: "unet-r18-w0.5", options: {} } })),
    /has 0 heatmaps outputs/,
  );
});
