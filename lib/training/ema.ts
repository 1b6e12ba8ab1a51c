/**
 * Exponential moving average of a model's weights (Polyak averaging, as timm's ModelEmaV2): after
 * every optimisation step
 *   shadow ← d·shadow + (1 − d)·w,   d = min(decay, (1 + n) / (10 + n)),  n = updates so far,
 * over all weights, BatchNorm statistics included. The warm-up term lets the average follow the
 * fast early changes instead of dragging the random initialisation along. Validation, `best` and
 * shipped weights are the average: it smooths the epoch-to-epoch jitter that a small validation
 * set turns into a lucky or unlucky `best` epoch.
 *
 * The shadow is plain Float32Arrays updated in float64 and rounded on store, so it round-trips
 * through a checkpoint bit-exactly and resume stays exact.
 */
import * as tf from "@tensorflow/tfjs";

export class WeightEma {
  private readonly shadow: Float32Array[];
  private n = 0;

  /** Starts from the model's current weights. */
  constructor(private readonly model: tf.LayersModel, readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new Error(`EMA decay must be in (0, 1), got ${decay}`);
    this.shadow = weightValues(model);
  }

  get updates(): number {
    return this.n;
  }

  /** Fold the model's current weights into the average (call once per optimisation step). */
  update(): void {
    const d = Math.min(this.decay, (1 + this.n) / (10 + this.n));
    const weights = this.model.weights;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i].read().dataSync() as Float32Array;
      const s = this.shadow[i];
      for (let j = 0; j < s.length; j++) s[j] = d * s[j] + (1 - d) * w[j];
    }
    this.n += 1;
  }

  /** Run `fn` with the averaged weights in the model; the training weights are put back after. */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    const training = weightValues(this.model);
    setWeightValues(this.model, this.shadow);
    try {
      return await fn();
    } finally {
      setWeightValues(this.model, training);
    }
  }

  /** Restore an average saved with the checkpoint (the weights `withAverage` showed, and `updates`). */
  setState(state: { updates: number; shadow: Float32Array[] }): void {
    if (state.shadow.length !== this.shadow.length) {
      throw new Error(
        `EMA state has ${state.shadow.length} tensors, the model ${this.shadow.length}`,
      );
    }
    state.shadow.forEach((s, i) => {
      if (s.length !== this.shadow[i].length) {
        throw new Error(
          `EMA tensor ${i} has ${s.length} values, the model ${this.shadow[i].length}`,
        );
      }
      this.shadow[i].set(s);
    });
    this.n = state.updates;
  }
}

/** Copies of all of a model's weights, in `model.weights` order. */
export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
}

/** Set all of a model's weights from arrays in `model.weights` order. */
export function setWeightValues(model: tf.LayersModel, values: Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(values[i], w.read().shape));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
