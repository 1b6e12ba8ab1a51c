/** Shared helpers: run the same computation on two tfjs backends and compare plain arrays. */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng.ts";
import { type BackendReport, initBackend } from "../../lib/backend/mod.ts";

let report: BackendReport | undefined;

/** The backend initBackend picks here (cpu-dnnl, or wasm when BIOMETRY_DNNL_PATH hides oneDNN). */
export async function backendUnderTest(): Promise<{ name: string; report: BackendReport }> {
  report ??= await initBackend();
  return { name: report.details.tfBackend as string, report };
}

export function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** max |a − b| / max |b| (b is the reference); 0 when both are all zero. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  if (Number.isNaN(diff)) return Infinity;
  return ref === 0 ? diff : diff / ref;
}

export interface Evaluation {
  out: Float32Array;
  outShape: number[];
  grads: Float32Array[];
}

/**
 * Evaluates f on `backend` with the given input arrays: its output and the gradients of
 * Σ out·weights (weights fixed per case) with respect to the inputs listed in `diff`.
 */
export async function evaluate(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: { values: Float32Array; shape: number[] }[],
  diff: number[],
  weightSeed: number,
): Promise<Evaluation> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
      const out = f(...xs);
      const weights = tf.tensor(randomArray(out.size, new Rng(weightSeed)), out.shape);
      const loss = (...ds: tf.Tensor[]) => {
        const all = xs.map((x, i) => (diff.includes(i) ? ds[diff.indexOf(i)] : x));
        return f(...all).mul(weights).sum() as tf.Scalar;
      };
      const grads = diff.length ? tf.grads(loss)(diff.map((i) => xs[i])) : [];
      return {
        out: out.dataSync() as Float32Array,
        outShape: out.shape,
        grads: grads.map((g) => g.dataSync() as Float32Array),
      };
    });
  } finally {
    await tf.setBackend(previous);
  }
}
