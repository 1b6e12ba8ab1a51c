/**
 * Compare a prediction CSV with a ground-truth CSV (both in the prototype landmark format), print
 * the metric summary and write the evaluation dashboard.
 *
 *   deno task evaluate --pred <csv> --gt <csv> [--images <dir>] [--out <dir>] [--seed N]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { PROJECT_ROOT, provenance, provenancePath, runStamp } from "../core/project.ts";
import { InputError } from "../core/errors.ts";
import { readCsv } from "../core/csv.ts";
import type { SampleRecord } from "../core/types.ts";
import { loadPrototypeCsv } from "../data/prototype_csv.ts";
import { type EvalCase, evaluate } from "../metrics/evaluation.ts";
import { textTable } from "../notebook/table.ts";
import { writeDashboard } from "../viz/dashboard.ts";
import { reviewRows, sdrRows, summaryRows } from "../viz/report.ts";
import { reviewSplit } from "../inference/cross_check.ts";
import { checkOutputPath } from "./output_path.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task evaluate --pred <csv> --gt <csv> [--images <dir>] [--out <dir>]

Both CSVs: image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y
[,pixel_size_mm,hc_mm,group]. Every ground-truth image needs exactly one prediction; predictions
for images the ground truth does not list are counted and ignored. Landmarks of both files are put
in canonical order (lib/data/landmark_order.ts) before comparing. The pixel size comes from the
ground truth, else from the predictions; mm metrics need it.

  --pred CSV      predictions
  --gt CSV        ground truth
  --images DIR    folder of the images, for the worst-case gallery (optional)
  --out DIR       output folder (default: results/eval-<UTC timestamp>)
  --worst-k N     images in the worst-case gallery (default 12)
  --seed N        bootstrap seed (default 0)
  --title TEXT    title of summary.md
  --help          this text`;

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new InputError(`--${name} must be an integer ≥ 0`, undefined, undefined, value);
  }
  return n;
}

/** Cases matched by image name, and the predicted ids the ground truth does not list. */
export interface PairedCases {
  cases: EvalCase[];
  /** Predictions for images not in the ground truth (e.g. unlabelled images of the same folder). */
  ignored: string[];
}

/**
 * Pairs predictions with truths by image name. A ground-truth image without a prediction, or a
 * pixel-size conflict, is an error; predictions the ground truth does not list are returned.
 */
export async function pairCases(
  predPath: string,
  gtPath: string,
  imageDir?: string,
): Promise<PairedCases> {
  const load = (path: string) =>
    loadPrototypeCsv(path, imageDir ?? ".", {
      checkFiles: imageDir !== undefined && path === gtPath,
    });
  const [preds, truths] = [await load(predPath), await load(gtPath)];
  const predLines = (await readCsv(predPath)).lines, gtLines = (await readCsv(gtPath)).lines;
  const byId = new Map<string, [SampleRecord, number]>(preds.map((p, i) => [p.id, [p, i]]));
  const gtIds = new Set(truths.map((t) => t.id));
  const missing = truths.map((t, i) => ({ id: t.id, line: gtLines[i] }))
    .filter((m) => !byId.has(m.id));
  if (missing.length) {
    throw new InputError(
      `${missing.length} ground-truth image(s) have no prediction: ${
        missing.map((m) => m.id).join(", ")
      } (first at row ${missing[0].line}); \`deno task predict\` lists the images it could not ` +
        "read in <out>.errors.csv",
      gtPath,
    );
  }
  const cases = truths.map((t) => {
    const [p, j] = byId.get(t.id)!;
    if (
      t.pixelSizeMm !== undefined && p.pixelSizeMm !== undefined &&
      Math.abs(t.pixelSizeMm - p.pixelSizeMm) > 1e-9 * t.pixelSizeMm
    ) {
      throw new InputError(
        `pixel_size_mm differs from the ground truth's ${t.pixelSizeMm}`,
        predPath,
        predLines[j],
        p.pixelSizeMm,
      );
    }
    const pixelSizeMm = t.pixelSizeMm ?? p.pixelSizeMm;
    return {
      id: t.id,
      truth: t.landmarks,
      pred: p.landmarks,
      ...(pixelSizeMm !== undefined ? { pixelSizeMm } : {}),
      ...(imageDir !== undefined ? { imagePath: t.imagePath } : {}),
    };
  });
  return { cases, ignored: preds.filter((p) => !gtIds.has(p.id)).map((p) => p.id) };
}

/**
 * predict's `review` verdicts by image name (its CSV with `--cross-check`), or undefined when the
 * file has no such column or no verdict in it (no pixel sizes). A cell other than true, false or
 * empty is an InputError naming the row.
 */
export async function readReviewColumn(
  predPath: string,
): Promise<Map<string, boolean> | undefined> {
  const t = await readCsv(predPath);
  const col = t.header.indexOf("review"), name = t.header.indexOf("image_name");
  if (col < 0 || name < 0) return undefined;
  const verdicts = new Map<string, boolean>();
  t.rows.forEach((row, i) => {
    const cell = row[col] ?? "";
    if (cell === "") return;
    if (cell !== "true" && cell !== "false") {
      throw new InputError("review must be true, false or empty", predPath, t.lines[i], cell);
    }
    verdicts.set(row[name].trim(), cell === "true");
  });
  return verdicts.size ? verdicts : undefined;
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      pred: { type: "string" },
      gt: { type: "string" },
      images: { type: "string" },
      out: { type: "string" },
      "worst-k": { type: "string" },
      seed: { type: "string" },
      title: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.pred || !values.gt) {
    throw new InputError("both --pred and --gt are required (see --help)");
  }
  const predPath = resolve(values.pred), gtPath = resolve(values.gt);
  const imageDir = values.images !== undefined ? resolve(values.images) : undefined;
  const out = resolve(values.out ?? resolve(PROJECT_ROOT, `results/eval-${runStamp()}`));
  // Every option and the output folder are checked before the work, not after it.
  const seed = intOption(values.seed, "seed", 0);
  const worstK = intOption(values["worst-k"], "worst-k", 12);
  await checkOutputPath(out, "--out", "folder");
  const { cases, ignored } = await pairCases(predPath, gtPath, imageDir);
  const result = evaluate(cases, { seed });
  const verdicts = await readReviewColumn(predPath);
  const review = verdicts ? reviewSplit(result, verdicts) : undefined;
  console.log(`${cases.length} images: ${values.pred} vs ${values.gt}`);
  if (ignored.length) {
    const shown = ignored.slice(0, 5).join(", ") + (ignored.length > 5 ? ", …" : "");
    console.log(
      `ignored ${ignored.length} prediction(s) for images not in the ground truth: ${shown}`,
    );
  }
  console.log();
  console.log(textTable(summaryRows(result)));
  console.log();
  console.log(textTable(sdrRows(result)));
  const s = result.spread;
  console.log(
    `\nMRE ${result.landmarks.px.radial.mean.toFixed(2)} px, 95 % CI ${
      result.mreCiPx.lower.toFixed(2)
    }–` +
      `${result.mreCiPx.upper.toFixed(2)}; spread ratio x ${s.meanX.toFixed(2)}, y ${
        s.meanY.toFixed(2)
      }` +
      (s.collapsed ? "  ← predictions collapsed towards the mean" : ""),
  );
  const hc = result.hcAbsCiMm;
  if (hc) {
    console.log(
      `|ΔHC| ${hc.estimate.toFixed(2)} mm, 95 % CI ${hc.lower.toFixed(2)}–${hc.upper.toFixed(2)}`,
    );
  }
  if (review) {
    console.log("\nby predict's review verdict (--cross-check):");
    console.log(textTable(reviewRows(review), { digits: 2 }));
  }
  // predict's record of the predictions, when it wrote one beside them.
  const predictedWith = await Deno.readTextFile(provenancePath(predPath)).then(
    JSON.parse,
    () => null,
  );
  const files = await writeDashboard(out, result, {
    title: values.title ?? `Evaluation of ${values.pred}`,
    worstK,
    provenance: await provenance({
      command: "evaluate",
      pred: predPath,
      gt: gtPath,
      images: cases.length,
      ignored: ignored.length,
      predictedWith,
    }),
    review,
  });
  console.log(
    `\nDashboard: ${out} (${files.figures.length} charts${
      files.gallery ? ", worst-case gallery" : ""
    })`,
  );
  return 0;
}

if (import.meta.main) await runMain(main);
