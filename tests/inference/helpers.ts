/**
 * Fixtures for the inference tests: a tiny phantom dataset and a real training run on it (a
 * registry model at 32 px, two optimisation steps, through lib/training/run.ts), so predictions go
 * through exactly the checkpoint and config files a user's run leaves behind.
 */
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { mergeConfig, type RunConfig } from "../../lib/training/config.ts";
import { silentProgress } from "../../lib/training/progress.ts";
import { type RunOutcome, runTraining } from "../../lib/training/run.ts";
import { resolveConfig } from "../../lib/training/tasks/mod.ts";

/** A training run in its own temp folder, removed when an `await using` scope ends. */
export interface TinyRun extends AsyncDisposable {
  root: string;
  dataDir: string;
  outcome: RunOutcome;
}

/** Phantom dataset (count images of width×height) under root/data. */
export async function tinyDataset(
  root: string,
  count = 8,
  width = 64,
  height = 48,
): Promise<string> {
  const dataDir = join(root, "data");
  await writePhantomDataset(dataDir, { count, seed: 3, width, height });
  return dataDir;
}

/**
 * Train `configName` (a family's config) for 2 steps at 32 px on `images` phantoms (a quarter of
 * them validation images), in a temp root.
 */
export async function tinyRun(
  configName = "quick",
  over: Partial<RunConfig> = {},
  images = 8,
): Promise<TinyRun> {
  await initBackend({ prefer: "cpu" });
  const root = await Deno.makeTempDir({ prefix: "inference-test-" });
  const dataDir = await tinyDataset(root, images);
  const config = mergeConfig(await resolveConfig(configName), {
    inputSize: 32,
    batchSize: 2,
    epochs: 1,
    stepsPerEpoch: 2,
    visualiseCount: 0,
    data: { dir: dataDir, valFraction: 0.25 },
    ...over,
  });
  const outcome = await runTraining({
    config,
    runId: "tiny",
    resultsRoot: join(root, "results", "runs"),
    checkpointsRoot: join(root, "checkpoints", "runs"),
    progress: silentProgress,
    log: () => {},
  });
  return {
    root,
    dataDir,
    outcome,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}
