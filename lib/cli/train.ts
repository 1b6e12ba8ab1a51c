/**
 * Train a model.
 *
 *   deno task train [--config cpu] [--model <name>] [--data <dir>] [--epochs N] [--batch N] …
 *   deno task train --resume <run-id> [--epochs N]
 *
 * Ctrl-C finishes the current step, writes the `last` checkpoint and exits; `--resume` continues
 * from it with the same final weights as an uninterrupted run. A second Ctrl-C exits at once.
 */
import { parseArgs } from "node:util";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { withInterrupt } from "../inference/interrupt.ts";
import { FLAG_PATHS, parseSetFlags, type RunConfig, TASK_NAMES } from "../training/config.ts";
import { configNames, describeConfig } from "../training/configs.ts";
import { autoProgress } from "../training/progress.ts";
import { runTraining } from "../training/run.ts";
import { loadTask, resolveConfig } from "../training/tasks/mod.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task train [options]

  --config NAME     named config (default: cpu); --list shows them
  --model NAME      model from the registry (lib/models), e.g. efficientnet-b3, coord-r18-w0.5
  --data DIR        dataset folder, or "hc18" / "phantoms" (default: data/hc18 if imported, else
                    phantoms, generated on demand)
  --epochs N  --batch N  --lr X  --size S  --seed N  --limit N  --steps N
                    shorthands for config keys (epochs, batchSize, optimizer.lr, inputSize, seed,
                    data.limit, stepsPerEpoch)
  --set KEY=VALUE   any config key by dotted path, repeatable (e.g. --set schedule.kind=plateau)
  --run-id ID       name of the run folder (default: <UTC time>-<config>-<model>); an id
                    that already has checkpoints needs --resume
  --resume ID       continue run ID from checkpoints/runs/ID/last, exactly: its config.json is
                    reused; only epochs (not under cosine-warmup), earlyStopping.patience,
                    data.dir (same images) and visualiseCount may change
  --backend NAME    tfjs backend to try first (tfjs-node-gpu, tfjs-node, cpu-dnnl, wasm, cpu)
  --list            list the named configs
  --help            this text

Writes results/runs/<run-id>/{config.json, run.json, metrics.csv, metrics.jsonl, curves.png,
predictions_vs_gt.csv, visualise/} and checkpoints/runs/<run-id>/{best,last}/.`;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      model: { type: "string" },
      set: { type: "string", multiple: true },
      "run-id": { type: "string" },
      resume: { type: "string" },
      backend: { type: "string" },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...Object.fromEntries(Object.keys(FLAG_PATHS).map((k) => [k, { type: "string" as const }])),
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    // Family configs register when their task module loads.
    for (const task of TASK_NAMES) await loadTask(task);
    for (const name of configNames()) console.log(`${name.padEnd(22)} ${describeConfig(name)}`);
    return 0;
  }
  const overrides: Record<string, string> = {};
  const flagValues = values as Record<string, unknown>;
  for (const [flag, path] of Object.entries(FLAG_PATHS)) {
    const v = flagValues[flag];
    if (typeof v === "string") overrides[path] = v;
  }
  if (values.model) overrides["model.name"] = values.model;
  Object.assign(overrides, parseSetFlags(values.set));

  // A resumed run replays its own config.json: flags that would choose another are mistakes.
  if (values.resume !== undefined) {
    const wrong = [
      ...(values.config !== undefined ? ["--config"] : []),
      ...(values["run-id"] !== undefined && values["run-id"] !== values.resume ? ["--run-id"] : []),
    ];
    if (wrong.length) {
      throw new InputError(
        `${wrong.join(" and ")} cannot be used with --resume: the run continues with its own ` +
          "config.json under its own id",
      );
    }
  }
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const config: RunConfig = await resolveConfig(values.config ?? "cpu");

  return await withInterrupt(async (signal) => {
    const outcome = await runTraining({
      config,
      runId: values.resume ?? values["run-id"],
      resume: values.resume !== undefined,
      overrides,
      backend,
      signal,
      progress: autoProgress(),
    });
    const t = outcome.training;
    if (t.interrupted) {
      console.error(
        `interrupted after step ${t.globalStep}; resume with: deno task train --resume ${outcome.runId}`,
      );
      return 130;
    }
    const best = t.history[t.bestEpoch];
    console.error(
      `done: ${t.history.length} epochs${t.stoppedEarly ? " (early stop)" : ""}; best epoch ${
        t.bestEpoch + 1
      }` +
        (best
          ? `: val MRE ${best.val_mre_px?.toFixed(2)} px, ` +
            // No mm without pixel sizes (a label file without pixel_size_mm).
            (Number.isFinite(best.val_mre_mm) ? `${best.val_mre_mm!.toFixed(2)} mm, ` : "") +
            `spread ${best.val_spread_x?.toFixed(2)}/${best.val_spread_y?.toFixed(2)}`
          : ""),
    );
    console.error(`results: ${outcome.runDir}\ncheckpoints: ${outcome.checkpointDir}`);
    return 0;
  });
}

if (import.meta.main) await runMain(main);
