/**
 * k-fold cross-validation grouped by pregnancy, one training run per fold, mean ± std of every
 * metric (lib/inference/cv.ts).
 *
 *   deno task cv --model <family|registry model> [--config NAME] [--folds 5] [--data DIR]
 *                [--epochs N] [--set KEY=VALUE…] [--run-id ID] [--backend NAME]
 *
 * Rerun with the same --run-id to resume: finished folds are skipped, an interrupted one continues.
 */
import { parseArgs } from "node:util";
import { runStamp } from "../core/project.ts";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { cvText, runCrossValidation } from "../inference/cv.ts";
import { InterruptedError, withInterrupt } from "../inference/interrupt.ts";
import { FAMILIES, isFamily, standaloneFamilies } from "../inference/model_dir.ts";
import { describeModel } from "../models/mod.ts";
import { parseSetFlags, type RunConfig } from "../training/config.ts";
import { autoProgress } from "../training/progress.ts";
import { checkRunId } from "../training/run.ts";
import { resolveConfig } from "../training/tasks/mod.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task cv --model M [options]

  --model M         a family (${standaloneFamilies().join(", ")}) or a registry model name
                    (lib/models, e.g. coord-effb0-w0.5) trained with --config
  --config NAME     run config (default: the family's cpu config, or "cpu"); for a family, a bare
                    variant such as "quick" means <family>/quick
  --folds K         folds (default 5), grouped by pregnancy
  --data DIR        dataset folder (default: the config's, i.e. HC18 when imported, else phantoms)
  --epochs N        epochs per fold
  --set KEY=VALUE   any config key by dotted path, repeatable
  --run-id ID       results/runs/cv-ID (default: <UTC time>-<config>); reuse it to resume
  --backend NAME    tfjs backend to try first
  --help            this text

Writes results/runs/cv-<id>/cv_summary.{json,md,csv} and one run per fold (cv-<id>-fold<k>).`;

/** The config a `--model`/`--config` pair means (see HELP). */
export async function cvConfig(model: string, configName?: string): Promise<RunConfig> {
  if (isFamily(model)) {
    const family = FAMILIES[model];
    if (family.firstStage) {
      throw new InputError(
        `${model} is a coarse-to-fine second stage and is not cross-validated alone`,
        "--model",
        undefined,
        model,
      );
    }
    const name = configName === undefined
      ? family.config("cpu")
      : configName.includes("/")
      ? configName
      : family.config(configName);
    const config = await resolveConfig(name);
    if (config.task !== family.task) {
      throw new InputError(
        `config ${name} trains task ${config.task}, not ${model}'s ${family.task}`,
        "--config",
        undefined,
        name,
      );
    }
    return config;
  }
  describeModel(model); // throws InputError listing the known models
  const config = await resolveConfig(configName ?? "cpu");
  return { ...config, model: { name: model, options: {} } };
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      config: { type: "string" },
      folds: { type: "string", default: "5" },
      data: { type: "string" },
      epochs: { type: "string" },
      set: { type: "string", multiple: true },
      "run-id": { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new InputError("--model is required (see --help)");
  const folds = Number(values.folds);
  if (!(Number.isInteger(folds) && folds >= 2)) {
    throw new InputError("--folds must be an integer ≥ 2", undefined, undefined, values.folds);
  }
  const config = await cvConfig(values.model, values.config);
  const overrides: Record<string, string> = {};
  if (values.data !== undefined) overrides["data.dir"] = values.data;
  if (values.epochs !== undefined) overrides.epochs = values.epochs;
  Object.assign(overrides, parseSetFlags(values.set));
  const id = checkRunId(values["run-id"] ?? `${runStamp()}-${config.name.replaceAll("/", "-")}`);
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const result = await withInterrupt((signal) =>
    runCrossValidation({
      config,
      folds,
      id,
      overrides,
      backend,
      progress: () => autoProgress(),
      signal,
    })
  );
  console.log(`\n${folds}-fold cross-validation of ${result.config} (${result.model})\n`);
  console.log(cvText(result));
  console.log(`\nsummary: ${result.dir}/cv_summary.{json,md,csv}`);
  return 0;
}

if (import.meta.main) {
  await runMain(main, (err) => {
    if (!(err instanceof InterruptedError)) return undefined;
    console.error(`${err.message} (same --run-id)`);
    return 130;
  });
}
