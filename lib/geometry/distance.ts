/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance transforms of sampled
 * functions", Theory of Computing 8, 2012): two passes of the 1-D lower-envelope-of-parabolas
 * algorithm, O(W·H). Used for surface distances (Hausdorff) between mask boundaries.
 */
import type { Mask } from "../core/types.ts";

/** Abscissa where the parabolas rooted at q and p intersect. */
function intersection(f: Float64Array, q: number, p: number): number {
  return ((f[q] + q * q) - (f[p] + p * p)) / (2 * q - 2 * p);
}

/** 1-D squared distance transform of f (Infinity = no seed) into d, in place via buffers. */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // z[0] = -Infinity, so the envelope never empties.
    let s = intersection(f, q, v[k]);
    while (s <= z[k]) s = intersection(f, q, v[--k]);
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    d.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    d[q] = (q - v[j]) ** 2 + f[v[j]];
  }
}

/**
 * Squared Euclidean distance (in pixels²) from every pixel centre to the nearest set pixel of
 * `seeds`; Infinity everywhere when `seeds` is empty.
 */
export function squaredDistanceTransform(seeds: Mask): Float64Array {
  const { width: w, height: h } = seeds;
  const n = Math.max(w, h);
  const f = new Float64Array(n), d = new Float64Array(n), z = new Float64Array(n + 1);
  const v = new Int32Array(n);
  const out = new Float64Array(w * h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = seeds.data[y * w + x] ? 0 : Infinity;
    edt1d(f, h, d, v, z);
    for (let y = 0; y < h; y++) out[y * w + x] = d[y];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = out[y * w + x];
    edt1d(f, w, d, v, z);
    for (let x = 0; x < w; x++) out[y * w + x] = d[x];
  }
  return out;
}
