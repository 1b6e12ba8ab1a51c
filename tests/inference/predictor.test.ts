import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Landmarks } from "../../lib/core/types.ts";
import { canonicalize, isCanonical } from "../../lib/data/landmark_order.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { landmarksToEllipse } from "../../lib/geometry/ellipse.ts";
import { measuresFromLandmarks } from "../../lib/geometry/measures.ts";
import { aggregateVariants } from "../../lib/inference/uncertainty.ts";
import { hadlockGaFromHc } from "../../lib/metrics/clinical.ts";
import { locateModel } from "../../lib/inference/model_dir.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { loadModel } from "../../lib/training/checkpoint.ts";
import { memorySource } from "../../lib/training/data.ts";
import { evaluate } from "../../lib/training/evaluate.ts";
import { createTaskAdapter } from "../../lib/training/tasks/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { removeAfterAll } from "../temp_dir.ts";
import { tinyRun } from "./helpers.ts";

const run = await tinyRun();
removeAfterAll(run.root);
const { checkpointDir, config } = run.outcome;

const phantom = (seed: number, width: number, height: number) => {
  const p = generatePhantom(seed, { width, height });
  return {
    id: `p${seed}.png`,
    image: p.image,
    landmarks: p.landmarks,
    pixelSizeMm: p.pixelSizeMm,
    group: `${seed}`,
  };
};

Deno.test("locateModel: run folder, best/ and last/ all find the run's config in results/", async () => {
  const expectConfig = join(run.root, "results", "runs", "tiny", "config.json");
  for (const spec of [checkpointDir, join(checkpointDir, "best"), join(checkpointDir, "last")]) {
    const where = await locateModel(spec);
    assert.equal(where.configPath, expectConfig, spec);
  }
  assert.equal((await locateModel(checkpointDir)).weightsDir, join(checkpointDir, "best"));
  await assert.rejects(locateModel(run.root), /not a model/);
  await assert.rejects(locateModel("heatmap-does-not-exist"), /not a model/);
});

Deno.test("predictor equals the training evaluation on the same images (original pixels)", async () => {
  const samples = [phantom(1, 77, 53), phantom(2, 40, 90), phantom(3, 64, 64)];
  const predictor = await Predictor.load(checkpointDir);
  try {
    const preds = await predictor.predict(
      samples.map((s) => ({ id: s.id, image: s.image, pixelSizeMm: s.pixelSizeMm })),
    );
    // Independent path: the trainer's validation pass over the same samples and best weights.
    const model = await loadModel(join(checkpointDir, "best"));
    const ev = await evaluate(model, memorySource(samples, evalPipeline(config)), {
      task: await createTaskAdapter(config),
      pipeline: evalPipeline(config),
      batchSize: 2,
    });
    model.dispose();
    preds.forEach((p, i) => {
      assert.equal(p.id, samples[i].id);
      assert.equal(p.width, samples[i].image.width);
      assert.ok(isCanonical(p.landmarks));
      const expected = canonicalize(ev.predictions[i].landmarks);
      p.landmarks.forEach((q, k) => {
        assert.ok(Math.abs(q.x - expected[k].x) < 1e-3, `x ${i} ${k}: ${q.x} vs ${expected[k].x}`);
        assert.ok(Math.abs(q.y - expected[k].y) < 1e-3, `y ${i} ${k}: ${q.y} vs ${expected[k].y}`);
      });
      assert.deepEqual(p.ellipse, landmarksToEllipse(p.landmarks));
      const m = measuresFromLandmarks(p.landmarks, samples[i].pixelSizeMm!);
      assert.equal(p.measures!.hcMm, m.hcMm);
      assert.equal(p.measures!.gaWeeks, hadlockGaFromHc(m.hcMm));
      assert.equal(p.confidence, null); // coordinate regression without TTA has no confidence
    });
  } finally {
    predictor.dispose();
  }
});

Deno.test("batching does not change results; no pixel size → no measures", async () => {
  const samples = [phantom(4, 50, 30), phantom(5, 33, 70), phantom(6, 48, 48)];
  const inputs = samples.map((s) => ({ id: s.id, image: s.image }));
  const one = await Predictor.load(checkpointDir, { batchSize: 1 });
  const three = await Predictor.load(checkpointDir, { batchSize: 3 });
  try {
    const a = await one.predict(inputs), b = await three.predict(inputs);
    a.forEach((p, i) => {
      assert.equal(p.measures, undefined);
      p.landmarks.forEach((q, k) => {
        assert.ok(Math.abs(q.x - b[i].landmarks[k].x) < 1e-4);
        assert.ok(Math.abs(q.y - b[i].landmarks[k].y) < 1e-4);
      });
    });
  } finally {
    one.dispose();
    three.dispose();
  }
});

Deno.test("TTA: identity variant equals the plain prediction; result is the variants' aggregate", async () => {
  const s = phantom(7, 70, 50);
  const predictor = await Predictor.load(checkpointDir);
  try {
    const [plain] = await predictor.predict([{ id: s.id, image: s.image }]);
    const [tta] = await predictor.predict([{ id: s.id, image: s.image, pixelSizeMm: 0.2 }], {
      tta: true,
    });
    assert.equal(tta.variants!.length, 4);
    tta.variants![0].forEach((q, k) => {
      const r = plain.landmarks.find((p) =>
        Math.abs(p.x - q.x) < 1e-4 && Math.abs(p.y - q.y) < 1e-4
      );
      assert.ok(r, `identity variant landmark ${k}`);
    });
    const agg = aggregateVariants(tta.variants as Landmarks[]);
    assert.deepEqual(tta.landmarks, agg.landmarks);
    assert.equal(tta.dispersionPx, agg.dispersion);
    assert.ok(Math.abs(tta.dispersionMm! - agg.dispersion * 0.2) < 1e-12);
    assert.ok(tta.confidence! > 0 && tta.confidence! <= 1);
  } finally {
    predictor.dispose();
  }
});

Deno.test("the run config travels with the checkpoint: Predictor.fromDir with an explicit config", async () => {
  const p = await Predictor.fromDir(join(checkpointDir, "best"), config);
  try {
    assert.equal(p.inputSize, 32);
    assert.equal(p.family, "coord");
    assert.ok(p.countParams() > 0);
    const out = p.model.predict(tf.zeros([1, 32, 32, 1])) as tf.Tensor;
    assert.deepEqual(out.shape, [1, 8]);
    out.dispose();
  } finally {
    p.dispose();
  }
});

Deno.test("prediction leaves no tensors behind; dispose frees the weights", async () => {
  const s = phantom(8, 60, 40);
  const before = tf.memory().numTensors;
  const p = await Predictor.load(checkpointDir);
  const loaded = tf.memory().numTensors;
  await p.predict([{ id: s.id, image: s.image }]);
  await p.predict([{ id: s.id, image: s.image }], { tta: true });
  assert.equal(tf.memory().numTensors, loaded);
  p.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("multitask: the ellipse and plausibility belong to the head that gives the landmarks", async () => {
  await using mt = await tinyRun("multitask/quick");
  const image = phantom(7, 64, 48);
  for (const decodeFrom of ["landmarks", "mask"] as const) {
    const cfg = {
      ...mt.outcome.config,
      taskOptions: { ...mt.outcome.config.taskOptions, decodeFrom },
    };
    const p = await Predictor.fromDir(join(mt.outcome.checkpointDir, "best"), cfg);
    try {
      const [pred] = await p.predict([image]);
      const axes = landmarksToEllipse(pred.landmarks);
      if (decodeFrom === "landmarks") {
        // The heatmap head's points: their own ellipse, and no mask verdict about them.
        assert.deepEqual(pred.ellipse, axes);
        assert.equal(pred.plausible, undefined);
      } else {
        // The mask's points are its fitted ellipse's axis ends (or, with no fit, the ellipse is
        // drawn through them), and the validator's verdict comes along, passed or not.
        assert.equal(typeof pred.plausible, "boolean");
        for (const k of ["cx", "cy", "a", "b"] as const) {
          assert.ok(Math.abs(pred.ellipse[k] - axes[k]) < 1e-6, `${k}`);
        }
      }
    } finally {
      p.dispose();
    }
  }
});

Deno.test("learnable σ end to end: σ trains with the weights, is logged, and the saved model predicts", async () => {
  await using learn = await tinyRun("heatmap/quick", {
    model: { name: "heatmap-unet-r18-w0.25", options: { outputStride: 2, learnSigma: 2 } },
    taskOptions: { sigma: 2, sigmaPenalty: 1e-3 },
    stepsPerEpoch: 3,
    optimizer: { ...config.optimizer, lr: 0.05 },
  });
  const [record] = learn.outcome.training.history;
  const sigma = ["sigma_ofd1", "sigma_ofd2", "sigma_bpd1", "sigma_bpd2"].map((k) =>
    record[`val_${k}`]
  );
  // Three AdamW steps at lr 0.05 move log σ by about 0.15 each (AdamW's first steps are ±lr).
  sigma.forEach((s, k) => assert.ok(Number.isFinite(s) && Math.abs(s - 2) > 0.05, `σ${k} ${s}`));
  const model = await loadModel(join(learn.outcome.checkpointDir, "best"));
  const [, saved] = model.predict(tf.zeros([1, 32, 32, 1])) as tf.Tensor[];
  Array.from(saved.dataSync()).forEach((v, k) =>
    assert.ok(Math.abs(v - sigma[k]) < 1e-4, `saved σ${k} ${v} vs logged ${sigma[k]}`)
  );
  const predictor = await Predictor.load(learn.outcome.checkpointDir);
  try {
    const [p] = await predictor.predict([phantom(3, 70, 50)]);
    assert.ok(p.landmarks.every((q) => Number.isFinite(q.x) && Number.isFinite(q.y)));
  } finally {
    predictor.dispose();
    model.dispose();
    saved.dispose();
  }
});
