/**
 * The workspace in one command: train a small version of each model family on the phantom data,
 * score them on the same validation split, and write a comparison table and figures.
 *
 *   deno task demo [--data <dir>] [--families coord,heatmap,unet,deeplab] [--variant quick]
 *                  [--epochs N] [--run-id ID] [--backend NAME]
 *
 * Writes results/runs/demo-<id>/{comparison.md, comparison.csv, comparison.json, *.png, gallery.png}
 * and one training run per family (results/runs/demo-<id>-<family>/, checkpoints/runs/…). Run it
 * again with the same --run-id to resume after an interrupt.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { optionalPositiveInt } from "./args.ts";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import {
  comparisonText,
  DEMO_FAMILIES,
  runComparison,
  writeComparison,
} from "../inference/compare.ts";
import { InterruptedError, withInterrupt } from "../inference/interrupt.ts";
import { FAMILIES, standaloneFamilies } from "../inference/model_dir.ts";
import { exists } from "../core/fs.ts";
import { DATASET_FILE } from "../data/dataset.ts";
import { writePhantomDataset } from "../data/phantom_dataset.ts";
import { autoProgress } from "../training/progress.ts";
import { PROJECT_ROOT, runStamp } from "../core/project.ts";
import { RESULTS_ROOT } from "../training/run.ts";
import { runMain } from "./run_main.ts";

/**
 * Training length per family for the demo (the `quick` configs: 64 px, batch 8). Measured with
 * `deno task demo` (cpu-dnnl, 2026-11-30): at 8 × 45 steps each, 6.0 min in all on a shared
 * machine (load ≈ 10) and 2.2 min on an idle one after the faster kernels; validation MRE U-Net
 * 1.6 mm, DeepLabV3+ 5.9 mm, heatmap 10.3 mm, coordinate regression 29.6 mm (near the mean shape).
 * The landmark families learn slowest, so they get more steps: coordinate regression 20 × 90 and
 * heatmaps 16 × 90 took 95 s and 108 s (idle machine) and reached 17.7 mm and 4.4 mm. The whole
 * demo stays near 5 min idle, leaving room for a busier machine within the 15-minute budget.
 * Since the `cpu` coordinate config trains with dynamicOrder (evening of 2026-11-30), the demo's
 * coordinate regression reaches 21.1 mm instead (14.6 mm with dynamicOrder 0 in the same
 * checkout): in a run this short the pair order, chosen against near-mean early predictions, is
 * still noisy. On HC18 over 150 epochs it was 19.8 against 20.1 px. Whole demo: 4.7 min. Without
 * the dropout before the coordinate head's linear output (1 Dec, `outputDropout: 0` in `cpu`, which
 * `quick` extends): coordinate regression 12.2 mm, the others unchanged; 5.1 min on one thread
 * beside a training run.
 */
export const DEMO_SCHEDULE: Readonly<Record<string, { epochs: number; steps: number }>> = {
  coord: { epochs: 20, steps: 90 },
  heatmap: { epochs: 16, steps: 90 },
  unet: { epochs: 8, steps: 45 },
  deeplab: { epochs: 8, steps: 45 },
};

/**
 * The demo's own phantom set (HC18-sized 800×540 frames, HC18-style groups), generated on first
 * use, so every demo trains and validates on the same images whatever data/phantoms holds.
 */
export const DEMO_PHANTOMS = {
  dir: join(PROJECT_ROOT, "data", "demo-phantoms"),
  count: 160,
  seed: 7,
};

async function ensureDemoPhantoms(): Promise<string> {
  const { dir, count, seed } = DEMO_PHANTOMS;
  if (!await exists(join(dir, DATASET_FILE))) {
    console.error(`generating ${count} phantoms in ${dir} …`);
    await writePhantomDataset(dir, { count, seed });
  }
  return dir;
}

const HELP = `Usage: deno task demo [options]

Trains a small version of each model family (${
  DEMO_FAMILIES.join(", ")
}) on ${DEMO_PHANTOMS.count} phantoms
(data/demo-phantoms, generated on first use),
evaluates all of them on the same validation split and prints a comparison table (MRE px/mm, SDR,
|ΔHC|, Dice, ms/image, parameters, training time). About 5 minutes on an idle 2-core CPU.

  --data DIR        dataset folder (e.g. data/hc18 after \`deno task data:hc18\`) instead of phantoms
  --families LIST   comma-separated subset of: ${standaloneFamilies().join(", ")}
  --variant NAME    config variant of every family (default quick; cpu = the full CPU recipes)
  --epochs N        epochs for every family (default: the demo schedule)
  --run-id ID       output folder results/runs/demo-ID; an existing one is resumed
  --backend NAME    tfjs backend to try first
  --help            this text`;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      families: { type: "string" },
      variant: { type: "string", default: "quick" },
      epochs: { type: "string" },
      "run-id": { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const families = values.families
    ? values.families.split(",").map((f) => f.trim())
    : [...DEMO_FAMILIES];
  for (const f of families) {
    if (!FAMILIES[f] || FAMILIES[f].firstStage) {
      throw new InputError(
        `unknown family; known: ${standaloneFamilies().join(", ")}`,
        "--families",
        undefined,
        f,
      );
    }
  }
  optionalPositiveInt(values.epochs, "--epochs");
  const id = values["run-id"] ?? runStamp();
  const prefix = `demo-${id}`;
  const outDir = join(RESULTS_ROOT, prefix);
  const schedule = values.variant === "quick";
  const familyOverrides = Object.fromEntries(families.map((f) => {
    const s = DEMO_SCHEDULE[f];
    const o: Record<string, string> = schedule && s
      ? { epochs: String(s.epochs), stepsPerEpoch: String(s.steps) }
      : {};
    if (values.epochs !== undefined) o.epochs = values.epochs;
    return [f, o];
  }));

  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const data = values.data ?? await ensureDemoPhantoms();
  console.error(
    `demo ${prefix}: ${families.join(", ")} (${values.variant}) on ${data} → ${outDir}`,
  );
  const started = performance.now();
  const results = await withInterrupt((signal) =>
    runComparison({
      families,
      variant: values.variant!,
      prefix,
      data,
      familyOverrides,
      backend,
      progress: () => autoProgress(),
      signal,
    })
  );
  const wallSec = (performance.now() - started) / 1000;
  const files = await writeComparison(outDir, results, {
    data,
    variant: values.variant,
    backend: `${backend.name} (${backend.threads} threads)`,
    wall_clock_s: Math.round(wallSec),
  });
  console.log(`\n${comparisonText(results)}\n`);
  console.log(`comparison: ${files.markdown}\nwall clock: ${(wallSec / 60).toFixed(1)} min`);
  return 0;
}

if (import.meta.main) {
  await runMain(main, (err) => {
    if (!(err instanceof InterruptedError)) return undefined;
    console.error(`${err.message} (same --run-id)`);
    return 130;
  });
}
