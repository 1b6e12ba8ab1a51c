import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { adaptiveWing, l1, mse, smoothL1, wing } from "../../lib/losses/mod.ts";
import { InputError } from "../../lib/core/errors.ts";
import { assertClose, gradOf, value } from "./helpers.ts";

const t1 = (v: number[]) => tf.tensor1d(v);

Deno.test("mse, l1: hand-computed means", () => {
  // d = [0, 2, 3]
  assertClose(value(() => mse(t1([1, 2, 3]), t1([1, 0, 0]))), 13 / 3);
  assertClose(value(() => l1(t1([1, 2, 3]), t1([1, 0, 0]))), 5 / 3);
  // rank-2 tensors reduce over everything
  assertClose(value(() => mse(tf.tensor2d([[1, -1], [0, 2]]), tf.zeros([2, 2]))), 6 / 4);
});

Deno.test("smoothL1: quadratic below beta, linear above, beta 0 is L1", () => {
  const cases: [number, number[], number][] = [
    // beta, d, expected mean: 0.5 d²/β below β, |d| − β/2 above
    [1, [0, 0.5, -2], (0 + 0.125 + 1.5) / 3],
    [2, [1, -3], (0.25 + 2) / 2],
    [0, [0.5, -2], 1.25],
  ];
  for (const [beta, d, expected] of cases) {
    assertClose(
      value(() => smoothL1(t1(d), tf.zerosLike(t1(d)), beta)),
      expected,
      1e-6,
      `beta ${beta}`,
    );
  }
});

Deno.test("wing: log region, linear region, pieces meet at |d| = w", () => {
  // w = 10, eps = 2: C = 10 − 10 ln 6
  const c = 10 - 10 * Math.log(6);
  const expected = (0 + 10 * Math.log(1.5) + (12 - c)) / 3;
  assertClose(value(() => wing(t1([0, 1, -12]), t1([0, 0, 0]))), expected, 1e-4);
  const below = value(() => wing(t1([10 - 1e-3]), t1([0])));
  const above = value(() => wing(t1([10 + 1e-3]), t1([0])));
  assertClose(below, 10 * Math.log(6), 1e-2);
  assertClose(above, 10 * Math.log(6), 1e-2);
  // custom parameters: w = 1, eps = 0.5, d = 0.5 → ln 2
  assertClose(value(() => wing(t1([0.5]), t1([0]), { w: 1, eps: 0.5 })), Math.log(2), 1e-6);
});

Deno.test("adaptiveWing: hand values and C¹ continuity at theta", () => {
  // y = 0, ŷ = 0.2: 14·ln(1 + 0.2^2.1)
  assertClose(
    value(() => adaptiveWing(t1([0.2]), t1([0]))),
    14 * Math.log1p(Math.pow(0.2, 2.1)),
    1e-4,
  );
  // y = 1, ŷ = 0.9: p = 1.1, 14·ln(1 + 0.1^1.1)
  assertClose(
    value(() => adaptiveWing(t1([0.9]), t1([1]))),
    14 * Math.log1p(Math.pow(0.1, 1.1)),
    1e-4,
  );
  // linear branch, y = 0, d = 2: A·2 − C with p = 2.1, θ/ε = 0.5
  const p = 2.1, r = 0.5;
  const a = 14 * p * Math.pow(r, p - 1) / (1 + Math.pow(r, p));
  const c = 0.5 * a - 14 * Math.log1p(Math.pow(r, p));
  assertClose(value(() => adaptiveWing(t1([2]), t1([0]))), 2 * a - c, 1e-4);
  // value and slope match across θ for several targets
  for (const y of [0, 0.3, 0.8, 1]) {
    const f = (d: number) => value(() => adaptiveWing(t1([y + d]), t1([y])));
    const h = 1e-3;
    assertClose(f(0.5 - h), f(0.5 + h), 0.05, `value at theta, y=${y}`);
    const slopeBelow = gradOf((x) => adaptiveWing(x, t1([y])), [y + 0.5 - h])[0];
    const slopeAbove = gradOf((x) => adaptiveWing(x, t1([y])), [y + 0.5 + h])[0];
    assertClose(
      slopeBelow,
      slopeAbove,
      0.05 * Math.abs(slopeAbove) + 1e-3,
      `slope at theta, y=${y}`,
    );
  }
});

Deno.test("regression losses: gradients finite at every kink, zero at a perfect prediction", () => {
  const losses: [string, (x: tf.Tensor, y: tf.Tensor) => tf.Scalar, number[]][] = [
    ["mse", mse, [0]],
    ["l1", l1, [0]],
    ["smoothL1", (x, y) => smoothL1(x, y, 1), [0, 1, -1]],
    ["wing", (x, y) => wing(x, y), [0, 10, -10]],
    ["adaptiveWing", (x, y) => adaptiveWing(x, y), [0, 0.5, -0.5]],
  ];
  for (const [name, loss, kinks] of losses) {
    for (const y of [0, 0.5, 1]) {
      const target = t1(kinks.map(() => y));
      const g = gradOf((x) => loss(x, target), kinks.map((k) => y + k));
      assert.ok(g.every(Number.isFinite), `${name} y=${y}: ${g}`);
      assert.ok(g[0] === 0, `${name} y=${y}: gradient at d = 0 is ${g[0]}`);
      target.dispose();
    }
  }
});

Deno.test("regression losses: drive a variable to its target inside tf.variableGrads", () => {
  const target = t1([0.2, 0.9, 0.0]);
  const runs: [string, (x: tf.Tensor, y: tf.Tensor) => tf.Scalar, number][] = [
    ["mse", mse, 0.5],
    ["l1", l1, 0.015],
    ["wing", (x, y) => wing(x, y, { w: 1, eps: 0.5 }), 0.01],
  ];
  for (const [name, loss, lr] of runs) {
    const v = tf.variable(t1([1, -1, 0.5]));
    const opt = tf.train.sgd(lr);
    for (let i = 0; i < 600; i++) opt.minimize(() => loss(v, target));
    const got = Array.from(v.dataSync());
    got.forEach((g, i) => assertClose(g, [0.2, 0.9, 0][i], 0.02, name));
    v.dispose();
    opt.dispose();
  }
  target.dispose();
});

Deno.test("adaptiveWing: the paper's weighted loss map weighs a 3×3 dilation of the peak by W + 1", () => {
  // 4×4 map, one peak (y = 1) at row 1, column 1; prediction 0.1 everywhere.
  const target = tf.tensor4d(Array.from({ length: 16 }, (_, i) => (i === 5 ? 1 : 0)), [1, 4, 4, 1]);
  const pred = tf.fill([1, 4, 4, 1], 0.1);
  // peak: y = 1, d = 0.9 ≥ θ → linear branch with p = 1.1; background: y = 0, d = 0.1 → log branch
  const p = 1.1, r = 0.5;
  const a = 14 * p * Math.pow(r, p - 1) / (1 + Math.pow(r, p));
  const c = 0.5 * a - 14 * Math.log1p(Math.pow(r, p));
  const peak = 0.9 * a - c, bg = 14 * Math.log1p(Math.pow(0.1, 2.1));
  const rows: [number, number][] = [
    [0, (peak + 15 * bg) / 16],
    // rows 0–2 × columns 0–2 weigh 11 (the peak and its 8 neighbours), the other 7 pixels 1
    [10, (11 * peak + 8 * 11 * bg + 7 * bg) / 16],
  ];
  for (const [w, expected] of rows) {
    assertClose(value(() => adaptiveWing(pred, target, { foregroundWeight: w })), expected, 1e-4);
  }
  // a lower foreground threshold takes in nothing more here (the background is 0)
  assertClose(
    value(() => adaptiveWing(pred, target, { foregroundWeight: 10, foregroundThreshold: 0.01 })),
    rows[1][1],
    1e-4,
  );
  assert.throws(() => adaptiveWing(t1([1]), t1([1]), { foregroundWeight: 10 }), InputError);
  assert.throws(() => adaptiveWing(pred, target, { foregroundWeight: -1 }), InputError);
  tf.dispose([target, pred]);
});

Deno.test("regression losses: mismatched shapes and bad parameters throw InputError", () => {
  assert.throws(() => mse(t1([1, 2]), t1([1, 2, 3])), InputError);
  assert.throws(() => smoothL1(t1([1]), t1([1]), -1), InputError);
  assert.throws(() => wing(t1([1]), t1([1]), { eps: 0 }), InputError);
  assert.throws(() => adaptiveWing(t1([1]), t1([1]), { theta: Number.NaN }), InputError);
});
