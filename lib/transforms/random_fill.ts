/**
 * Bulk random draws for per-pixel noise. Calling `rng.next()` once per pixel costs a method call
 * and four typed-array round trips per draw; here the generator's state is copied into locals,
 * advanced in a tight loop and written back, so the draws are exactly those `rng.next()` would
 * have made, in the same order (tests/transforms/random_fill.test.ts checks this against
 * lib/core/rng.ts's sfc32).
 */
import type { Rng } from "../core/rng.ts";

/** Fill `out` with uniform draws in [0, 1), identical to successive `rng.next()` calls. */
export function fillUniform(rng: Rng, out: Float64Array): void {
  let [a, b, c, d] = rng.getState();
  for (let i = 0; i < out.length; i++) {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    out[i] = t / 4294967296;
  }
  rng.setState([a, b, c, d]);
}

/** Fill `out` with N(0, std²) draws (Box–Muller, both outputs used). */
export function fillGaussian(rng: Rng, out: Float32Array, std: number): void {
  const u = new Float64Array(out.length + (out.length & 1));
  fillUniform(rng, u);
  for (let i = 0; i < out.length; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(1 - u[i]));
    const t = 2 * Math.PI * u[i + 1];
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}
