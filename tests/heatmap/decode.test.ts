import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  decodeHeatmaps,
  decodeHeatmapTensor,
  decodePeak,
  gaussianHeatmaps,
  type HeatmapView,
  softArgmax,
  targetPeak,
} from "../../lib/heatmap/mod.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { Landmarks, Point } from "../../lib/core/types.ts";
import { canonicalize } from "../../lib/data/landmark_order.ts";
import { letterboxTransform, mapLandmarks } from "../../lib/io/letterbox.ts";
import { InputError } from "../../lib/core/errors.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a} (tol ${tol})`);

/** One-channel view of a function sampled on a w × h grid. */
function mapOf(w: number, h: number, f: (x: number, y: number) => number): HeatmapView {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { data, width: w, height: h, channels: 1 };
}

const gaussian = (cx: number, cy: number, sigma: number, amp = 1) => (x: number, y: number) =>
  amp * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));

Deno.test("decodePeak recovers random sub-pixel Gaussian centres to 0.05 px", () => {
  const rng = new Rng(7);
  for (const method of ["quadratic", "softargmax"] as const) {
    for (const sigma of [1, 2, 3]) {
      for (const scaling of ["unit", "payer"] as const) {
        let worst = 0;
        for (let t = 0; t < 40; t++) {
          const cx = rng.uniform(8, 24), cy = rng.uniform(8, 24);
          const h = mapOf(32, 32, gaussian(cx, cy, sigma, targetPeak(sigma, scaling)));
          const p = decodePeak(h, 0, { method });
          worst = Math.max(worst, Math.hypot(p.x - cx, p.y - cy));
        }
        assert.ok(worst <= 0.05, `${method} σ=${sigma} ${scaling}: worst error ${worst}`);
      }
    }
  }
});

Deno.test("quadratic decoding is exact for a rotated anisotropic Gaussian (log-domain Newton step)", () => {
  const [cx, cy, sa, sb, th] = [14.37, 9.81, 3, 1.4, 0.6];
  const h = mapOf(32, 24, (x, y) => {
    const u = (x - cx) * Math.cos(th) + (y - cy) * Math.sin(th);
    const v = -(x - cx) * Math.sin(th) + (y - cy) * Math.cos(th);
    return Math.exp(-(u * u) / (2 * sa * sa) - (v * v) / (2 * sb * sb));
  });
  const p = decodePeak(h, 0);
  close(p.x, cx, 1e-3, "x");
  close(p.y, cy, 1e-3, "y");
});

Deno.test("quadratic decoding falls back to a linear-domain fit when the neighbourhood is not positive", () => {
  // A paraboloid with negative values around the peak: exactly quadratic in the linear domain.
  const h = mapOf(20, 20, (x, y) => 0.5 - (x - 10.3) ** 2 - 2 * (y - 7.6) ** 2);
  const p = decodePeak(h, 0);
  close(p.x, 10.3, 1e-4, "x");
  close(p.y, 7.6, 1e-4, "y");
});

Deno.test("decodePeak: peaks on the border stay finite and within a pixel", () => {
  for (const [cx, cy] of [[0.3, 10.2], [15.4, 15.6], [0, 0]]) {
    for (const method of ["quadratic", "softargmax"] as const) {
      const p = decodePeak(mapOf(16, 16, gaussian(cx, cy, 1.5)), 0, { method });
      assert.ok(
        Math.abs(p.x - cx) < 1 && Math.abs(p.y - cy) < 1,
        `${method} (${cx},${cy}) → (${p.x},${p.y})`,
      );
    }
  }
});

Deno.test("confidence from peak height and sharpness", () => {
  const opts = { referencePeak: 1, referenceSigma: 2 };
  const cases: [string, HeatmapView, number, number][] = [
    // name, map, expected confidence, expected spread
    ["target-like", mapOf(32, 32, gaussian(16, 16, 2)), 1, 2],
    ["half height", mapOf(32, 32, gaussian(16, 16, 2, 0.5)), 0.5, 2],
    ["twice as wide", mapOf(32, 32, gaussian(16, 16, 4)), 0.5, 4],
    ["too high is capped", mapOf(32, 32, gaussian(16, 16, 1, 3)), 1, 1],
    ["flat zero map", mapOf(8, 8, () => 0), 0, Infinity],
  ];
  for (const [name, h, conf, spread] of cases) {
    const p = decodePeak(h, 0, opts);
    close(p.confidence, conf, 1e-3, `${name} confidence`);
    if (spread === Infinity) assert.equal(p.spread, Infinity, name);
    else close(p.spread, spread, 1e-3, `${name} spread`);
  }
  // Payer-scaled maps compare against their own peak height.
  const payer = mapOf(32, 32, gaussian(16, 16, 2, targetPeak(2, "payer")));
  close(
    decodePeak(payer, 0, { referencePeak: targetPeak(2, "payer") }).confidence,
    1,
    1e-3,
    "payer",
  );
});

Deno.test("decodePeak rejects bad views and options, skips non-finite values", () => {
  const h = mapOf(4, 4, () => 1);
  assert.throws(() => decodePeak({ ...h, height: 5 }, 0), InputError);
  assert.throws(() => decodePeak(h, 0, { window: 0 }), InputError);
  assert.throws(() => decodePeak(mapOf(2, 2, () => Number.NaN), 0), InputError);
  // NaN and ±Infinity are skipped by the argmax
  const odd = mapOf(5, 5, gaussian(2, 3, 1));
  (odd.data as Float32Array)[0] = Infinity;
  (odd.data as Float32Array)[1] = Number.NaN;
  const p = decodePeak(odd, 0);
  close(p.x, 2, 1e-6, "x");
  close(p.y, 3, 1e-6, "y");
});

/** Canonical landmarks of a tilted skull in a 540 × 800 image (HC18-like aspect). */
function skullLandmarks(rng: Rng): Landmarks {
  const cx = rng.uniform(200, 340), cy = rng.uniform(300, 500);
  const a = rng.uniform(120, 180), b = a * rng.uniform(0.7, 0.85), t = rng.uniform(-0.6, 0.6);
  const c = Math.cos(t), s = Math.sin(t);
  return canonicalize([
    { x: cx - a * c, y: cy - a * s },
    { x: cx + a * c, y: cy + a * s },
    { x: cx + b * s, y: cy - b * c },
    { x: cx - b * s, y: cy + b * c },
  ]);
}

Deno.test("targets → decode round trip through the letterbox transform", () => {
  const rng = new Rng(11);
  const lb = letterboxTransform(800, 540, 128);
  for (const stride of [1, 2, 4] as const) {
    for (const method of ["quadratic", "softargmax"] as const) {
      for (let t = 0; t < 5; t++) {
        const labels = skullLandmarks(rng);
        const model = mapLandmarks(labels, lb.toModel);
        const sigma = 1.5;
        const data = gaussianHeatmaps(model, { size: 128, stride, sigma });
        const side = 128 / stride;
        const out = decodeHeatmaps({ data, width: side, height: side, channels: 4 }, {
          stride,
          method,
          toImage: lb.toImage,
          referenceSigma: sigma,
        });
        // 0.05 heatmap px expressed in image px
        const tol = (0.05 * stride) / lb.scale;
        out.landmarks.forEach((p, i) => {
          close(p.x, labels[i].x, tol, `${method} s${stride} #${i} x`);
          close(p.y, labels[i].y, tol, `${method} s${stride} #${i} y`);
          close(out.points[i].confidence, 1, 0.02, `confidence #${i}`);
        });
      }
    }
  }
});

Deno.test("decodeHeatmaps canonicalises swapped channels and keeps each point's evidence", () => {
  const labels: Landmarks = [{ x: 10, y: 30 }, { x: 50, y: 34 }, { x: 31, y: 12 }, {
    x: 29,
    y: 50,
  }];
  assert.deepEqual(canonicalize(labels), labels);
  // The network put OFD2 in channel 0 (at half height) and BPD2 in channel 2.
  const swapped = [labels[1], labels[0], labels[3], labels[2]];
  const data = gaussianHeatmaps(swapped, { size: 64, stride: 1, sigma: 2 });
  for (let i = 0; i < data.length; i += 4) data[i] *= 0.5;
  const view = { data, width: 64, height: 64, channels: 4 };
  const out = decodeHeatmaps(view, { stride: 1 });
  out.landmarks.forEach((p, i) => {
    close(p.x, labels[i].x, 1e-3, `#${i} x`);
    close(p.y, labels[i].y, 1e-3, `#${i} y`);
  });
  close(out.points[1].confidence, 0.5, 1e-3, "OFD2 carries the half-height peak");
  close(out.points[0].confidence, 1, 1e-3, "OFD1");
  close(out.points[1].heatmap.x, 50, 1e-3, "heatmap position travels with the point");
  assert.deepEqual(out.points[1].integer, { x: 50, y: 34 }, "so does the integer peak");
  const raw = decodeHeatmaps(view, { stride: 1, canonical: false });
  close(raw.landmarks[0].x, 50, 1e-3, "channel order kept without canonicalisation");
  assert.throws(
    () => decodeHeatmaps({ ...view, channels: 2, width: 128 }, { stride: 1 }),
    InputError,
  );
});

Deno.test("decodeHeatmapTensor decodes a batch with one transform per sample", async () => {
  const rng = new Rng(3);
  const transforms = [letterboxTransform(800, 540, 64), letterboxTransform(600, 700, 64)];
  const labels = [skullLandmarks(rng), skullLandmarks(rng)];
  const side = 32;
  const data = new Float32Array(2 * side * side * 4);
  labels.forEach((l, b) =>
    gaussianHeatmaps(
      mapLandmarks(l, transforms[b].toModel),
      { size: 64, stride: 2, sigma: 1.2 },
      data,
      b * side * side * 4,
    )
  );
  const t = tf.tensor4d(data, [2, side, side, 4]);
  const out = await decodeHeatmapTensor(t, { stride: 2 }, transforms.map((lb) => lb.toImage));
  assert.equal(out.length, 2);
  out.forEach((o, b) =>
    o.landmarks.forEach((p, i) => {
      const tol = 0.1 / transforms[b].scale;
      close(p.x, labels[b][i].x, tol, `sample ${b} #${i} x`);
      close(p.y, labels[b][i].y, tol, `sample ${b} #${i} y`);
    })
  );
  await assert.rejects(
    () => decodeHeatmapTensor(t, { stride: 2 }, [transforms[0].toImage]),
    InputError,
  );
});

Deno.test("softArgmax: hand-computed softmax expectation, stride mapping", () => {
  // One row [ln 2, 0, 0]: weights 2:1:1 over x = 0, 1, 2 → x = 0.75, y = 0.
  const h = tf.tensor4d([Math.LN2, 0, 0], [1, 1, 3, 1]);
  const [x, y] = softArgmax(h).dataSync();
  close(x, 0.75, 1e-6, "x");
  close(y, 0, 1e-6, "y");
  // 2 × 2 map, relu-normalised weights 1, 0, 0, 3 at (0,0), (1,0), (0,1), (1,1).
  const h2 = tf.tensor4d([1, -5, 0, 3], [1, 2, 2, 1]);
  const [x2, y2] = softArgmax(h2, { normalization: "relu" }).dataSync();
  close(x2, 0.75, 1e-6, "relu x");
  close(y2, 0.75, 1e-6, "relu y");
  const [xm, ym] = softArgmax(h2, { normalization: "relu", stride: 4 }).dataSync();
  close(xm, 0.75 * 4 + 1.5, 1e-5, "model x");
  close(ym, 0.75 * 4 + 1.5, 1e-5, "model y");
});

Deno.test("softArgmax (relu) recovers Gaussian centres in a batch, [B, 8] layout", () => {
  const rng = new Rng(5);
  const pts: Point[] = Array.from(
    { length: 8 },
    () => ({ x: rng.uniform(10, 22), y: rng.uniform(10, 22) }),
  );
  const data = new Float32Array(2 * 32 * 32 * 4);
  gaussianHeatmaps(pts.slice(0, 4), { size: 32, stride: 1, sigma: 2 }, data, 0);
  gaussianHeatmaps(pts.slice(4), { size: 32, stride: 1, sigma: 2 }, data, 32 * 32 * 4);
  const coords = softArgmax(tf.tensor4d(data, [2, 32, 32, 4]), { normalization: "relu" });
  assert.deepEqual(coords.shape, [2, 4, 2]);
  const flat = coords.reshape([2, 8]).dataSync();
  pts.forEach((p, i) => {
    close(flat[2 * i], p.x, 0.05, `#${i} x`);
    close(flat[2 * i + 1], p.y, 0.05, `#${i} y`);
  });
});

Deno.test("softArgmax is differentiable: raising a pixel right of the centroid moves x right", () => {
  // Columns hold 0, 1, 2, so the centroid lies between columns 1 and 2.
  const h = tf.tensor4d(Array.from({ length: 9 }, (_, i) => i % 3), [1, 3, 3, 1]);
  for (const normalization of ["softmax", "relu"] as const) {
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.slice(softArgmax(t, { normalization }), [0, 0, 0], [1, 1, 1]))
    )(h);
    const gv = g.dataSync();
    assert.ok(gv.every(Number.isFinite), normalization);
    assert.ok(gv[2] > 0 && gv[1] < 0, `${normalization}: ${Array.from(gv)}`);
  }
});
