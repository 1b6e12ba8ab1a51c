import assert from "node:assert/strict";
import { isCanonical } from "../../lib/data/landmark_order.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { ellipsePerimeter, ellipsePoints, ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";

Deno.test("phantom is deterministic per seed and differs between seeds", () => {
  const a = generatePhantom(5, { width: 200, height: 135 });
  const b = generatePhantom(5, { width: 200, height: 135 });
  const c = generatePhantom(6, { width: 200, height: 135 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.image.data, c.image.data);
  assert.notDeepEqual(a.ellipse, c.ellipse);
});

Deno.test("phantom ground truth: head inside the image, HC18-like size, consistent labels", () => {
  for (let seed = 0; seed < 20; seed++) {
    const p = generatePhantom(seed, { width: 400, height: 270 });
    const { image, mask, ellipse: e } = p;
    assert.equal(image.width, 400);
    assert.equal(image.data.length, 400 * 270);
    assert.equal(mask.data.length, 400 * 270);
    assert.ok(e.a >= e.b && e.b / e.a >= 0.72 - 1e-9 && e.b / e.a <= 0.9 + 1e-9, `seed ${seed}`);
    assert.ok(2 * e.a <= 0.7 * 400 + 1e-9 && e.angle >= 0 && e.angle < Math.PI);
    for (const q of ellipsePoints(e, 72)) {
      assert.ok(q.x > 0 && q.x < 399 && q.y > 0 && q.y < 269, `seed ${seed}: head leaves image`);
    }
    assert.deepEqual(p.landmarks, ellipseToLandmarks(e));
    assert.ok(isCanonical(p.landmarks));
    assert.ok(Math.abs(p.hcMm - ellipsePerimeter(e) * p.pixelSizeMm) < 1e-9);
    // Mask = filled ellipse: its pixel count matches the area to within about one perimeter/2.
    const count = mask.data.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(count - Math.PI * e.a * e.b) < ellipsePerimeter(e) / 2, `seed ${seed} mask`);
    assert.ok(image.data.every((v) => v >= 0 && v <= 255));
  }
});

Deno.test("phantom skull ring is brighter than the brain and the surrounding tissue", () => {
  for (let seed = 0; seed < 10; seed++) {
    const { image, ellipse: e } = generatePhantom(seed);
    const at = (x: number, y: number) => image.data[Math.round(y) * image.width + Math.round(x)];
    const mean = (f: number) => {
      const pts = ellipsePoints({ ...e, a: e.a * f, b: e.b * f }, 360)
        .filter((q) => q.x >= 0 && q.y >= 0 && q.x <= image.width - 1 && q.y <= image.height - 1);
      return pts.reduce((s, q) => s + at(q.x, q.y), 0) / pts.length;
    };
    const ring = mean(1), brain = mean(0.6), outside = mean(1.15);
    assert.ok(
      ring > 2 * brain && ring > 1.5 * outside,
      `seed ${seed}: ${ring} ${brain} ${outside}`,
    );
  }
});
