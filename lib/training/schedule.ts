/**
 * Learning-rate schedules and early stopping. Both are small state machines with JSON state, so a
 * resumed run continues exactly where it stopped.
 *
 * Semantics follow the reference implementations people already know:
 * - ReduceLROnPlateau = PyTorch's (mode "min", threshold_mode "rel"): an epoch improves when
 *   metric < best·(1 − threshold); after more than `patience` epochs without improvement the lr
 *   is multiplied by `factor` (floored at minLr), then `cooldown` epochs pass before counting again.
 *   With patience 10, a run that stops improving after epoch e is reduced at the end of epoch e+11.
 * - Early stopping = Keras's: stop once `patience` consecutive epochs fail to improve on the best by
 *   more than minDelta, i.e. at the end of epoch e+patience.
 */
import type { ScheduleConfig } from "./config.ts";

export interface LrSchedule {
  /** Learning rate for the optimisation step `globalStep` (0-based, counted over the whole run). */
  lrAt(globalStep: number): number;
  /** Report an epoch's monitored validation metric (lower is better). */
  endEpoch(metric: number): void;
  getState(): Record<string, number>;
  setState(state: Record<string, number>): void;
}

export class ConstantLr implements LrSchedule {
  constructor(private readonly lr: number) {}
  lrAt(): number {
    return this.lr;
  }
  endEpoch(): void {}
  getState(): Record<string, number> {
    return {};
  }
  setState(): void {}
}

export class ReduceLROnPlateau implements LrSchedule {
  private lr: number;
  private best = Infinity;
  private badEpochs = 0;
  private cooldownLeft = 0;

  constructor(
    initialLr: number,
    private readonly opts: Pick<
      ScheduleConfig,
      "factor" | "patience" | "threshold" | "cooldown" | "minLr"
    >,
  ) {
    this.lr = initialLr;
  }

  lrAt(): number {
    return this.lr;
  }

  endEpoch(metric: number): void {
    if (metric < this.best * (1 - this.opts.threshold)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs += 1;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.opts.patience) {
      this.lr = Math.max(this.lr * this.opts.factor, this.opts.minLr);
      this.cooldownLeft = this.opts.cooldown;
      this.badEpochs = 0;
    }
  }

  getState(): Record<string, number> {
    return {
      lr: this.lr,
      best: this.best,
      badEpochs: this.badEpochs,
      cooldownLeft: this.cooldownLeft,
    };
  }

  setState(s: Record<string, number>): void {
    this.lr = s.lr;
    this.best = s.best ?? Infinity; // JSON turns Infinity into null
    this.badEpochs = s.badEpochs;
    this.cooldownLeft = s.cooldownLeft;
  }
}

/**
 * Linear warm-up from lr·warmupStartFactor to lr over `warmupSteps`, then half a cosine from lr
 * down to minLr, reached at the last step (`totalSteps − 1`). A pure function of the step, so it
 * has no state to save.
 */
export class CosineWarmup implements LrSchedule {
  constructor(
    private readonly lr: number,
    private readonly minLr: number,
    private readonly warmupSteps: number,
    private readonly totalSteps: number,
    private readonly warmupStartFactor: number,
  ) {}

  lrAt(step: number): number {
    if (step < this.warmupSteps) {
      const f = this.warmupStartFactor + (1 - this.warmupStartFactor) * (step / this.warmupSteps);
      return this.lr * f;
    }
    const span = Math.max(1, this.totalSteps - 1 - this.warmupSteps);
    const progress = Math.min(1, (step - this.warmupSteps) / span);
    return this.minLr + 0.5 * (this.lr - this.minLr) * (1 + Math.cos(Math.PI * progress));
  }

  endEpoch(): void {}
  getState(): Record<string, number> {
    return {};
  }
  setState(): void {}
}

export function createSchedule(
  cfg: ScheduleConfig,
  lr: number,
  epochs: number,
  stepsPerEpoch: number,
): LrSchedule {
  switch (cfg.kind) {
    case "plateau":
      return new ReduceLROnPlateau(lr, cfg);
    case "cosine-warmup":
      return new CosineWarmup(
        lr,
        cfg.minLr,
        Math.round(cfg.warmupEpochs * stepsPerEpoch),
        epochs * stepsPerEpoch,
        cfg.warmupStartFactor,
      );
    case "constant":
      return new ConstantLr(lr);
  }
}

export interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  wait: number;
}

export class EarlyStopping {
  private best = Infinity;
  private bestEpoch = -1;
  private wait = 0;

  /** patience 0 disables stopping (the best epoch is still tracked). */
  constructor(private readonly patience: number, private readonly minDelta = 0) {}

  /** Record an epoch's metric; returns true when training should stop after this epoch. */
  update(epoch: number, metric: number): boolean {
    if (metric < this.best - this.minDelta) {
      this.best = metric;
      this.bestEpoch = epoch;
      this.wait = 0;
      return false;
    }
    this.wait += 1;
    return this.patience > 0 && this.wait >= this.patience;
  }

  /** Epoch of the best metric so far (−1 before any); the trainer saves `best` when it is the current one. */
  get bestEpochIndex(): number {
    return this.bestEpoch;
  }

  get bestValue(): number {
    return this.best;
  }

  getState(): EarlyStoppingState {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      bestEpoch: this.bestEpoch,
      wait: this.wait,
    };
  }

  setState(s: EarlyStoppingState): void {
    this.best = s.best ?? Infinity;
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
  }
}
