import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../lib/training/checkpoint.ts";
import { setWeightValues, WeightEma, weightValues } from "../../lib/training/ema.ts";
import { train } from "../../lib/training/trainer.ts";
import { coordTrainOptions, tinyConfig, weightsOf } from "./helpers.ts";

await tf.setBackend("cpu");

/** One dense layer, 2 → 1: weights [kernel (2 values), bias (1 value)]. */
function dense(): tf.LayersModel {
  const input = tf.input({ shape: [2] });
  const out = tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (got: Float32Array, want: number[]) =>
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `${got[i]} vs ${w} at ${i}`));

Deno.test("EMA update follows d = min(decay, (1 + n) / (10 + n)), hand-computed", async () => {
  const model = dense();
  setWeightValues(model, [f32(1, 2), f32(0)]);
  const ema = new WeightEma(model, 0.5);
  // n = 0: d = min(0.5, 1/10) = 0.1 → 0.1·1 + 0.9·3 = 2.8, 0.1·2 + 0.9·(−2) = −1.6, 0.9·4 = 3.6
  setWeightValues(model, [f32(3, -2), f32(4)]);
  ema.update();
  // n = 1: d = min(0.5, 2/11) = 2/11 → (2/11)·2.8 + (9/11)·5 = 4.6, (2/11)(−1.6) = −0.290909…, …
  setWeightValues(model, [f32(5, 0), f32(4)]);
  ema.update();
  assert.equal(ema.updates, 2);
  const tensors = tf.memory().numTensors;
  const seen = await ema.withAverage(() => Promise.resolve(weightValues(model)));
  close(seen[0], [2 / 11 * 2.8 + 9 / 11 * 5, 2 / 11 * -1.6]);
  close(seen[1], [2 / 11 * 3.6 + 9 / 11 * 4]);
  // withAverage puts the training weights back, even when fn throws.
  close(weightValues(model)[0], [5, 0]);
  await assert.rejects(ema.withAverage(() => Promise.reject(new Error("boom"))), /boom/);
  close(weightValues(model)[0], [5, 0]);
  assert.equal(tf.memory().numTensors, tensors, "withAverage leaks no tensor");
  // n = 9: d = min(0.5, 10/19) = 0.5, the cap takes over.
  ema.setState({ updates: 9, shadow: seen });
  setWeightValues(model, [f32(0, 0), f32(0)]);
  ema.update();
  const capped = await ema.withAverage(() => Promise.resolve(weightValues(model)));
  close(capped[0], [0.5 * seen[0][0], 0.5 * seen[0][1]]);
  assert.throws(() => new WeightEma(model, 1), /decay must be in \(0, 1\)/);
  assert.throws(() => ema.setState({ updates: 0, shadow: [f32(1)] }), /1 tensors, the model 2/);
  model.dispose();
});

const config = tinyConfig({ ema: { decay: 0.8 } });
const options = coordTrainOptions(config);

Deno.test("with EMA: validation and checkpoints use the average, and resume is bit-exact", async () => {
  const dir = await Deno.makeTempDir();
  const ref = options({ checkpointDir: join(dir, "ref") });
  const refResult = await train(ref);
  const trained = await weightsOf(ref.model);
  const average = await weightsOf(await loadModel(join(dir, "ref", "last")));
  assert.notDeepEqual(average[0], trained[0], "the checkpoint's model holds the average");
  // The plain run differs in its validation numbers: they are computed on other weights.
  const plain = await train(options({ config: { ...config, ema: { decay: 0 } } }));
  assert.deepEqual(await weightsOf(ref.model), trained);
  assert.notEqual(plain.history[2].val_loss, refResult.history[2].val_loss);
  assert.equal(plain.history[2].train_loss, refResult.history[2].train_loss);

  const ac = new AbortController();
  const cut = options({
    checkpointDir: join(dir, "cut"),
    signal: ac.signal,
    onStep: (s) => s.globalStep === 4 && ac.abort(),
  });
  assert.equal((await train(cut)).interrupted, true);
  const resumed = options({
    checkpointDir: join(dir, "cut"),
    resumeFrom: join(dir, "cut", "last"),
  });
  const second = await train(resumed);
  assert.deepEqual(await weightsOf(resumed.model), trained);
  assert.deepEqual(await weightsOf(await loadModel(join(dir, "cut", "last"))), average);
  assert.deepEqual(
    second.history.map((r) => r.val_loss),
    refResult.history.map((r) => r.val_loss),
  );
  // A resumed run cannot switch averaging off.
  await assert.rejects(
    train(
      options({ config: { ...config, ema: { decay: 0 } }, resumeFrom: join(dir, "cut", "last") }),
    ),
    /holds a weight average but the config has ema off/,
  );
  await Deno.remove(dir, { recursive: true });
});
