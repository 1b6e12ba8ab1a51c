import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  gaussianHeatmaps,
  gaussianHeatmapsTf,
  heatmapSide,
  heatmapToModel,
  modelToHeatmap,
  sigmaPenalty,
  targetPeak,
} from "../../lib/heatmap/mod.ts";
import { InputError } from "../../lib/core/errors.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b}, got ${a}`);

Deno.test("pixel-centre mapping: heatmap pixel i centres on model i·s + (s−1)/2", () => {
  const cases: [1 | 2 | 4, number, number][] = [
    // stride, model coordinate, heatmap coordinate
    [1, 7, 7],
    [2, 0.5, 0], // model pixels 0 and 1 → heatmap pixel 0
    [2, 2.5, 1],
    [4, 1.5, 0], // model pixels 0..3 → heatmap pixel 0
    [4, 5.5, 1],
    [4, -0.5, -0.5], // left edge of model pixel 0 = left edge of heatmap pixel 0
  ];
  for (const [s, m, h] of cases) {
    assert.deepEqual(modelToHeatmap({ x: m, y: m }, s), { x: h, y: h }, `stride ${s}, model ${m}`);
    assert.deepEqual(
      heatmapToModel({ x: h, y: h }, s),
      { x: m, y: m },
      `stride ${s}, heatmap ${h}`,
    );
  }
  assert.equal(heatmapSide(256, 4), 64);
  assert.throws(() => heatmapSide(30, 4), InputError);
  assert.throws(() => heatmapSide(32, 3 as 4), InputError);
});

Deno.test("gaussianHeatmaps: unit-scaled values, channel-last layout", () => {
  const h = gaussianHeatmaps([{ x: 3, y: 4 }, { x: 0, y: 0 }], {
    size: 8,
    stride: 1,
    sigma: [1, 2],
  });
  const v = (x: number, y: number, c: number) => h[(y * 8 + x) * 2 + c];
  assert.equal(h.length, 8 * 8 * 2);
  close(v(3, 4, 0), 1, 1e-7);
  close(v(4, 4, 0), Math.exp(-0.5), 1e-7);
  close(v(5, 6, 0), Math.exp(-4), 1e-7); // d² = 8, 2σ² = 2
  close(v(0, 0, 1), 1, 1e-7);
  close(v(2, 0, 1), Math.exp(-0.5), 1e-7); // σ = 2 at distance 2
  close(v(2, 2, 1), Math.exp(-1), 1e-7);
});

Deno.test("gaussianHeatmaps: stride maps the landmark to the pixel-centre position", () => {
  // model (5.5, 9.5) at stride 4 is exactly heatmap pixel (1, 2)
  const h = gaussianHeatmaps([{ x: 5.5, y: 9.5 }], { size: 16, stride: 4, sigma: 1 });
  assert.equal(h.length, 16);
  let best = 0;
  for (let i = 1; i < 16; i++) if (h[i] > h[best]) best = i;
  assert.equal(best, 2 * 4 + 1);
  close(h[best], 1, 1e-7);
  close(h[2 * 4 + 2], Math.exp(-0.5), 1e-7);
});

Deno.test("gaussianHeatmaps: Payer scaling is γ times a normal density (sums to γ)", () => {
  for (const sigma of [1.5, 2, 4]) {
    const h = gaussianHeatmaps([{ x: 63.5, y: 63.5 }], {
      size: 128,
      stride: 1,
      sigma,
      scaling: "payer",
    });
    let sum = 0, max = 0;
    for (const v of h) [sum, max] = [sum + v, Math.max(max, v)];
    close(sum, 1000, 1e-2, `sum σ=${sigma}`);
    close(
      max,
      targetPeak(sigma, "payer") * Math.exp(-0.25 / (sigma * sigma)),
      1e-3,
      `peak σ=${sigma}`,
    );
  }
  close(targetPeak(2, "payer"), 1000 / (8 * Math.PI), 1e-9);
  close(targetPeak(2, "payer", 100), 100 / (8 * Math.PI), 1e-9);
  assert.equal(targetPeak(2), 1);
});

Deno.test("gaussianHeatmaps: writes into a batch buffer at an offset only", () => {
  const buf = new Float32Array(2 * 4 * 4 * 1);
  gaussianHeatmaps([{ x: 1, y: 2 }], { size: 4, stride: 1, sigma: 1 }, buf, 16);
  assert.ok(buf.subarray(0, 16).every((v) => v === 0));
  close(buf[16 + 2 * 4 + 1], 1, 1e-7);
  assert.throws(
    () => gaussianHeatmaps([{ x: 1, y: 2 }], { size: 4, stride: 1, sigma: 1 }, buf, 17),
    InputError,
  );
});

Deno.test("gaussianHeatmaps: bad input throws InputError", () => {
  const opts = { size: 8, stride: 1 as const, sigma: 1 };
  assert.throws(() => gaussianHeatmaps([{ x: Number.NaN, y: 0 }], opts), InputError);
  assert.throws(() => gaussianHeatmaps([{ x: 0, y: 0 }], { ...opts, sigma: 0 }), InputError);
  assert.throws(() => gaussianHeatmaps([{ x: 0, y: 0 }], { ...opts, sigma: [1, 2] }), InputError);
});

Deno.test("gaussianHeatmapsTf matches the typed-array targets for both scalings", () => {
  const pts = [[{ x: 10.3, y: 20.7 }, { x: 3, y: 30.2 }], [{ x: 25, y: 5.5 }, { x: 16, y: 16 }]];
  const sigmas = [1.5, 3];
  for (const scaling of ["unit", "payer"] as const) {
    for (const stride of [1, 2, 4] as const) {
      const t = gaussianHeatmapsTf(
        tf.tensor3d(pts.map((s) => s.map((p) => [p.x, p.y]))),
        tf.tensor1d(sigmas),
        { size: 32, stride, scaling },
      );
      const got = t.dataSync();
      const side = 32 / stride;
      assert.deepEqual(t.shape, [2, side, side, 2]);
      pts.forEach((s, b) => {
        const want = gaussianHeatmaps(s, { size: 32, stride, sigma: sigmas, scaling });
        want.forEach((w, i) =>
          close(got[b * want.length + i], w, 1e-4 * Math.max(1, w), `${scaling} s${stride}`)
        );
      });
    }
  }
});

Deno.test("learnable σ: gradient descent recovers the σ that generated a heatmap", () => {
  const points = tf.tensor3d([[[12.2, 15.7]]]);
  const observed = gaussianHeatmapsTf(points, tf.tensor1d([3]), { size: 32, stride: 1 });
  const sigma = tf.variable(tf.tensor1d([1.5]));
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < 200; i++) {
    opt.minimize(() =>
      tf.add(
        tf.mean(
          tf.squaredDifference(
            gaussianHeatmapsTf(points, sigma, { size: 32, stride: 1 }),
            observed,
          ),
        ),
        sigmaPenalty(sigma, 1e-6),
      ) as tf.Scalar
    );
  }
  close(sigma.dataSync()[0], 3, 0.02, "learned sigma");
  close(sigmaPenalty(tf.tensor1d([1, 2]), 0.5).dataSync()[0], 2.5, 1e-6, "penalty");
});
