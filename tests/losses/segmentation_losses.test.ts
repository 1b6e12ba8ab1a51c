import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { bce, dice, diceBce } from "../../lib/losses/mod.ts";
import { InputError } from "../../lib/core/errors.ts";
import { assertClose, value } from "./helpers.ts";

/** [1, 2, 2, 1] tensor from 4 values in row-major order. */
const img = (v: number[]) => tf.tensor4d(v, [1, 2, 2, 1]);
const BIG = 30; // σ(±30) is 0 or 1 to float32 precision

Deno.test("dice: hand-computed soft and hard values", () => {
  // prediction {1,0,0,0}, target {1,1,0,0}: Σpt = 1, Σp + Σt = 3
  const logits = img([BIG, -BIG, -BIG, -BIG]);
  const target = img([1, 1, 0, 0]);
  assertClose(value(() => dice(logits, target)), 1 - 3 / 4); // smooth 1
  assertClose(value(() => dice(logits, target, { smooth: 0 })), 1 - 2 / 3);
  assertClose(value(() => dice(logits, target, { soft: false, smooth: 0 })), 1 - 2 / 3);
  // logits 0 → p = 0.5 everywhere: Σpt = 1, Σp = 2, Σt = 2
  assertClose(value(() => dice(img([0, 0, 0, 0]), target)), 1 - 3 / 5);
  // hard Dice thresholds at logit 0: 0.1 counts as foreground, −0.1 not
  assertClose(
    value(() => dice(img([0.1, -0.1, 0.1, -5]), target, { soft: false, smooth: 0 })),
    1 - 2 / 4,
  );
});

Deno.test("dice: batch mean of per-sample losses", () => {
  const logits = tf.tensor4d([BIG, BIG, BIG, BIG, BIG, -BIG, -BIG, -BIG], [2, 2, 2, 1]);
  const target = tf.tensor4d([1, 1, 1, 1, 1, 1, 0, 0], [2, 2, 2, 1]);
  // sample 0 perfect (loss 0); sample 1: Σpt = 1, Σp + Σt = 3 → 1 − 2/3 with smooth 0
  assertClose(value(() => dice(logits, target, { smooth: 0 })), (0 + 1 / 3) / 2);
});

Deno.test("dice: empty-mask policy", () => {
  const empty = img([0, 0, 0, 0]);
  const predEmpty = img([-BIG, -BIG, -BIG, -BIG]);
  const predFull = img([BIG, BIG, BIG, BIG]);
  assertClose(value(() => dice(predEmpty, empty)), 0); // smooth 1: 1/1
  assertClose(value(() => dice(predEmpty, empty, { soft: false, smooth: 0 })), 0); // 0/0 := 1
  assertClose(value(() => dice(predFull, empty)), 1 - 1 / 5); // mass 4, smooth 1
  assertClose(value(() => dice(predFull, empty, { smooth: 0 })), 1);
  // gradient stays finite when the 0/0 branch is taken
  const g = tf.grad((x: tf.Tensor) => dice(x, empty, { soft: false, smooth: 0 }))(predEmpty);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
});

Deno.test("bce: hand values, stable at huge logits, gradient σ(x) − t", () => {
  const cases: [number, number, number][] = [
    [0, 1, Math.LN2],
    [0, 0, Math.LN2],
    [2, 0, Math.log1p(Math.exp(2))],
    [-3, 1, Math.log1p(Math.exp(3))],
    [100, 0, 100],
    [-100, 1, 100],
    [100, 1, 0],
    [0, 0.3, Math.LN2], // soft target: −0.3 ln 0.5 − 0.7 ln 0.5
  ];
  for (const [x, t, expected] of cases) {
    assertClose(
      value(() => bce(tf.tensor1d([x]), tf.tensor1d([t]))),
      expected,
      1e-4,
      `x=${x} t=${t}`,
    );
  }
  const xs = [0, 2, -3, 100, -100];
  const ts = [1, 0, 1, 0, 0];
  const g = tf.grad((x: tf.Tensor) => bce(x, tf.tensor1d(ts)))(tf.tensor1d(xs)).dataSync();
  xs.forEach((x, i) => {
    const sigma = 1 / (1 + Math.exp(-x));
    assertClose(g[i], (sigma - ts[i]) / xs.length, 1e-6, `grad at x=${x}`);
  });
});

Deno.test("diceBce: weighted sum of its parts", () => {
  const logits = img([1.5, -0.5, 0.2, -2]);
  const target = img([1, 1, 0, 0]);
  const d = value(() => dice(logits, target));
  const b = value(() => bce(logits, target));
  assertClose(value(() => diceBce(logits, target)), d + b);
  assertClose(
    value(() => diceBce(logits, target, { diceWeight: 0.25, bceWeight: 2 })),
    0.25 * d + 2 * b,
  );
});

Deno.test("segmentation losses: train a logit map to the mask inside tf.variableGrads", () => {
  const target = img([1, 1, 0, 0]);
  const v = tf.variable(tf.zeros([1, 2, 2, 1]));
  const opt = tf.train.adam(0.1);
  for (let i = 0; i < 100; i++) opt.minimize(() => diceBce(v, target));
  const logits = Array.from(v.dataSync());
  assert.ok(logits[0] > 2 && logits[1] > 2 && logits[2] < -2 && logits[3] < -2, `${logits}`);
  assert.ok(value(() => dice(v, target, { soft: false })) === 0);
});

Deno.test("segmentation losses: mismatched shapes and bad parameters throw InputError", () => {
  assert.throws(() => dice(img([0, 0, 0, 0]), tf.zeros([1, 2, 2, 2])), InputError);
  assert.throws(() => bce(tf.zeros([2]), tf.zeros([3])), InputError);
  assert.throws(() => dice(img([0, 0, 0, 0]), img([0, 0, 0, 0]), { smooth: -1 }), InputError);
});
