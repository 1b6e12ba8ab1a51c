import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { AtrousConv2D, DropConnect, ResizeTo, SeededDropout, Swish } from "../../lib/models/mod.ts";
import { Rng } from "../../lib/core/rng.ts";

await tf.setBackend("cpu");

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  msg = "",
) {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${msg} [${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

Deno.test("ResizeTo bilinear aligns corners: hand-computed values", () => {
  const layer = new ResizeTo({ height: 1, width: 3 });
  // [0, 2] on 1×2 → corners kept, middle interpolated
  const y = layer.apply(tf.tensor4d([0, 2], [1, 1, 2, 1])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [0, 1, 2]);
  // 2×2 → 3×3: centre is the mean of the four, edges the mean of two
  const z = new ResizeTo({ height: 3, width: 3 }).apply(
    tf.tensor4d([0, 4, 8, 12], [1, 2, 2, 1]),
  ) as tf.Tensor;
  assert.deepEqual(Array.from(z.dataSync()), [0, 2, 4, 4, 6, 8, 8, 10, 12]);
  // odd downsizing 5 → 3 with aligned corners samples 0, 2, 4 exactly
  const d = new ResizeTo({ height: 1, width: 3 }).apply(
    tf.tensor4d([10, 11, 12, 13, 14], [1, 1, 5, 1]),
  ) as tf.Tensor;
  assert.deepEqual(Array.from(d.dataSync()), [10, 12, 14]);
});

Deno.test("ResizeTo nearest and identity size", () => {
  const y = new ResizeTo({ height: 1, width: 4, method: "nearest" })
    .apply(tf.tensor4d([1, 2], [1, 1, 2, 1])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [1, 1, 2, 2]);
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  assert.deepEqual(
    Array.from((new ResizeTo({ height: 2, width: 2 }).apply(x) as tf.Tensor).dataSync()),
    [1, 2, 3, 4],
  );
  assert.throws(() => new ResizeTo({ height: 0, width: 2 }), RangeError);
});

/** Direct 'same' dilated convolution, independent of tfjs (NHWC input, HWIO kernel). */
function naiveDilatedConv(
  x: Float32Array,
  [n, h, w, c]: number[],
  k: Float32Array,
  [kh, kw, , f]: number[],
  r: number,
): Float32Array {
  const out = new Float32Array(n * h * w * f);
  const ph = ((kh - 1) * r) / 2, pw = ((kw - 1) * r) / 2;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let o = 0; o < f; o++) {
          let s = 0;
          for (let u = 0; u < kh; u++) {
            for (let v = 0; v < kw; v++) {
              const yi = i + u * r - ph, xj = j + v * r - pw;
              if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
              for (let ci = 0; ci < c; ci++) {
                s += x[((b * h + yi) * w + xj) * c + ci] * k[((u * kw + v) * c + ci) * f + o];
              }
            }
          }
          out[((b * h + i) * w + j) * f + o] = s;
        }
      }
    }
  }
  return out;
}

for (const rate of [1, 2, 3]) {
  Deno.test(`AtrousConv2D rate ${rate}: matches a direct dilated convolution on an odd-sized input`, () => {
    const shape = [2, 7, 5, 3];
    const xData = randomArray(2 * 7 * 5 * 3, rate);
    const layer = new AtrousConv2D({
      filters: 4,
      kernelSize: 3,
      dilationRate: rate,
      useBias: true,
    });
    const x = tf.tensor4d(xData, shape as [number, number, number, number]);
    layer.apply(x);
    const kData = randomArray(3 * 3 * 3 * 4, 10 + rate);
    layer.setWeights([tf.tensor4d(kData, [3, 3, 3, 4]), tf.tensor1d([0.5, -1, 0, 2])]);
    const expected = naiveDilatedConv(xData, shape, kData, [3, 3, 3, 4], rate).map((v, i) =>
      v + [0.5, -1, 0, 2][i % 4]
    );
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 7, 5, 4]);
    assertAllClose(y.dataSync(), expected, 1e-4);
  });
}

Deno.test("AtrousConv2D gradients equal those of the equivalent zero-inserted dense kernel", () => {
  const r = 2;
  const x = tf.tensor4d(randomArray(1 * 6 * 7 * 2, 3), [1, 6, 7, 2]);
  const k = tf.tensor4d(randomArray(3 * 3 * 2 * 3, 4), [3, 3, 2, 3]);
  const layer = new AtrousConv2D({ filters: 3, kernelSize: 3, dilationRate: r });
  layer.apply(x);
  layer.setWeights([k]);
  const target = tf.tensor4d(randomArray(6 * 7 * 3, 5), [1, 6, 7, 3]);
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, target)) as tf.Scalar;
  const forward = (xi: tf.Tensor) => loss(layer.apply(xi, { training: true }) as tf.Tensor);
  const gxAtrous = tf.grad(forward)(x);
  const kernelVar = layer.trainableWeights[0].read() as tf.Variable;
  const gkAtrous = tf.variableGrads(() => forward(x), [kernelVar]).grads[kernelVar.name];
  // Reference: a 5×5 ordinary conv whose kernel has the 3×3 taps at even offsets, zeros between.
  const bigK = tf.buffer([5, 5, 2, 3]);
  const kv = k.arraySync();
  for (let u = 0; u < 3; u++) {
    for (let v = 0; v < 3; v++) {
      for (let c = 0; c < 2; c++) {
        for (let o = 0; o < 3; o++) bigK.set(kv[u][v][c][o], u * r, v * r, c, o);
      }
    }
  }
  const [gxRef, gBig] = tf.grads((xi: tf.Tensor, ki: tf.Tensor) =>
    loss(tf.conv2d(xi as tf.Tensor4D, ki as tf.Tensor4D, 1, "same"))
  )([x, bigK.toTensor()]);
  assertAllClose(gxAtrous.dataSync(), gxRef.dataSync(), 1e-4, "dx");
  const gBigTaps = tf.stridedSlice(gBig, [0, 0, 0, 0], [5, 5, 2, 3], [r, r, 1, 1]);
  assertAllClose(gkAtrous.dataSync(), gBigTaps.dataSync(), 1e-4, "dk");
});

Deno.test("DropConnect: identity at inference, per-sample drop and 1/keep rescale in training", () => {
  const layer = new DropConnect({ rate: 0.5, seed: 7 });
  const x = tf.add(tf.ones([64, 2, 3, 2]), tf.range(0, 12).reshape([1, 2, 3, 2]));
  const xs = x.arraySync() as number[][][][];
  assert.deepEqual((layer.apply(x) as tf.Tensor).arraySync(), xs);
  assert.deepEqual((layer.apply(x, { training: false }) as tf.Tensor).arraySync(), xs);
  const y = (layer.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][][][];
  let dropped = 0;
  y.forEach((sample, b) => {
    const flat = sample.flat(2), ref = xs[b].flat(2);
    const isDropped = flat.every((v) => v === 0);
    const isKept = flat.every((v, i) => Math.abs(v - 2 * ref[i]) < 1e-6);
    assert.ok(isDropped || isKept, `sample ${b} neither dropped nor rescaled`);
    if (isDropped) dropped++;
  });
  // Binomial(64, 0.5): 6σ ≈ 24 either side of 32
  assert.ok(dropped > 8 && dropped < 56, `dropped ${dropped} of 64`);
  // a fresh draw per call, and the same sequence for the same seed
  const y2 = (layer.apply(x, { training: true }) as tf.Tensor).arraySync();
  assert.notDeepEqual(y2, y);
  const again = new DropConnect({ rate: 0.5, seed: 7 });
  assert.deepEqual((again.apply(x, { training: true }) as tf.Tensor).arraySync(), y);
  assert.throws(() => new DropConnect({ rate: 1 }), RangeError);
});

Deno.test("SeededDropout: identity at inference, a fresh element mask per training call, reproducible", () => {
  const x = tf.ones([4, 50, 50]);
  const layer = new SeededDropout({ rate: 0.3, seed: 1 });
  assert.deepEqual(Array.from((layer.apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
  const a = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
  const b = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
  const keep = 1 / 0.7;
  assert.ok(a.every((v) => v === 0 || Math.abs(v - keep) < 1e-5));
  // 10,000 Bernoulli(0.7) draws: the kept share is within 5σ (0.023) of 0.7
  const kept = a.filter((v) => v !== 0).length / a.length;
  assert.ok(Math.abs(kept - 0.7) < 0.023, `kept ${kept}`);
  assert.notDeepEqual(Array.from(b), Array.from(a));
  const again =
    (new SeededDropout({ rate: 0.3, seed: 1 }).apply(x, { training: true }) as tf.Tensor)
      .dataSync();
  assert.deepEqual(Array.from(again), Array.from(a));
});

Deno.test("Swish: x·σ(x) and the gradient of tfjs' autodiff, hand-checked at 0", () => {
  const x = tf.tensor1d([-6, -1.5, -0.2, 0, 0.3, 2, 7]);
  const layer = new Swish({});
  const reference = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
  assertAllClose((layer.apply(x) as tf.Tensor).dataSync(), reference(x).dataSync(), 1e-6);
  const dy = tf.tensor1d([1, -2, 0.5, 1, 3, -1, 0.25]);
  const ours = tf.grad((t: tf.Tensor) => layer.apply(t) as tf.Tensor)(x, dy).dataSync();
  assertAllClose(ours, tf.grad(reference)(x, dy).dataSync(), 1e-6);
  // d/dx x·σ(x) at 0 = σ(0) = 1/2, times dy = 1
  assert.ok(Math.abs(ours[3] - 0.5) < 1e-7);
});
