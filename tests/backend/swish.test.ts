/**
 * Swish runs as one kernel each way on cpu-dnnl, both through lib/backend/swish.ts and through
 * tf.layers' "swish" activation (replaced by name), and stays tfjs's composition elsewhere.
 * Values against tfjs's cpu are in kernels.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { swish, SWISH_GRAD_KERNEL, SWISH_KERNEL } from "../../lib/backend/swish.ts";
import { Swish } from "../../lib/models/mod.ts";
import { backendUnderTest } from "./helpers.ts";

const { name: backend } = await backendUnderTest();
const native = tf.getKernel(SWISH_KERNEL, backend) !== undefined;

async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => {
    f().dataSync();
  });
  return info.kernels.map((k) => k.name);
}

const x = tf.randomNormal([2, 6, 5, 3], 0, 2, "float32", 3);
const PATHS: [string, (t: tf.Tensor) => tf.Tensor][] = [
  ["swish()", swish],
  ["the Swish layer", (t) => new Swish({}).apply(t) as tf.Tensor],
  [
    "tf.layers.activation swish",
    (t) => tf.layers.activation({ activation: "swish" }).apply(t) as tf.Tensor,
  ],
];

for (const [name, f] of PATHS) {
  Deno.test(`${backend}: ${name} forward and gradient kernels`, async () => {
    const forward = await kernelsOf(() => f(x));
    const backward = await kernelsOf(() => tf.grad(f)(x));
    if (native) {
      assert.deepEqual(forward, [SWISH_KERNEL]);
      assert.ok(backward.includes(SWISH_GRAD_KERNEL), backward.join(","));
      assert.ok(!backward.includes("Sigmoid"), backward.join(","));
    } else {
      assert.ok(forward.includes("Sigmoid") && forward.includes("Multiply"), forward.join(","));
    }
  });
}

Deno.test(`${backend}: a model with tf.layers swish still saves and loads as "swish"`, async () => {
  const input = tf.input({ shape: [4] });
  const out = tf.layers.dense({ units: 3, activation: "swish" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const json = JSON.stringify(model.toJSON(null, false));
  assert.match(json, /"activation":"swish"/);
  const again = await tf.models.modelFromJSON(JSON.parse(json));
  again.setWeights(model.getWeights());
  const v = tf.randomNormal([2, 4], 0, 1, "float32", 5);
  assert.deepEqual(
    (again.predict(v) as tf.Tensor).dataSync(),
    (model.predict(v) as tf.Tensor).dataSync(),
  );
});
