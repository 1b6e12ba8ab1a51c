/** Public surface of the training engine (see each module for details). */
export {
  applyOverrides,
  type DeepPartial,
  FLAG_PATHS,
  mergeConfig,
  type RunConfig,
  TASK_NAMES,
  type TaskName,
  validateConfig,
} from "./config.ts";
export { BASE, configNames, describeConfig, getConfig, registerConfig } from "./configs.ts";
export { AdamW, type AdamWState } from "./adamw.ts";
export { clipByGlobalNorm } from "./grad_clip.ts";
export {
  ConstantLr,
  CosineWarmup,
  createSchedule,
  EarlyStopping,
  type LrSchedule,
  ReduceLROnPlateau,
} from "./schedule.ts";
export {
  type Batch,
  buildBatch,
  createSource,
  disposeBatch,
  type LoadedSample,
  memorySource,
  type SampleSource,
} from "./data.ts";
export { evaluate, type Evaluation, landmarkMetrics } from "./evaluate.ts";
export {
  loadCheckpoint,
  loadModel,
  loadWeightsInto,
  readCheckpointState,
  saveCheckpoint,
} from "./checkpoint.ts";
export {
  autoProgress,
  type EpochRecord,
  jupyterProgress,
  type ProgressSink,
  silentProgress,
  type StepInfo,
  terminalProgress,
} from "./progress.ts";
export { train, type TrainOptions, type TrainResult } from "./trainer.ts";
export {
  CHECKPOINTS_ROOT,
  curvesFigure,
  resolveDataDir,
  RESULTS_ROOT,
  type RunOptions,
  type RunOutcome,
  runTraining,
  splitRecords,
} from "./run.ts";
export { createTaskAdapter, loadTask, resolveConfig } from "./tasks/mod.ts";
export type {
  ModelSample,
  Prediction,
  SampleMeta,
  TaskAdapter,
  TaskAdapterFactory,
  TaskMetricAccumulator,
} from "./tasks/types.ts";
