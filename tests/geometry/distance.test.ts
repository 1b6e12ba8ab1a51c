import assert from "node:assert/strict";
import type { Mask } from "../../lib/core/types.ts";
import { Rng } from "../../lib/core/rng.ts";
import { squaredDistanceTransform } from "../../lib/geometry/distance.ts";

Deno.test("single seed: squared distances are dx² + dy²", () => {
  const m: Mask = { width: 4, height: 3, data: new Uint8Array(12) };
  m.data[1 * 4 + 1] = 1;
  assert.deepEqual([...squaredDistanceTransform(m)], [2, 1, 2, 5, 1, 0, 1, 4, 2, 1, 2, 5]);
});

Deno.test("no seeds: Infinity everywhere", () => {
  const m: Mask = { width: 3, height: 2, data: new Uint8Array(6) };
  assert.ok([...squaredDistanceTransform(m)].every((v) => v === Infinity));
});

Deno.test("equals brute-force nearest-seed distances on random sparse masks", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 10; trial++) {
    const w = rng.int(1, 30), h = rng.int(1, 30);
    const data = Uint8Array.from({ length: w * h }, () => (rng.bool(0.05) ? 1 : 0));
    data[rng.int(0, w * h)] = 1;
    const seeds: [number, number][] = [];
    data.forEach((v, i) => v && seeds.push([i % w, Math.floor(i / w)]));
    const got = squaredDistanceTransform({ width: w, height: h, data });
    for (let i = 0; i < w * h; i++) {
      const x = i % w, y = Math.floor(i / w);
      const want = Math.min(...seeds.map(([sx, sy]) => (sx - x) ** 2 + (sy - y) ** 2));
      assert.equal(got[i], want, `trial ${trial} pixel ${x},${y}`);
    }
  }
});
