/**
 * Forward and backward of every op the model families train with, on the backend initBackend
 * picks (cpu-dnnl, or wasm + our gradient kernels when oneDNN is hidden), against tfjs's reference
 * `cpu` backend on small random tensors: odd sizes, stride 2, 'same'/'valid'. Relative error ≤ 1e-4.
 * Dilated convolutions have no tfjs reference gradient; tests/backend/dilated_conv.test.ts checks
 * them against a float64 loop.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { swish } from "../../lib/backend/swish.ts";
import { backendUnderTest, evaluate, randomArray, relativeError, sizeOf } from "./helpers.ts";

const TOLERANCE = 1e-4;

interface Case {
  name: string;
  shapes: number[][];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Inputs to differentiate (default: all). */
  diff?: number[];
  /** Inputs drawn positive (e.g. probabilities, variances). */
  positive?: number[];
}

const t4 = (t: tf.Tensor) => t as tf.Tensor4D;

const CASES: Case[] = [
  // Convolutions: odd sizes, stride 1/2, same/valid, 1×1 and 5×5, fused bias + activation.
  ...([[1, "same"], [2, "same"], [1, "valid"], [2, "valid"]] as const).map(([s, pad]) => ({
    name: `conv2d 3×3 s${s} ${pad}`,
    shapes: [[2, 9, 11, 3], [3, 3, 3, 5]],
    f: (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(t4(x), t4(w), s, pad),
  })),
  {
    name: "conv2d 1×1",
    shapes: [[2, 7, 5, 6], [1, 1, 6, 4]],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 1, "valid"),
  },
  {
    name: "conv2d 5×5 s2 same",
    shapes: [[1, 13, 10, 2], [5, 5, 2, 3]],
    f: (x, w) => tf.conv2d(t4(x), t4(w), 2, "same"),
  },
  {
    name: "fused conv2d + bias (linear, trained through its custom gradient)",
    shapes: [[2, 9, 9, 3], [3, 3, 3, 4], [4]],
    f: (x, w, b) => tf.fused.conv2d({ x: t4(x), filter: t4(w), bias: b, strides: 2, pad: "same" }),
  },
  ...(["relu", "relu6", "elu", "sigmoid"] as const).map((activation) => ({
    name: `fused conv2d + bias + ${activation} (forward kernel)`,
    shapes: [[2, 7, 9, 3], [3, 3, 3, 4], [4]],
    diff: [] as number[],
    f: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.fused.conv2d({ x: t4(x), filter: t4(w), bias: b, strides: 1, pad: "same", activation }),
  })),
  ...([[1, "same"], [2, "same"], [1, "valid"]] as const).map(([s, pad]) => ({
    name: `depthwise 3×3 ×2 s${s} ${pad}`,
    shapes: [[2, 9, 9, 4], [3, 3, 4, 2]],
    f: (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(t4(x), t4(w), s, pad),
  })),
  {
    name: "depthwise 3×3 s2 same, 19 channels (NHWC, not a multiple of the vector width)",
    shapes: [[2, 11, 9, 19], [3, 3, 19, 1]],
    f: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 2, "same"),
  },
  {
    name: "tf.layers depthwise + 1×1 conv (layers pass dilations: null)",
    shapes: [[2, 8, 8, 3]],
    f: (x) => {
      const dw = tf.layers.depthwiseConv2d({
        kernelSize: 3,
        padding: "same",
        depthwiseInitializer: "ones",
      });
      const pw = tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: "ones" });
      return pw.apply(dw.apply(x)) as tf.Tensor;
    },
  },
  {
    name: "conv2dTranspose 2×2 s2 (U-Net up-sampling)",
    shapes: [[2, 5, 4, 6], [2, 2, 3, 6]],
    f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [2, 10, 8, 3], 2, "valid"),
  },
  {
    name: "conv2dTranspose 3×3 s2 same, odd output",
    shapes: [[1, 5, 5, 4], [3, 3, 2, 4]],
    f: (x, w) => tf.conv2dTranspose(t4(x), t4(w), [1, 9, 9, 2], 2, "same"),
  },
  {
    name: "batch norm in training mode (moments + batchNorm, as tf.layers)",
    shapes: [[4, 5, 7, 6], [6], [6]],
    f: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
    },
  },
  {
    name: "batch norm in inference mode",
    shapes: [[2, 3, 5, 4], [4], [4], [4], [4]],
    positive: [2],
    f: (x, mean, variance, beta, gamma) => tf.batchNorm(x, mean, variance, beta, gamma, 1e-3),
  },
  { name: "max pool 2×2 s2", shapes: [[2, 8, 10, 3]], f: (x) => tf.maxPool(t4(x), 2, 2, "valid") },
  {
    name: "max pool 3×3 s2 same, odd",
    shapes: [[2, 9, 7, 3]],
    f: (x) => tf.maxPool(t4(x), 3, 2, "same"),
  },
  {
    name: "avg pool 3×3 s1 same",
    shapes: [[2, 7, 7, 3]],
    f: (x) => tf.avgPool(t4(x), 3, 1, "same"),
  },
  { name: "avg pool 2×2 s2", shapes: [[1, 8, 6, 5]], f: (x) => tf.avgPool(t4(x), 2, 2, "valid") },
  { name: "global average pool", shapes: [[3, 5, 7, 4]], f: (x) => tf.mean(x, [1, 2]) },
  {
    name: "large global average pool, odd sizes, keepDims or not (oneDNN pooling)",
    shapes: [[3, 67, 45, 23]],
    f: (x) => tf.concat([tf.mean(x, [1, 2]).reshape([-1]), tf.mean(x, [2, 1], true).reshape([-1])]),
  },
  { name: "global max pool", shapes: [[3, 5, 7, 4]], f: (x) => tf.max(x, [1, 2]) },
  {
    name: "resize bilinear ×2, square (tfjs's cpu gradient is wrong for non-square and half-pixel)",
    shapes: [[2, 5, 5, 3]],
    f: (x) => tf.image.resizeBilinear(t4(x), [10, 10]),
  },
  {
    name: "resize bilinear align-corners to odd size",
    shapes: [[1, 6, 6, 2]],
    f: (x) => tf.image.resizeBilinear(t4(x), [9, 9], true),
  },
  // tfjs's cpu nearest gradient is wrong for batch > 1; the adjoint tests below cover batches.
  {
    name: "resize nearest ×2, batch 1",
    shapes: [[1, 5, 7, 3]],
    f: (x) => tf.image.resizeNearestNeighbor(t4(x), [10, 14]),
  },
  {
    name: "concat channels",
    shapes: [[2, 5, 5, 3], [2, 5, 5, 4]],
    f: (a, b) => tf.concat([a, b], -1),
  },
  {
    name: "squeeze-excitation multiply + residual add",
    shapes: [[2, 6, 6, 8], [8, 2], [2, 8]],
    f: (x, w1, w2) => {
      const s = tf.mean(x, [1, 2]);
      const e = tf.sigmoid(tf.matMul(tf.relu(tf.matMul(s, w1)), w2)).reshape([2, 1, 1, 8]);
      return tf.add(tf.mul(x, e), x);
    },
  },
  {
    name: "broadcast sub / div",
    shapes: [[2, 3, 4, 5], [5], [2, 1, 1, 5]],
    positive: [2],
    f: (a, b, c) => tf.div(tf.sub(a, b), c),
  },
  // tfjs's Maximum/Minimum gradients do not reduce over broadcast axes, so shapes match here.
  {
    name: "maximum / minimum",
    shapes: [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
    f: (a, b, c) => tf.minimum(tf.maximum(a, b), c),
  },
  {
    name: "large broadcast add / mul / sub / div (oneDNN binary above 65536 elements)",
    shapes: [[2, 64, 64, 16], [16], [2, 1, 1, 16], [2, 64, 64, 16]],
    positive: [2],
    f: (a, b, c, d) => tf.div(tf.sub(tf.mul(tf.add(b, a), c), d), c),
  },
  {
    name: "large sums and means over leading, middle, trailing and no axes (oneDNN reduction)",
    shapes: [[2, 64, 64, 16]],
    f: (x) =>
      tf.concat([
        tf.sum(x, [0, 1, 2]),
        tf.mean(x, [1, 2]).reshape([-1]),
        tf.sum(x, 3).reshape([-1]).slice(0, 16),
        tf.mean(x, [0], true).reshape([-1]).slice(0, 16),
        tf.sum(tf.reshape(x, [1, 2, 64, 64, 16]), [0]).reshape([-1]).slice(0, 16),
      ]),
  },
  { name: "sigmoid", shapes: [[2, 5, 5, 3]], f: (x) => tf.sigmoid(x) },
  { name: "swish", shapes: [[2, 5, 5, 3]], f: (x) => tf.mul(x, tf.sigmoid(x)) },
  {
    name: "swish as tf.layers computes it: sigmoid(x·1)·x",
    shapes: [[2, 5, 5, 3]],
    f: (x) => tf.mul(tf.sigmoid(tf.mul(x, tf.scalar(1))), x),
  },
  ...[[2, 5, 5, 3], [2, 33, 17, 19]].map((shape) => ({
    name: `swish op of lib/backend/swish.ts, ${shape.join("×")}`,
    shapes: [shape],
    f: (x: tf.Tensor) => swish(x),
  })),
  {
    name: "tf.layers swish activation, standalone and fused into a conv layer",
    shapes: [[2, 7, 9, 5]],
    f: (x) => {
      const act = tf.layers.activation({ activation: "swish" }).apply(x) as tf.Tensor;
      const conv = tf.layers.conv2d({
        filters: 3,
        kernelSize: 1,
        activation: "swish",
        kernelInitializer: "ones",
      });
      return conv.apply(act) as tf.Tensor;
    },
  },
  {
    name: "multiply by a scalar one, broadcast to a larger shape",
    shapes: [[3], [2, 3]],
    f: (a, b) => tf.add(tf.mul(a, tf.ones([1, 1])), tf.mul(tf.scalar(1), b)),
  },
  { name: "relu", shapes: [[2, 5, 5, 3]], f: (x) => tf.relu(x) },
  { name: "dropout (seeded)", shapes: [[2, 6, 6, 3]], f: (x) => tf.dropout(x, 0.3, undefined, 11) },
  { name: "softmax", shapes: [[4, 7]], f: (x) => tf.softmax(x) },
  {
    name: "dense (matMul + bias)",
    shapes: [[5, 7], [7, 3], [3]],
    f: (x, w, b) => tf.add(tf.matMul(x, w), b),
  },
  {
    name: "MSE loss",
    shapes: [[2, 6, 6, 4], [2, 6, 6, 4]],
    f: (y, p) => tf.losses.meanSquaredError(y, p),
  },
  {
    name: "L1 loss",
    shapes: [[2, 6, 6, 4], [2, 6, 6, 4]],
    f: (y, p) => tf.losses.absoluteDifference(y, p),
  },
  {
    name: "smooth-L1 loss",
    shapes: [[2, 8], [2, 8]],
    f: (y, p) => tf.losses.huberLoss(y, p, undefined, 1),
  },
  // tfjs casts bool and int32 to float32 without copying (no precision is lost), so a float32
  // tensor can hold a Uint8Array or an Int32Array; a native kernel must not read its bytes as floats.
  {
    name: "maxPool 3×3 s1 same on a bool mask cast to float32",
    shapes: [[2, 7, 9, 3]],
    diff: [],
    f: (x) => tf.maxPool(t4(tf.cast(tf.greaterEqual(x, 0), "float32")), 3, 1, "same"),
  },
  {
    name: "conv2d + sigmoid on int32 values cast to float32",
    shapes: [[2, 7, 9, 3], [3, 3, 3, 4]],
    diff: [1],
    f: (x, w) =>
      tf.sigmoid(
        tf.conv2d(t4(tf.cast(tf.cast(tf.mul(x, 4), "int32"), "float32")), t4(w), 1, "same"),
      ),
  },
  {
    name: "Dice loss on sigmoid logits",
    shapes: [[2, 6, 6, 1], [2, 6, 6, 1]],
    positive: [0],
    f: (y, logits) => {
      const p = tf.sigmoid(logits);
      const inter = tf.sum(tf.mul(p, y));
      return tf.sub(
        1,
        tf.div(tf.add(tf.mul(inter, 2), 1), tf.add(tf.add(tf.sum(p), tf.sum(y)), 1)),
      );
    },
  },
];

const { name: backend } = await backendUnderTest();

for (const [index, c] of CASES.entries()) {
  Deno.test(`${backend} vs cpu: ${c.name}`, async () => {
    const rng = new Rng(1000 + index);
    const inputs = c.shapes.map((shape, i) => {
      const values = randomArray(sizeOf(shape), rng);
      if (c.positive?.includes(i)) values.forEach((v, j) => (values[j] = Math.abs(v) + 0.1));
      return { values, shape };
    });
    const diff = c.diff ?? c.shapes.map((_, i) => i);
    const got = await evaluate(backend, c.f, inputs, diff, 77 + index);
    const want = await evaluate("cpu", c.f, inputs, diff, 77 + index);
    assert.deepEqual(got.outShape, want.outShape);
    const fwd = relativeError(got.out, want.out);
    assert.ok(fwd <= TOLERANCE, `forward relative error ${fwd}`);
    got.grads.forEach((g, i) => {
      const err = relativeError(g, want.grads[i]);
      assert.ok(err <= TOLERANCE, `gradient of input ${diff[i]}: relative error ${err}`);
    });
  });
}

// Tied maxima (ReLU zeros, masks): each window's gradient must go to its first maximum in
// row-major order, as tfjs's cpu kernel sends it; random floats never tie.
// The large shape (above the buffer pool's threshold) runs twice, so that the second dx may be a
// recycled, dirty array: the kernel must write every element of it.
for (
  const [k, s, pad, shape] of [
    [3, 2, "same", [2, 9, 7, 5]],
    [2, 2, "valid", [2, 9, 7, 5]],
    [3, 1, "same", [2, 9, 7, 5]],
    [3, 2, "same", [2, 33, 31, 17]],
  ] as const
) {
  Deno.test(`${backend} vs cpu: max-pool gradient ${k}×${k} s${s} ${pad} ${shape.join("×")} with tied maxima`, async () => {
    const rng = new Rng(31 + k + s);
    const values = Float32Array.from(
      randomArray(sizeOf(shape), rng),
      (v) => Math.max(0, Math.round(v)),
    );
    const f = (x: tf.Tensor) => tf.maxPool(t4(x), k, s, pad);
    const inputs = [{ values, shape: [...shape] }];
    // Dirty the pool with a NaN-filled array of dx's size before the second run.
    await evaluate(backend, (x) => tf.mul(x, NaN), inputs, [], 5);
    await evaluate(backend, f, inputs, [0], 5);
    const got = await evaluate(backend, f, inputs, [0], 5);
    const want = await evaluate("cpu", f, inputs, [0], 5);
    assert.ok(values.filter((v) => v === 0).length > values.length / 3, "inputs should tie often");
    // Overlapping windows add their gradients in another order: equal up to float rounding, and
    // routed to the same elements.
    const routed = (g: Float32Array) => Array.from(g, (v) => v !== 0);
    assert.deepEqual(routed(got.grads[0]), routed(want.grads[0]));
    const err = relativeError(got.grads[0], want.grads[0]);
    assert.ok(err <= 1e-6, `relative error ${err}`);
  });
}

/**
 * Resize is linear in x, so the gradient of Σ resize(x)·w is Jᵀw, whose entry i is
 * Σ resize(eᵢ)·w: an exact reference from cpu forward passes only. (tfjs 4.22's cpu gradients
 * are wrong here: bilinear swaps height and width and ignores half-pixel centres, nearest mixes
 * up batches; wasm's disagree too. Both our backends use js_kernels.ts instead.)
 */
const RESIZES = [[3, 4, 7, 5, false, false], [3, 4, 6, 8, false, true], [
  4,
  3,
  5,
  7,
  true,
  false,
]] as const;
for (
  const [method, [h, w, oh, ow, align, half]] of (["bilinear", "nearest"] as const).flatMap((m) =>
    RESIZES.map((r) => [m, r] as const)
  )
) {
  const mode = `${align ? " align-corners" : ""}${half ? " half-pixel" : ""}`;
  Deno.test(`${backend}: resize ${method} ${h}×${w}→${oh}×${ow}${mode} gradient is the adjoint`, async () => {
    const shape = [2, h, w, 2];
    const n = sizeOf(shape);
    const f = (x: tf.Tensor) =>
      method === "bilinear"
        ? tf.image.resizeBilinear(t4(x), [oh, ow], align, half)
        : tf.image.resizeNearestNeighbor(t4(x), [oh, ow], align, half);
    const x = randomArray(n, new Rng(5));
    const got = await evaluate(backend, f, [{ values: x, shape }], [0], 9);
    const weights = randomArray(2 * oh * ow * 2, new Rng(9));
    const want = new Float32Array(n);
    await tf.setBackend("cpu");
    for (let i = 0; i < n; i++) {
      const basis = new Float32Array(n);
      basis[i] = 1;
      const out = tf.tidy(() => f(tf.tensor(basis, shape)).dataSync());
      want[i] = (out as Float32Array).reduce(
        (s: number, v: number, j: number) => s + v * weights[j],
        0,
      );
    }
    await tf.setBackend(backend);
    const err = relativeError(got.grads[0], want);
    assert.ok(err <= TOLERANCE, `relative error ${err}`);
  });
}

Deno.test("relativeError detects a wrong result", () => {
  assert.ok(relativeError([1, 2, 3], [1, 2, 3.01]) > TOLERANCE);
  assert.equal(relativeError([0, 0], [0, 0]), 0);
  assert.equal(relativeError([NaN], [1]), Infinity);
});
