import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { measuresFromEllipse, measuresFromLandmarks } from "../../lib/geometry/measures.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("circle of radius 50 px at 0.1 mm/px: OFD = BPD = 10 mm, HC = 10π mm", () => {
  const l: Landmarks = [{ x: 50, y: 100 }, { x: 150, y: 100 }, { x: 100, y: 50 }, {
    x: 100,
    y: 150,
  }];
  const m = measuresFromLandmarks(l, 0.1);
  close(m.ofdMm, 10);
  close(m.bpdMm, 10);
  close(m.hcMm, 10 * Math.PI);
  const e = measuresFromEllipse({ cx: 100, cy: 100, a: 50, b: 50, angle: 0 }, 0.1);
  assert.deepEqual(e, m);
});

Deno.test("rotated 3-4-5 axes: OFD 2·5·k, BPD 2·2.5·k, HC via Ramanujan II", () => {
  // OFD along (3, 4)·2 from the centre, BPD along (-4, 3) with half length 5.
  const c = { x: 200, y: 200 };
  const l: Landmarks = [
    { x: c.x - 6, y: c.y - 8 },
    { x: c.x + 6, y: c.y + 8 },
    { x: c.x + 4, y: c.y - 3 },
    { x: c.x - 4, y: c.y + 3 },
  ];
  const m = measuresFromLandmarks(l, 2);
  close(m.ofdMm, 40);
  close(m.bpdMm, 20);
  // a = 10, b = 5 px: h = (5/15)² = 1/9; P = π·15·(1 + 3h/(10 + √(4 − 3h))) px, × 2 mm.
  const h = 1 / 9;
  close(m.hcMm, 2 * Math.PI * 15 * (1 + (3 * h) / (10 + Math.sqrt(4 - 3 * h))));
});

Deno.test("degenerate and invalid input", () => {
  const p = { x: 1, y: 1 };
  assert.deepEqual(measuresFromLandmarks([p, p, p, p], 0.1), { ofdMm: 0, bpdMm: 0, hcMm: 0 });
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => measuresFromLandmarks([p, p, p, p], bad), RangeError);
    assert.throws(
      () => measuresFromEllipse({ cx: 0, cy: 0, a: 1, b: 1, angle: 0 }, bad),
      RangeError,
    );
  }
});
