/**
 * Task adapters by name. Each task lives in `lib/training/tasks/<task>.ts` and exports
 * `createTask: TaskAdapterFactory`; importing the module may also register its family configs
 * (`<task>/cpu`, …) with registerConfig. Loading by convention keeps this file free of edits when
 * a family is added.
 */
import { InputError } from "../../core/errors.ts";
import { getConfig } from "../configs.ts";
import { type RunConfig, TASK_NAMES, type TaskName } from "../config.ts";
import type { TaskAdapter, TaskAdapterFactory } from "./types.ts";

export type {
  ModelSample,
  Prediction,
  SampleMeta,
  TaskAdapter,
  TaskMetricAccumulator,
} from "./types.ts";

const loaded = new Map<TaskName, TaskAdapterFactory>();

/** Import a task's module (registering its configs) and return its adapter factory. */
export async function loadTask(task: TaskName): Promise<TaskAdapterFactory> {
  const known = loaded.get(task);
  if (known) return known;
  if (!TASK_NAMES.includes(task)) {
    throw new InputError(
      `unknown task "${task}"; known: ${TASK_NAMES.join(", ")}`,
      undefined,
      undefined,
      task,
    );
  }
  let mod: { createTask?: TaskAdapterFactory };
  try {
    mod = await import(`./${task}.ts`);
  } catch (err) {
    throw new InputError(
      `task "${task}" has no adapter module yet (lib/training/tasks/${task}.ts): ${err}`,
    );
  }
  if (typeof mod.createTask !== "function") {
    throw new Error(`lib/training/tasks/${task}.ts does not export createTask`);
  }
  loaded.set(task, mod.createTask);
  return mod.createTask;
}

export async function createTaskAdapter(config: RunConfig): Promise<TaskAdapter> {
  return (await loadTask(config.task))(config);
}

/** Config families named after their model (or coarse-to-fine stage) rather than their task. */
const FAMILY_TASKS: Readonly<Record<string, TaskName>> = {
  unet: "segmentation",
  deeplab: "segmentation",
  "heatmap-fine": "heatmap",
  "unet-fine": "segmentation",
  "deeplab-fine": "segmentation",
};

/**
 * Resolve a config name, importing the task module first for family names (`heatmap/cpu` needs
 * lib/training/tasks/heatmap.ts, which registers it; `unet/cpu` needs segmentation.ts).
 */
export async function resolveConfig(name: string): Promise<RunConfig> {
  const family = name.includes("/") ? name.split("/")[0] : undefined;
  if (family !== undefined) await loadTask(FAMILY_TASKS[family] ?? family as TaskName);
  return getConfig(name);
}
