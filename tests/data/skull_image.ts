import type { Ellipse, GrayImage } from "../../lib/core/types.ts";
import { Rng } from "../../lib/core/rng.ts";

/**
 * A dark 320×240 image with a bright skull echo: intensity peaks (Gaussian, σ 0.025) at elliptic
 * radius 0.97 about `e`, as the bone lies just inside an outer-edge outline; optional uniform
 * speckle of ± `noise`.
 */
export function skullImage(e: Ellipse, noise = 0, seed = 0): GrayImage {
  const width = 320, height = 240, rng = new Rng(seed);
  const data = new Float32Array(width * height);
  const c = Math.cos(e.angle), s = Math.sin(e.angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - e.cx, dy = y - e.cy;
      const rho = Math.hypot((dx * c + dy * s) / e.a, (-dx * s + dy * c) / e.b);
      const v = 30 + 170 * Math.exp(-0.5 * ((rho - 0.97) / 0.025) ** 2);
      data[y * width + x] = v + (noise ? rng.uniform(-noise, noise) : 0);
    }
  }
  return { width, height, data };
}
