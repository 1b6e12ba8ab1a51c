import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { Ellipse, Landmarks } from "../../lib/core/types.ts";
import { isCanonical } from "../../lib/data/landmark_order.ts";
import {
  ellipsePerimeter,
  ellipsePoints,
  ellipseToLandmarks,
  insideEllipse,
  landmarksToEllipse,
  perpendicularAxes,
  turnLandmarks,
  wrapAngle,
} from "../../lib/geometry/ellipse.ts";

/** Arc length by composite Simpson on the parametric speed (independent of Ramanujan). */
function numericPerimeter(a: number, b: number, n = 20000): number {
  const f = (t: number) => Math.hypot(a * Math.sin(t), b * Math.cos(t));
  const h = (2 * Math.PI) / n;
  let s = f(0) + f(2 * Math.PI);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return (s * h) / 3;
}

Deno.test("ellipsePerimeter: circle exact, HC18-like ratios within 1e-9 relative", () => {
  assert.ok(Math.abs(ellipsePerimeter({ a: 10, b: 10 }) - 20 * Math.PI) < 1e-12);
  assert.equal(ellipsePerimeter({ a: 0, b: 0 }), 0);
  for (const [a, b] of [[100, 80], [200, 130], [3, 2], [250, 150]]) {
    const rel = Math.abs(ellipsePerimeter({ a, b }) - numericPerimeter(a, b)) /
      numericPerimeter(a, b);
    assert.ok(rel < 1e-9, `${a},${b}: ${rel}`);
  }
  // Degenerate segment: true perimeter 4a; Ramanujan II gives π·14/11·a (known 4.2e-4 error).
  assert.ok(Math.abs(ellipsePerimeter({ a: 1, b: 0 }) - (14 * Math.PI) / 11) < 1e-12);
});

Deno.test("ellipseToLandmarks: hand-computed axis ends in canonical order", () => {
  const h = ellipseToLandmarks({ cx: 100, cy: 50, a: 20, b: 10, angle: 0 });
  assert.deepEqual(h.map((p) => [p.x, p.y]), [[80, 50], [120, 50], [100, 40], [100, 60]]);
  const v = ellipseToLandmarks({ cx: 100, cy: 50, a: 20, b: 10, angle: Math.PI / 2 });
  const r = (x: number) => Math.round(x * 1e9) / 1e9;
  assert.deepEqual(v.map((p) => [r(p.x), r(p.y)]), [[100, 30], [100, 70], [90, 50], [110, 50]]);
});

Deno.test("ellipse → landmarks → ellipse round trip", () => {
  const rng = new Rng(11);
  for (let k = 0; k < 100; k++) {
    const a = rng.uniform(10, 300);
    const e: Ellipse = {
      cx: rng.uniform(0, 800),
      cy: rng.uniform(0, 540),
      a,
      b: a * rng.uniform(0.3, 0.99),
      angle: rng.uniform(0, Math.PI),
    };
    const l = ellipseToLandmarks(e);
    assert.ok(isCanonical(l));
    const back = landmarksToEllipse(l);
    for (const key of ["cx", "cy", "a", "b"] as const) {
      assert.ok(Math.abs(back[key] - e[key]) < 1e-9, `${k} ${key}`);
    }
    const dAngle = Math.abs(wrapAngle(back.angle - e.angle + Math.PI / 2) - Math.PI / 2);
    assert.ok(dAngle < 1e-9, `${k} angle`);
  }
});

Deno.test("landmarksToEllipse: BPD longer than OFD becomes the a axis; centre averages midpoints", () => {
  const e = landmarksToEllipse([{ x: 0, y: 0 }, { x: 0, y: 4 }, { x: -5, y: 2 }, { x: 5, y: 2 }]);
  assert.deepEqual(e, { cx: 0, cy: 2, a: 5, b: 2, angle: 0 });
  const shifted = landmarksToEllipse([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 6, y: -2 }, {
    x: 6,
    y: 2,
  }]);
  assert.equal(shifted.cx, 5.5);
  assert.equal(shifted.cy, 0);
});

Deno.test("ellipsePoints lie on the ellipse; insideEllipse", () => {
  const e = { cx: 3, cy: 4, a: 5, b: 2, angle: 0.4 };
  const pts = ellipsePoints(e, 8);
  assert.equal(pts.length, 8);
  const c = Math.cos(e.angle), s = Math.sin(e.angle);
  for (const p of pts) {
    const u = (p.x - e.cx) * c + (p.y - e.cy) * s;
    const v = -(p.x - e.cx) * s + (p.y - e.cy) * c;
    assert.ok(Math.abs((u / e.a) ** 2 + (v / e.b) ** 2 - 1) < 1e-12);
  }
  assert.ok(insideEllipse(e, { x: 3, y: 4 }));
  assert.ok(!insideEllipse(e, { x: 3, y: 7 }));
});

Deno.test("wrapAngle folds into [0, π)", () => {
  const cases: [number, number][] = [[0, 0], [Math.PI, 0], [-0.5, Math.PI - 0.5], [
    3 * Math.PI + 1,
    1,
  ]];
  for (const [x, y] of cases) assert.ok(Math.abs(wrapAngle(x) - y) < 1e-12, `${x}`);
});

Deno.test("perpendicularAxes: exact axis ends unchanged; a shifted BPD moves both pairs to the common centre", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const e: Ellipse = {
      cx: rng.uniform(100, 700),
      cy: rng.uniform(100, 400),
      a: rng.uniform(80, 300),
      b: rng.uniform(40, 79),
      angle: rng.uniform(0, Math.PI),
    };
    const l = ellipseToLandmarks(e);
    perpendicularAxes(l).forEach((p, k) => {
      assert.ok(Math.hypot(p.x - l[k].x, p.y - l[k].y) < 1e-9, `case ${i} point ${k}`);
    });
  }
  // Hand-computed: perpendicular pairs whose midpoints differ by (2, 0) meet at their mean (1, 0).
  const got = perpendicularAxes([{ x: -10, y: 0 }, { x: 10, y: 0 }, { x: 2, y: -5 }, {
    x: 2,
    y: 5,
  }]);
  const want = [{ x: -9, y: 0 }, { x: 11, y: 0 }, { x: 1, y: -5 }, { x: 1, y: 5 }];
  got.forEach((p, k) => assert.ok(Math.hypot(p.x - want[k].x, p.y - want[k].y) < 1e-12, `${k}`));
});

Deno.test("perpendicularAxes: direction is the least-squares one (brute force), lengths and end order kept", () => {
  const rng = new Rng(11);
  for (let i = 0; i < 30; i++) {
    const pt = () => ({ x: rng.uniform(-50, 50), y: rng.uniform(-50, 50) });
    const l = [pt(), pt(), pt(), pt()] as const;
    const d1 = { x: (l[1].x - l[0].x) / 2, y: (l[1].y - l[0].y) / 2 };
    const d2 = { x: (l[3].x - l[2].x) / 2, y: (l[3].y - l[2].y) / 2 };
    const score = (t: number) =>
      (d1.x * Math.cos(t) + d1.y * Math.sin(t)) ** 2 +
      (-d2.x * Math.sin(t) + d2.y * Math.cos(t)) ** 2;
    let best = 0;
    for (let k = 1; k < 200000; k++) {
      if (score((Math.PI * k) / 200000) > score(best)) best = (Math.PI * k) / 200000;
    }
    const p = perpendicularAxes([...l]);
    const theta = Math.atan2(p[1].y - p[0].y, p[1].x - p[0].x);
    const diff = Math.abs(wrapAngle(theta - best));
    assert.ok(Math.min(diff, Math.PI - diff) < 1e-4, `case ${i}: ${theta} vs ${best}`);
    // Lengths kept; each end stays on its own side (no swap within a pair).
    const len = (a: { x: number; y: number }, b: { x: number; y: number }) =>
      Math.hypot(a.x - b.x, a.y - b.y);
    assert.ok(Math.abs(len(p[0], p[1]) - len(l[0], l[1])) < 1e-9);
    assert.ok(Math.abs(len(p[2], p[3]) - len(l[2], l[3])) < 1e-9);
    assert.ok(
      (p[1].x - p[0].x) * d1.x + (p[1].y - p[0].y) * d1.y >= 0,
      `case ${i}: OFD ends swapped`,
    );
    assert.ok(
      (p[3].x - p[2].x) * d2.x + (p[3].y - p[2].y) * d2.y >= 0,
      `case ${i}: BPD ends swapped`,
    );
    // Perpendicular, common midpoint.
    assert.ok(
      Math.abs((p[1].x - p[0].x) * (p[3].x - p[2].x) + (p[1].y - p[0].y) * (p[3].y - p[2].y)) <
        1e-6,
    );
    assert.ok(Math.abs(p[0].x + p[1].x - p[2].x - p[3].x) < 1e-9);
  }
});

Deno.test("turnLandmarks: quarter turns by hand; a turn and its inverse cancel", () => {
  const l: Landmarks = [{ x: 0, y: 5 }, { x: 20, y: 5 }, { x: 10, y: 0 }, { x: 10, y: 10 }];
  const c = { x: 10, y: 5 };
  // +90° is clockwise on screen (y down): the right end goes to the bottom, the top end to the right.
  const q = turnLandmarks(l, c, Math.PI / 2);
  const want = [{ x: 10, y: -5 }, { x: 10, y: 15 }, { x: 15, y: 5 }, { x: 5, y: 5 }];
  q.forEach((p, i) =>
    assert.ok(Math.hypot(p.x - want[i].x, p.y - want[i].y) < 1e-12, `point ${i}`)
  );
  const back = turnLandmarks(turnLandmarks(l, { x: 3, y: -7 }, 0.37), { x: 3, y: -7 }, -0.37);
  back.forEach((p, i) => assert.ok(Math.hypot(p.x - l[i].x, p.y - l[i].y) < 1e-12));
});
