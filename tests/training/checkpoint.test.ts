import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import { AdamW } from "../../lib/training/adamw.ts";
import {
  loadCheckpoint,
  loadWeightsInto,
  readCheckpointState,
  saveCheckpoint,
} from "../../lib/training/checkpoint.ts";
import { tinyConfig, tinyCoordModel, weightsOf } from "./helpers.ts";

await tf.setBackend("cpu");
const OPT = tinyConfig().optimizer;

function optimiserFor(model: tf.LayersModel): AdamW {
  return new AdamW(model.trainableWeights.map((w) => w.read() as tf.Variable), OPT);
}

Deno.test("checkpoint round trip: weights, moments and state; replacing it leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  const a = tinyCoordModel(16, 1);
  const optA = optimiserFor(a);
  tf.tidy(() => optA.apply(optA.variables.map((v) => tf.onesLike(v))));
  await saveCheckpoint(join(dir, "last"), a, optA, { epoch: 1 });
  tf.tidy(() => optA.apply(optA.variables.map((v) => tf.onesLike(v).mul(0.5))));
  await saveCheckpoint(join(dir, "last"), a, optA, { epoch: 2 }); // replaces the first
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["last"]);
  assert.deepEqual(
    [...Deno.readDirSync(join(dir, "last"))].map((e) => e.name).sort(),
    ["model.json", "optimizer.bin", "state.json", "weights.bin"],
  );

  const b = tinyCoordModel(16, 2); // other initial weights, same architecture
  const optB = optimiserFor(b);
  assert.deepEqual(await loadCheckpoint(join(dir, "last"), b, optB), { epoch: 2 });
  assert.deepEqual(await weightsOf(b), await weightsOf(a));
  const [sa, sb] = [await optA.getState(), await optB.getState()];
  assert.equal(sb.step, 2);
  assert.deepEqual(sb.m, sa.m);
  assert.deepEqual(sb.v, sa.v);
  assert.deepEqual(await readCheckpointState(join(dir, "last")), { epoch: 2 });
  for (const x of [optA, optB]) x.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loading into a different architecture fails with an InputError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const a = tinyCoordModel(16, 1);
  const opt = optimiserFor(a);
  await saveCheckpoint(dir, a, opt, {});
  const other = tinyCoordModel(16, 1, false); // no BatchNorm: fewer weight tensors
  await assert.rejects(
    loadWeightsInto(dir, other),
    (e: Error) =>
      e instanceof InputError && /weight tensors/.test(e.message) && e.message.includes(dir),
  );
  const wider = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 8 })] });
  await assert.rejects(loadWeightsInto(dir, wider), InputError);
  await assert.rejects(loadWeightsInto(join(dir, "missing"), a), /cannot read checkpoint/);
  opt.dispose();
  await Deno.remove(dir, { recursive: true });
});
