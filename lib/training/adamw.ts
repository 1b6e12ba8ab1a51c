/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), which tfjs
 * lacks. The update follows PyTorch's torch.optim.AdamW, so the `prototype` config behaves like
 * the seed:
 *   p ← p − lr·wd·p                      (decay decoupled from the gradient, scaled by lr)
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 * The state (step count, m, v) is plain numbers and Float32Arrays, so it round-trips through a
 * checkpoint bit-exactly: an interrupted run resumes with the same moments it would have had.
 *
 * Gradient clipping by global norm is part of the update (as Keras' `global_clipnorm`): with
 * maxGradNorm > 0 and ‖g‖ > maxGradNorm over all gradients, every gradient is scaled by
 * maxGradNorm / (‖g‖ + 1e-6) first (PyTorch's clip_grad_norm_).
 *
 * Two equivalent implementations. On CPU backends (`cpu`, `cpu-dnnl`, `wasm`) clipping and update
 * are two fused passes over typed arrays, with m and v kept as Float32Arrays, instead of about 15
 * tensor ops and buffers per variable. On a half-width ResNet-18 (2.8 M parameters, 192 px, batch
 * 16, cpu-dnnl, loaded machine) clip + update went from 269 to about 45 ms of a 4–6 s step. On
 * other backends (GPU) the tensor form keeps the data on the device. Both compute in the same
 * order; the fused loops accumulate in float64 and round to float32 on store.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import type { OptimizerConfig } from "./config.ts";
import { clipByGlobalNorm } from "./grad_clip.ts";

export interface AdamWState {
  step: number;
  /** First and second moments, one per variable in the order given to the constructor. */
  m: Float32Array[];
  v: Float32Array[];
}

const CPU_BACKENDS = ["cpu", "cpu-dnnl", "wasm"];

/** The factor clip_grad_norm_ multiplies every gradient by (1 when no clipping is needed). */
function clipScale(grads: Float32Array[], maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  let sq = 0;
  for (const g of grads) for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
  return Math.min(1, maxNorm / (Math.sqrt(sq) + 1e-6));
}

export class AdamW {
  /** Learning rate for the next step; schedulers set it. */
  lr: number;
  /** Whether the fused typed-array update is used (decided once, from the active backend). */
  readonly fused: boolean;
  private readonly mArr: Float32Array[] = [];
  private readonly vArr: Float32Array[] = [];
  private readonly mVar: tf.Variable[] = [];
  private readonly vVar: tf.Variable[] = [];
  private t = 0;

  constructor(
    readonly variables: tf.Variable[],
    readonly options: OptimizerConfig,
    fused = CPU_BACKENDS.includes(tf.getBackend()),
  ) {
    this.lr = options.lr;
    this.fused = fused;
    if (fused) {
      for (const x of variables) {
        this.mArr.push(new Float32Array(x.size));
        this.vArr.push(new Float32Array(x.size));
      }
    } else {
      // tidy frees the zero tensors the variables were initialised from (variables survive tidy).
      this.mVar = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
      this.vVar = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
    }
  }

  get step(): number {
    return this.t;
  }

  /**
   * One update; `grads[i]` belongs to `variables[i]`; maxGradNorm > 0 clips by global norm first.
   * Gradients are not disposed here.
   */
  apply(grads: tf.Tensor[], maxGradNorm = 0): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`AdamW: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.t += 1;
    const { beta1, beta2, weightDecay } = this.options;
    // Bias corrections folded into one step size, as PyTorch does.
    const stepSize = this.lr / (1 - Math.pow(beta1, this.t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.t));
    const decay = 1 - this.lr * weightDecay;
    if (this.fused) {
      const g = grads.map((t) => t.dataSync() as Float32Array);
      this.applyFused(g, clipScale(g, maxGradNorm), stepSize, bc2Sqrt, decay);
      return;
    }
    if (!(maxGradNorm > 0)) {
      this.applyTensors(grads, stepSize, bc2Sqrt, decay);
      return;
    }
    const clipped = clipByGlobalNorm(grads, maxGradNorm);
    this.applyTensors(clipped.grads, stepSize, bc2Sqrt, decay);
    tf.dispose([clipped.norm, ...clipped.grads]);
  }

  private applyFused(
    grads: Float32Array[],
    scale: number,
    stepSize: number,
    bc2Sqrt: number,
    decay: number,
  ): void {
    const { beta1, beta2, epsilon } = this.options;
    const c1 = 1 - beta1, c2 = 1 - beta2;
    for (let i = 0; i < grads.length; i++) {
      const variable = this.variables[i];
      const p = variable.dataSync() as Float32Array;
      const g = grads[i];
      const m = this.mArr[i], v = this.vArr[i];
      const out = new Float32Array(p.length);
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] * scale;
        m[j] = beta1 * m[j] + c1 * gj;
        v[j] = beta2 * v[j] + c2 * gj * gj;
        out[j] = p[j] * decay - (m[j] / (Math.sqrt(v[j]) / bc2Sqrt + epsilon)) * stepSize;
      }
      const next = tf.tensor(out, variable.shape, "float32");
      variable.assign(next);
      next.dispose();
    }
  }

  private applyTensors(grads: tf.Tensor[], stepSize: number, bc2Sqrt: number, decay: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    tf.tidy(() => {
      for (let i = 0; i < grads.length; i++) {
        const g = grads[i];
        const p = this.variables[i];
        const m = tf.add(tf.mul(this.mVar[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.vVar[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), epsilon);
        const decayed = weightDecay === 0 ? p : tf.mul(p, decay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
        this.mVar[i].assign(m);
        this.vVar[i].assign(v);
      }
    });
  }

  async getState(): Promise<AdamWState> {
    if (this.fused) {
      return {
        step: this.t,
        m: this.mArr.map((a) => a.slice()),
        v: this.vArr.map((a) => a.slice()),
      };
    }
    return {
      step: this.t,
      m: await Promise.all(this.mVar.map((x) => x.data() as Promise<Float32Array>)),
      v: await Promise.all(this.vVar.map((x) => x.data() as Promise<Float32Array>)),
    };
  }

  setState(state: AdamWState): void {
    const n = this.variables.length;
    if (state.m.length !== n || state.v.length !== n) {
      throw new InputError(`optimiser state has ${state.m.length} moments for ${n} variables`);
    }
    for (let i = 0; i < n; i++) {
      const size = this.variables[i].size;
      if (state.m[i].length !== size || state.v[i].length !== size) {
        throw new InputError(
          `optimiser state for variable ${i} (${this.variables[i].name}) has the wrong size`,
          undefined,
          undefined,
          { expected: size, m: state.m[i].length, v: state.v[i].length },
        );
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.fused) {
        this.mArr[i].set(state.m[i]);
        this.vArr[i].set(state.v[i]);
      } else {
        const shape = this.variables[i].shape;
        tf.tidy(() => {
          this.mVar[i].assign(tf.tensor(state.m[i], shape));
          this.vVar[i].assign(tf.tensor(state.v[i], shape));
        });
      }
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const x of [...this.mVar, ...this.vVar]) x.dispose();
  }
}
