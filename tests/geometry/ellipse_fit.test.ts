import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { Ellipse, Point } from "../../lib/core/types.ts";
import { conicToEllipse, ellipseToConic, wrapAngle } from "../../lib/geometry/ellipse.ts";
import {
  distanceToEllipse,
  ellipsePoints,
  fitEllipse,
  fitEllipseRobust,
} from "../../lib/geometry/ellipse_fit.ts";

function randomEllipse(rng: Rng): Ellipse {
  const a = rng.uniform(40, 300);
  return {
    cx: rng.uniform(100, 700),
    cy: rng.uniform(100, 450),
    a,
    b: a * rng.uniform(0.5, 0.95),
    angle: rng.uniform(0, Math.PI),
  };
}

/** Largest parameter error relative to the semi-major axis (angle error in radians × (a−b)/a). */
function paramError(fit: Ellipse, truth: Ellipse): number {
  const da = Math.abs(wrapAngle(fit.angle - truth.angle + Math.PI / 2) - Math.PI / 2);
  return Math.max(
    Math.abs(fit.cx - truth.cx) / truth.a,
    Math.abs(fit.cy - truth.cy) / truth.a,
    Math.abs(fit.a - truth.a) / truth.a,
    Math.abs(fit.b - truth.b) / truth.a,
    (da * (truth.a - truth.b)) / truth.a,
  );
}

function noisyPoints(rng: Rng, e: Ellipse, n: number, sigma: number): Point[] {
  return Array.from({ length: n }, () => {
    const t = rng.uniform(0, 2 * Math.PI);
    const c = Math.cos(e.angle), s = Math.sin(e.angle);
    const u = e.a * Math.cos(t), v = e.b * Math.sin(t);
    return {
      x: e.cx + u * c - v * s + rng.normal(0, sigma),
      y: e.cy + u * s + v * c + rng.normal(0, sigma),
    };
  });
}

Deno.test("direct fit recovers random ellipses exactly from noise-free points", () => {
  const rng = new Rng(1);
  for (let k = 0; k < 50; k++) {
    const truth = randomEllipse(rng);
    const fit = fitEllipse(ellipsePoints(truth, 7 + k * 10));
    assert.ok(fit, `case ${k}`);
    assert.ok(paramError(fit, truth) < 1e-6, `case ${k}: ${JSON.stringify({ fit, truth })}`);
  }
});

Deno.test("direct fit recovers an ellipse from an arc of only 90°", () => {
  const truth = { cx: 400, cy: 270, a: 200, b: 140, angle: 0.7 };
  const pts = ellipsePoints(truth, 400).slice(0, 100);
  const fit = fitEllipse(pts)!;
  assert.ok(paramError(fit, truth) < 1e-6);
});

Deno.test("direct fit with 0.5 px noise: centre and axes within 0.25 px", () => {
  const rng = new Rng(2);
  for (let k = 0; k < 20; k++) {
    const truth = randomEllipse(rng);
    const fit = fitEllipse(noisyPoints(rng, truth, 600, 0.5))!;
    assert.ok(Math.hypot(fit.cx - truth.cx, fit.cy - truth.cy) < 0.25, `case ${k} centre`);
    assert.ok(Math.abs(fit.a - truth.a) < 0.25 && Math.abs(fit.b - truth.b) < 0.25, `case ${k}`);
  }
});

Deno.test("degenerate inputs return null", () => {
  assert.equal(fitEllipse([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 2 }, { x: 3, y: 3 }]), null);
  const line = Array.from({ length: 20 }, (_, i) => ({ x: i, y: 2 * i + 1 }));
  assert.equal(fitEllipse(line), null);
});

Deno.test("weights: zero-weight points are ignored", () => {
  const truth = { cx: 300, cy: 200, a: 120, b: 80, angle: 1.1 };
  const pts = [...ellipsePoints(truth, 60), { x: 10, y: 10 }, { x: 500, y: 30 }];
  const w = pts.map((_, i) => (i < 60 ? 1 : 0));
  assert.ok(paramError(fitEllipse(pts, w)!, truth) < 1e-6);
  assert.ok(paramError(fitEllipse(pts)!, truth) > 1e-2, "the outliers do move the unweighted fit");
});

Deno.test("robust fit tolerates 10 % and 20 % outliers (0.5 px noise): centre, axes within 0.3 px", () => {
  const rng = new Rng(3);
  for (const fraction of [0.1, 0.2]) {
    for (let k = 0; k < 10; k++) {
      const truth = randomEllipse(rng);
      const n = 500;
      const pts = noisyPoints(rng, truth, n, 0.5);
      const outliers = Math.round(n * fraction);
      for (let i = 0; i < outliers; i++) {
        pts[rng.int(0, n)] = {
          x: truth.cx + rng.uniform(-1.5, 1.5) * truth.a,
          y: truth.cy + rng.uniform(-1.5, 1.5) * truth.a,
        };
      }
      const robust = fitEllipseRobust(pts, { seed: k })!;
      const e = robust.ellipse;
      const label = `fraction ${fraction} case ${k}`;
      assert.ok(Math.hypot(e.cx - truth.cx, e.cy - truth.cy) < 0.3, `${label} centre`);
      assert.ok(Math.abs(e.a - truth.a) < 0.3 && Math.abs(e.b - truth.b) < 0.3, `${label} axes`);
      assert.ok(robust.inlierCount >= n * (1 - fraction) * 0.95, `${label} inliers`);
      assert.ok(robust.rmsResidual < 1, label);
      const plain = fitEllipse(pts);
      assert.ok(!plain || paramError(plain, truth) > paramError(e, truth), `${label} plain`);
    }
  }
});

Deno.test("robust fit is deterministic for a seed", () => {
  const rng = new Rng(4);
  const truth = randomEllipse(rng);
  const pts = noisyPoints(rng, truth, 200, 1);
  assert.deepEqual(fitEllipseRobust(pts, { seed: 7 }), fitEllipseRobust(pts, { seed: 7 }));
});

Deno.test("conic ↔ ellipse round trip, including axis-aligned and near-circular cases", () => {
  const cases: Ellipse[] = [
    { cx: 0, cy: 0, a: 2, b: 1, angle: 0 },
    { cx: 10, cy: -5, a: 3, b: 1, angle: Math.PI / 2 },
    { cx: 400, cy: 270, a: 250, b: 249.9, angle: 2.9 },
    { cx: 1, cy: 2, a: 5, b: 4, angle: 0.3 },
  ];
  for (const e of cases) {
    const back = conicToEllipse(ellipseToConic(e))!;
    assert.ok(paramError(back, e) < 1e-9, JSON.stringify({ e, back }));
  }
  // Hand-computed: x²/4 + y² − 1 = 0, multiplied by −3 (sign must not matter).
  assert.deepEqual(conicToEllipse([-0.75, 0, -3, 0, 0, 3]), { cx: 0, cy: 0, a: 2, b: 1, angle: 0 });
  assert.equal(conicToEllipse([1, 0, -1, 0, 0, -1]), null); // hyperbola
  assert.equal(conicToEllipse([1, 0, 1, 0, 0, 1]), null); // no real points
});

Deno.test("distanceToEllipse matches dense sampling, inside and outside", () => {
  const rng = new Rng(5);
  for (let k = 0; k < 20; k++) {
    const e = randomEllipse(rng);
    const p = { x: e.cx + rng.uniform(-1.5, 1.5) * e.a, y: e.cy + rng.uniform(-1.5, 1.5) * e.a };
    let brute = Infinity;
    for (const q of ellipsePoints(e, 20000)) {
      brute = Math.min(brute, Math.hypot(q.x - p.x, q.y - p.y));
    }
    assert.ok(Math.abs(distanceToEllipse(e, p) - brute) < 1e-2, `case ${k}`);
  }
  const e = { cx: 0, cy: 0, a: 5, b: 3, angle: 0 };
  assert.equal(distanceToEllipse(e, { x: 0, y: 0 }), 3);
  assert.equal(distanceToEllipse(e, { x: 8, y: 0 }), 3);
  assert.equal(distanceToEllipse(e, { x: 0, y: -4 }), 1);
});
