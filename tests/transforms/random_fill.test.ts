import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { fillGaussian, fillUniform } from "../../lib/transforms/random_fill.ts";

Deno.test("fillUniform draws exactly what successive rng.next() calls draw, and advances the state", () => {
  for (const n of [0, 1, 7, 1000]) {
    const a = new Rng(123);
    const b = new Rng(123);
    const bulk = new Float64Array(n);
    fillUniform(a, bulk);
    const one = Float64Array.from({ length: n }, () => b.next());
    assert.deepEqual(bulk, one);
    assert.deepEqual(a.getState(), b.getState());
  }
});

Deno.test("fillGaussian: odd lengths filled, normal with mean 0 and the requested std", () => {
  const out = new Float32Array(100_001);
  fillGaussian(new Rng(5), out, 3);
  const mean = out.reduce((s, v) => s + v, 0) / out.length;
  const sd = Math.sqrt(out.reduce((s, v) => s + (v - mean) ** 2, 0) / out.length);
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(sd - 3) < 0.05, `sd ${sd}`);
  assert.notEqual(out[out.length - 1], 0);
  // Shape, not just moments: the shares within 1σ and 2σ of a normal are 68.27 % and 95.45 %.
  const within = (k: number) => out.filter((v) => Math.abs(v) <= 3 * k).length / out.length;
  assert.ok(Math.abs(within(1) - 0.6827) < 0.005, `within 1σ: ${within(1)}`);
  assert.ok(Math.abs(within(2) - 0.9545) < 0.003, `within 2σ: ${within(2)}`);
});
