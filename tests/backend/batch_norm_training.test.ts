/**
 * Batch norm with batch statistics as one kernel each way (lib/backend/batch_norm_training.ts) and
 * the `BatchNorm` layer that uses it, against tfjs's own composition (tf.moments + tf.batchNorm,
 * tf.layers' BatchNormalization) on tfjs's cpu backend.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import {
  batchNormTraining,
  BN_TRAIN_GRAD_KERNEL,
  BN_TRAIN_KERNEL,
} from "../../lib/backend/batch_norm_training.ts";
import { BatchNorm } from "../../lib/models/mod.ts";
import { backendUnderTest, evaluate, randomArray, relativeError, sizeOf } from "./helpers.ts";

const { name: backend } = await backendUnderTest();
const native = tf.getKernel(BN_TRAIN_KERNEL, backend) !== undefined;

Deno.test(`${backend}: the fused kernels are there exactly on cpu-dnnl`, () => {
  assert.equal(native, backend === "cpu-dnnl");
  assert.equal(tf.getKernel(BN_TRAIN_GRAD_KERNEL, backend) !== undefined, native);
});
const EPS = 1e-3;
const TOLERANCE = 1e-4;

/** tf.layers' training path: tf.moments over all but the last axis, then tf.batchNorm. */
function composed(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return { y: tf.batchNorm(x, mean, variance, offset, scale, EPS), mean, variance };
}

/** The kernel where the backend has it (asserted, so a silent fallback fails), else tfjs's ops. */
function fused(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) {
  const r = batchNormTraining(x, scale, offset, EPS);
  assert.equal(r !== undefined, native, "batchNormTraining ran its kernel");
  return r ?? composed(x, scale, offset);
}

type Bn = typeof composed;
const OUTPUTS: [string, (bn: Bn) => (x: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.Tensor][] = [
  ["y", (bn) => (x, s, o) => bn(x, s, o).y],
  // The loss also reads μ and σ², so gradient reaches x through them as outputs.
  ["y, μ and σ²", (bn) => (x, s, o) => {
    const r = bn(x, s, o);
    return tf.concat([r.y.flatten(), r.mean, r.variance]);
  }],
];

for (const shape of [[2, 5, 4, 3], [7, 6], [1, 3, 2, 9]]) {
  for (const [what, f] of OUTPUTS) {
    Deno.test(`${backend} vs cpu: batch-statistics norm ${shape.join("×")}, loss on ${what}`, async () => {
      const rng = new Rng(sizeOf(shape));
      const c = shape[shape.length - 1];
      // An offset mean and a large spread, so a wrong μ or σ² shows.
      const x = randomArray(sizeOf(shape), rng, 3).map((v, i) => v + (i % c) - 1);
      const inputs = [
        { values: x, shape },
        { values: randomArray(c, rng).map((v) => 1 + 0.3 * v), shape: [c] },
        { values: randomArray(c, rng), shape: [c] },
      ];
      const got = await evaluate(backend, f(fused), inputs, [0, 1, 2], 5);
      const want = await evaluate("cpu", f(composed), inputs, [0, 1, 2], 5);
      assert.ok(
        relativeError(got.out, want.out) <= TOLERANCE,
        `forward ${relativeError(got.out, want.out)}`,
      );
      got.grads.forEach((g, i) => {
        const err = relativeError(g, want.grads[i]);
        assert.ok(err <= TOLERANCE, `gradient of input ${i}: relative error ${err}`);
      });
    });
  }
}

Deno.test(`${backend}: batchNormTraining declines what its kernel does not cover`, () => {
  tf.tidy(() => {
    const c = tf.ones([3]);
    assert.equal(batchNormTraining(tf.ones([2, 2, 3]), c, c, EPS), undefined, "rank 3");
    assert.equal(batchNormTraining(tf.ones([2, 3]), tf.ones([2]), c, EPS), undefined, "γ length");
    assert.equal(batchNormTraining(tf.ones([2, 3], "int32"), c, c, EPS), undefined, "int32");
    if (!native) assert.equal(batchNormTraining(tf.ones([2, 3]), c, c, EPS), undefined, backend);
  });
});

async function kernelsOf(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => {
    f();
  });
  return info.kernels.map((k) => k.name);
}

/** A tfjs BatchNormalization and a BatchNorm with the same (non-trivial) weights. */
function layerPair(inputShape: number[]) {
  const c = inputShape[inputShape.length - 1];
  const args = { epsilon: 1e-5, momentum: 0.9, inputShape: inputShape.slice(1) };
  const theirs = tf.layers.batchNormalization(args);
  const ours = new BatchNorm(args);
  theirs.build(inputShape);
  ours.build(inputShape);
  const rng = new Rng(11);
  const weights = [1, 0, 0.5, 2].map((base) =>
    tf.tensor1d(randomArray(c, rng).map((v) => base + 0.2 * Math.abs(v)))
  );
  theirs.setWeights(weights);
  ours.setWeights(weights);
  return { theirs, ours };
}

Deno.test(`${backend}: the BatchNorm layer trains like tf.layers' batch norm`, async () => {
  const shape = [4, 6, 5, 8];
  const x = tf.tensor(randomArray(sizeOf(shape), new Rng(3), 2), shape);
  // Random weights: a loss like Σ y² is constant in x under batch statistics, its dx only noise.
  const w = tf.tensor(randomArray(sizeOf(shape), new Rng(4)), shape);
  const { theirs, ours } = layerPair(shape);
  const step = (layer: tf.layers.Layer) => {
    const f = (v: tf.Tensor) => (layer.apply(v, { training: true }) as tf.Tensor).mul(w).sum();
    const params = layer.trainableWeights.map((p) => p.read() as tf.Variable); // γ, β
    const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, params);
    return {
      y: (layer.apply(x, { training: true }) as tf.Tensor).dataSync(),
      value: value.dataSync()[0],
      dParams: params.map((p) => grads[p.name].dataSync()),
      dx: tf.grad(f)(x).dataSync(),
    };
  };
  await tf.setBackend("cpu");
  const want = step(theirs);
  await tf.setBackend(backend);
  const got = step(ours);
  const compare = (what: string, a: ArrayLike<number>, b: ArrayLike<number>) => {
    const err = relativeError(a, b);
    assert.ok(err <= TOLERANCE, `${what}: relative error ${err}`);
  };
  compare("y", got.y, want.y);
  compare("loss", [got.value], [want.value]);
  compare("dx", got.dx, want.dx);
  compare("dγ", got.dParams[0], want.dParams[0]);
  compare("dβ", got.dParams[1], want.dParams[1]);
  // Moving statistics after three training calls each, same update rule.
  theirs.getWeights().forEach((w, i) => {
    compare(
      `weight ${i} (${theirs.weights[i].name})`,
      ours.getWeights()[i].dataSync(),
      w.dataSync(),
    );
  });
  // Inference reads the moving statistics through tfjs's own path.
  compare(
    "inference",
    (ours.apply(x) as tf.Tensor).dataSync(),
    (theirs.apply(x) as tf.Tensor).dataSync(),
  );
});

Deno.test(`${backend}: the BatchNorm layer runs one kernel each way in training`, async () => {
  const shape = [2, 4, 4, 3];
  const x = tf.randomNormal(shape, 0, 1, "float32", 2);
  const { ours } = layerPair(shape);
  const forward = await kernelsOf(() => ours.apply(x, { training: true }));
  const backward = await kernelsOf(() =>
    tf.grad((v: tf.Tensor) => (ours.apply(v, { training: true }) as tf.Tensor).sum())(x)
  );
  if (native) {
    assert.ok(forward.includes(BN_TRAIN_KERNEL), forward.join(","));
    for (const k of ["Square", "FusedBatchNorm"]) {
      assert.ok(!forward.includes(k), forward.join(","));
    }
    assert.ok(backward.includes(BN_TRAIN_GRAD_KERNEL), backward.join(","));
  } else {
    assert.ok(forward.includes("FusedBatchNorm"), forward.join(","));
  }
  // Inference never takes the training kernel.
  const infer = await kernelsOf(() => ours.apply(x));
  assert.ok(!infer.includes(BN_TRAIN_KERNEL), infer.join(","));
});

Deno.test(`${backend}: a model with BatchNorm saves as tfjs's "BatchNormalization" and loads into BatchNorm`, async () => {
  const input = tf.input({ shape: [3, 3, 2] });
  const out = new BatchNorm({ name: "bn" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const json = JSON.stringify(model.toJSON(null, false));
  assert.match(json, /"class_name":"BatchNormalization"/);
  const again = await tf.models.modelFromJSON(JSON.parse(json));
  assert.ok(again.getLayer("bn") instanceof BatchNorm);
});
