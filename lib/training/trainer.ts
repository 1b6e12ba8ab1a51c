/**
 * The one training loop for every model family. Family specifics come from the task adapter;
 * everything else (optimiser, schedule, clipping, validation, logging, checkpoints, resume) is here.
 *
 * Exact resume. A checkpoint written after any step holds everything the remaining steps depend
 * on: weights (BatchNorm statistics included), AdamW moments and step, schedule and early-stopping
 * state, the epoch's sample order, the data generator's state after the last trained batch (it
 * drives shuffling and per-sample augmentation forks), the generator behind Math.random during
 * steps (tfjs draws unseeded dropout noise from it), the state of layers that keep their own Rng
 * (EfficientNet drop-connect), the running loss of the epoch, the metric history and, with
 * `config.ema`, the weight average (validation and checkpoints then use the average). Resuming
 * therefore gives bit-identical weights to a run that was never interrupted (tested).
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { evalPipeline, type Pipeline, sampleRng, trainPipeline } from "../transforms/pipeline.ts";
import { AdamW } from "./adamw.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import type { RunConfig } from "./config.ts";
import { type Batch, buildBatch, disposeBatch, type SampleSource } from "./data.ts";
import { WeightEma } from "./ema.ts";
import { evaluate, outputsAsArray } from "./evaluate.ts";
import { writeMetrics } from "./metrics_log.ts";
import { type EpochRecord, type ProgressSink, silentProgress, type StepInfo } from "./progress.ts";
import { createSchedule, EarlyStopping, type EarlyStoppingState } from "./schedule.ts";
import type { TaskAdapter } from "./tasks/types.ts";

export interface TrainOptions {
  config: RunConfig;
  model: tf.LayersModel;
  task: TaskAdapter;
  train: SampleSource;
  val: SampleSource;
  /**
   * Pipelines (lib/transforms); default trainPipeline(config) / evalPipeline(config). Only their
   * `augment` and `finish` run here: the sources already hold preprocessed samples.
   */
  trainPipeline?: Pipeline;
  evalPipeline?: Pipeline;
  /** Folder for metrics.csv / metrics.jsonl; omitted = no metric files. */
  runDir?: string;
  /** Folder for `best/` and `last/`; omitted = no checkpoints (and no resume). */
  checkpointDir?: string;
  /** Resume from this checkpoint folder (normally `<checkpointDir>/last`). */
  resumeFrom?: string;
  /** When aborted, the current step finishes, `last` is written and train() returns. */
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Called after every optimisation step (after `signal` is checked). */
  onStep?: (info: StepInfo & { globalStep: number }) => void;
  /** Called after every epoch's record is logged. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
}

export interface TrainResult {
  history: EpochRecord[];
  /** 0-based epoch of the best monitored metric, −1 if no epoch finished. */
  bestEpoch: number;
  bestMetric: number;
  globalStep: number;
  interrupted: boolean;
  stoppedEarly: boolean;
}

/** The JSON sidecar of a checkpoint (state.json → state). */
export interface TrainerState {
  version: 1;
  configName: string;
  /** Epoch in progress (0-based) and steps of it already done. */
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  /** Training-set indices of the epoch in progress, steps·batch long. */
  order: number[];
  dataRng: RngState;
  randomRng: RngState;
  layerRngs: RngState[];
  epochLossSum: number;
  epochSamples: number;
  schedule: Record<string, number>;
  earlyStopping: EarlyStoppingState;
  stoppedEarly: boolean;
  history: EpochRecord[];
}

/** Layers with their own seeded generator (e.g. DropConnect keeps `rng: Rng`), in model order. */
function layerRngs(model: tf.LayersModel): Rng[] {
  const out: Rng[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const layer of layers) {
      const rng = (layer as unknown as { rng?: unknown }).rng;
      if (rng instanceof Rng) out.push(rng);
      const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(inner)) visit(inner);
    }
  };
  visit(model.layers);
  return out;
}

/** Run `fn` with Math.random drawing from `rng`, so tfjs's unseeded random ops are reproducible. */
function withSeededMathRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

/** Epoch geometry: steps and the effective batch size for a training set of `n` samples. */
export function epochPlan(
  n: number,
  batchSize: number,
  stepsPerEpoch: number,
): { steps: number; batch: number } {
  if (n < 1) throw new Error("training set is empty");
  const batch = Math.min(batchSize, n);
  return { steps: stepsPerEpoch > 0 ? stepsPerEpoch : Math.floor(n / batch), batch };
}

/** The epoch's sample order: whole shuffled passes over the training set, cut to steps·batch. */
function drawOrder(rng: Rng, n: number, length: number): number[] {
  const order: number[] = [];
  while (order.length < length) order.push(...rng.shuffle(Array.from({ length: n }, (_, i) => i)));
  return order.slice(0, length);
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, model, task } = opts;
  const progress = opts.progress ?? silentProgress;
  const { steps, batch: batchSize } = epochPlan(
    opts.train.size,
    config.batchSize,
    config.stepsPerEpoch,
  );
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new AdamW(variables, config.optimizer);
  const schedule = createSchedule(config.schedule, config.optimizer.lr, config.epochs, steps);
  const early = new EarlyStopping(config.earlyStopping.patience, config.earlyStopping.minDelta);
  const dataRng = new Rng(config.seed);
  const randomRng = new Rng(config.seed ^ 0x5eed);
  const ownRngs = layerRngs(model);
  const trainPipe = opts.trainPipeline ?? trainPipeline(config);
  const evalPipe = opts.evalPipeline ?? evalPipeline(config);
  const ema = config.ema?.decay ? new WeightEma(model, config.ema.decay) : undefined;

  let st: TrainerState = {
    version: 1,
    configName: config.name,
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    order: [],
    dataRng: dataRng.getState(),
    randomRng: randomRng.getState(),
    layerRngs: ownRngs.map((r) => r.getState()),
    epochLossSum: 0,
    epochSamples: 0,
    schedule: schedule.getState(),
    earlyStopping: early.getState(),
    stoppedEarly: false,
    history: [],
  };
  if (opts.resumeFrom) {
    st = await loadCheckpoint(opts.resumeFrom, model, optimizer, ema) as TrainerState;
    if (st?.version !== 1) {
      throw new InputError(
        "checkpoint state has an unknown version",
        opts.resumeFrom,
        undefined,
        st?.version,
      );
    }
    dataRng.setState(st.dataRng);
    randomRng.setState(st.randomRng);
    if (st.layerRngs.length !== ownRngs.length) {
      throw new Error(
        `checkpoint has ${st.layerRngs.length} layer generators, the model ${ownRngs.length}`,
      );
    }
    ownRngs.forEach((r, i) => r.setState(st.layerRngs[i]));
    schedule.setState(st.schedule);
    early.setState(st.earlyStopping);
  }

  const snapshot = (): TrainerState => ({
    ...st,
    randomRng: randomRng.getState(),
    layerRngs: ownRngs.map((r) => r.getState()),
    schedule: schedule.getState(),
    earlyStopping: early.getState(),
  });
  const save = async (name: "last" | "best") => {
    if (opts.checkpointDir) {
      await saveCheckpoint(join(opts.checkpointDir, name), model, optimizer, snapshot(), ema);
    }
  };

  // The next batch is requested before the current step runs, so its sample loads (async I/O on
  // the first epoch) overlap the step. Augmentation generators depend on (seed, epoch, position in
  // the epoch) only, never on how many batches were built before: resume needs no extra state.
  const makeBatch = (step: number): Promise<Batch> => {
    const first = step * batchSize;
    const indices = st.order.slice(first, first + batchSize);
    const rngs = indices.map((_, k) => sampleRng(config.seed, st.epoch, first + k));
    return buildBatch(opts.train, indices, trainPipe, task, rngs);
  };

  const trainStep = (batch: Batch): number => {
    return withSeededMathRandom(randomRng, () => {
      const { value, grads } = tf.variableGrads(
        () =>
          task.loss(
            outputsAsArray(
              model.apply(batch.inputs, { training: true }) as tf.Tensor | tf.Tensor[],
            ),
            batch.targets,
          ),
        variables,
      );
      // A variable the loss does not reach (e.g. an unused head) gets a zero gradient.
      const ordered = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      optimizer.apply(ordered, config.gradClipNorm);
      ema?.update();
      const loss = value.dataSync()[0];
      tf.dispose([value, ...ordered, ...Object.values(grads)]);
      return loss;
    });
  };

  let interrupted = false;
  while (st.epoch < config.epochs && !st.stoppedEarly && !interrupted) {
    if (st.stepInEpoch === 0) {
      st.order = drawOrder(dataRng, opts.train.size, steps * batchSize);
      st.dataRng = dataRng.getState();
      st.epochLossSum = 0;
      st.epochSamples = 0;
    }
    const epochStart = performance.now();
    let trainSeconds = 0, trainImages = 0;
    let pending: Promise<Batch> | undefined = makeBatch(st.stepInEpoch);
    let lr = schedule.lrAt(st.globalStep);
    for (let step = st.stepInEpoch; step < steps; step++) {
      const batch = await pending!;
      pending = step + 1 < steps ? makeBatch(step + 1) : undefined;
      lr = schedule.lrAt(st.globalStep);
      optimizer.lr = lr;
      const t0 = performance.now();
      let loss: number;
      try {
        loss = trainStep(batch);
      } finally {
        disposeBatch(batch);
      }
      if (!Number.isFinite(loss)) {
        if (pending) disposeBatch(await pending);
        throw new Error(`training loss is ${loss} at epoch ${st.epoch + 1}, step ${step + 1}`);
      }
      trainSeconds += (performance.now() - t0) / 1000;
      trainImages += batch.indices.length;
      st.epochLossSum += loss * batch.indices.length;
      st.epochSamples += batch.indices.length;
      st.stepInEpoch = step + 1;
      st.globalStep += 1;
      const imgPerSec = trainImages / Math.max(trainSeconds, 1e-9);
      const info = {
        epoch: st.epoch,
        epochs: config.epochs,
        step,
        steps,
        loss: st.epochLossSum / st.epochSamples,
        lr,
        imgPerSec,
        etaSec: ((steps - step - 1) * batchSize) / imgPerSec,
        globalStep: st.globalStep,
      };
      progress.step(info);
      opts.onStep?.(info);
      // With cached samples every batch promise is already resolved, so nothing here would yield
      // to the event loop and Ctrl-C's listener could only run at the epoch's end.
      if (opts.signal) await new Promise((resolve) => setTimeout(resolve, 0));
      if (opts.signal?.aborted && st.stepInEpoch < steps) {
        if (pending) disposeBatch(await pending);
        await save("last");
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;

    const valStart = performance.now();
    const validate = () =>
      evaluate(model, opts.val, { task, pipeline: evalPipe, batchSize: config.batchSize });
    const ev = ema ? await ema.withAverage(validate) : await validate();
    const record: EpochRecord = {
      epoch: st.epoch + 1,
      lr,
      train_loss: st.epochLossSum / Math.max(1, st.epochSamples),
      val_loss: ev.loss,
      ...Object.fromEntries(Object.entries(ev.terms).map(([k, v]) => [`val_${k}`, v])),
      ...Object.fromEntries(Object.entries(ev.metrics).map(([k, v]) => [`val_${k}`, v])),
      train_img_s: trainImages / Math.max(trainSeconds, 1e-9),
      val_s: (performance.now() - valStart) / 1000,
      epoch_s: (performance.now() - epochStart) / 1000,
    };
    const monitored = record[config.monitor];
    schedule.endEpoch(monitored);
    st.stoppedEarly = early.update(st.epoch, monitored);
    st.history.push(record);
    if (opts.runDir) await writeMetrics(opts.runDir, st.history);
    progress.epoch(record, config.epochs);
    await opts.onEpoch?.(record);
    const isBest = early.bestEpochIndex === st.epoch;
    st.epoch += 1;
    st.stepInEpoch = 0;
    if (isBest) await save("best");
    await save("last");
    // A signal during the last epoch stops nothing: the run is complete, not interrupted.
    if (opts.signal?.aborted && st.epoch < config.epochs && !st.stoppedEarly) interrupted = true;
  }
  await progress.close();
  optimizer.dispose();
  return {
    history: st.history,
    bestEpoch: early.bestEpochIndex,
    bestMetric: early.bestValue,
    globalStep: st.globalStep,
    interrupted,
    stoppedEarly: st.stoppedEarly,
  };
}
