/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), which tfjs
 * lacks. The update follows PyTorch's torch.optim.AdamW, so the `prototype` config behaves like
 * the seed:
 *   p ← p − lr·wd·p                      (decay decoupled from the gradient, scaled by lr)
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 * The state (step count, m, v) is plain numbers and Float32Arrays, so it round-trips through a
 * checkpoint bit-exactly: an interrupted run resumes with the same moments it would have had.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import type { OptimizerConfig } from "./config.ts";

export interface AdamWState {
  step: number;
  /** First and second moments, one per variable in the order given to the constructor. */
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  /** Learning rate for the next step; schedulers set it. */
  lr: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(readonly variables: tf.Variable[], readonly options: OptimizerConfig) {
    this.lr = options.lr;
    // tidy frees the zero tensors the variables were initialised from (variables survive tidy).
    this.m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  get step(): number {
    return this.t;
  }

  /** One update; `grads[i]` belongs to `variables[i]`. Gradients are not disposed here. */
  apply(grads: tf.Tensor[]): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`AdamW: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const lr = this.lr;
    // Bias corrections folded into one step size, as PyTorch does, so the hot loop is 8 ops/variable.
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.t));
    const stepSize = lr / bc1;
    const decay = 1 - lr * weightDecay;
    tf.tidy(() => {
      for (let i = 0; i < grads.length; i++) {
        const g = grads[i];
        const p = this.variables[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), epsilon);
        const decayed = weightDecay === 0 ? p : tf.mul(p, decay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
        this.m[i].assign(m);
        this.v[i].assign(v);
      }
    });
  }

  async getState(): Promise<AdamWState> {
    return {
      step: this.t,
      m: await Promise.all(this.m.map((x) => x.data() as Promise<Float32Array>)),
      v: await Promise.all(this.v.map((x) => x.data() as Promise<Float32Array>)),
    };
  }

  setState(state: AdamWState): void {
    const n = this.variables.length;
    if (state.m.length !== n || state.v.length !== n) {
      throw new InputError(`optimiser state has ${state.m.length} moments for ${n} variables`);
    }
    for (let i = 0; i < n; i++) {
      const shape = this.variables[i].shape;
      const size = this.variables[i].size;
      if (state.m[i].length !== size || state.v[i].length !== size) {
        throw new InputError(
          `optimiser state for variable ${i} (${this.variables[i].name}) has the wrong size`,
          undefined,
          undefined,
          { expected: size, m: state.m[i].length, v: state.v[i].length },
        );
      }
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(state.m[i], shape));
        this.v[i].assign(tf.tensor(state.v[i], shape));
      });
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
