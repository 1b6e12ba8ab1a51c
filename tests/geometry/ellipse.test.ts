import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { Ellipse } from "../../lib/core/types.ts";
import { isCanonical } from "../../lib/data/landmark_order.ts";
import {
  ellipsePerimeter,
  ellipsePoints,
  ellipseToLandmarks,
  insideEllipse,
  landmarksToEllipse,
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
