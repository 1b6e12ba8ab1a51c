/**
 * Import HC18 into a dataset folder: fitted-ellipse landmarks (canonical order), filled masks,
 * pixel size, HC and group per case. Writes nothing if any fitted HC differs from the CSV by more
 * than the tolerance (0.1 mm unless `--hc-tolerance`).
 *
 *   deno run -A lib/cli/data_hc18.ts [hc18-dir] [--out data/hc18] [--hc-tolerance MM] [--test-set]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { DEFAULT_HC18_DIR, PROJECT_ROOT } from "../core/project.ts";
import { InputError } from "../core/errors.ts";
import { HC_TOLERANCE_MM, importHc18, listHc18TestSet } from "../data/hc18.ts";
import { checkOutputPath, refuseForeignFolder, refuseReplacing } from "./output_path.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task data:hc18 [hc18-dir] [--out <dir>] [--hc-tolerance MM] [--test-set]

Fits an ellipse to every HC18 training annotation outline and writes a dataset folder:
dataset.json, labels.csv (prototype format + pixel_size_mm, hc_mm, group), masks/<stem>_mask.png,
hc18_fit.csv (fitted ellipses and HC differences). Images stay in the HC18 folder.

  hc18-dir     HC18 folder (default: ../shared/data/hc18 beside the project)
  --out DIR    output dataset folder (default: data/hc18), replaced atomically, and only when
               every case's fitted HC is within the tolerance of the CSV's; a new folder or an
               earlier import's, not one holding the HC18 folder
  --hc-tolerance MM
               largest accepted |fitted HC − CSV HC| (default ${HC_TOLERANCE_MM} mm)
  --test-set   only list the unlabelled test set (id, pixel size) and exit
  --help       this text`;

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "hc-tolerance": { type: "string" },
      "test-set": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new InputError("expected at most one HC18 folder", undefined, undefined, positionals);
  }
  const dir = resolve(positionals[0] ?? DEFAULT_HC18_DIR);
  if (values["test-set"]) {
    const cases = await listHc18TestSet(dir);
    console.log("image_name,pixel_size_mm");
    for (const c of cases) console.log(`${c.id},${c.pixelSizeMm}`);
    return 0;
  }
  const out = resolve(values.out ?? resolve(PROJECT_ROOT, "data/hc18"));
  const tolerance = values["hc-tolerance"] === undefined
    ? HC_TOLERANCE_MM
    : Number(values["hc-tolerance"]);
  if (!(tolerance > 0 && Number.isFinite(tolerance))) {
    throw new InputError(
      "--hc-tolerance must be a positive number of mm",
      undefined,
      undefined,
      values["hc-tolerance"],
    );
  }
  await checkOutputPath(out, "--out", "folder");
  refuseReplacing(out, "--out", [{ path: dir, what: "the HC18 folder" }]);
  await refuseForeignFolder(out, "--out");
  const t0 = performance.now();
  console.log(`HC18: ${dir} → ${out}`);
  const report = await importHc18(dir, out, {
    hcToleranceMm: tolerance,
    onProgress: (done, total) => {
      if (done % 100 === 0 || done === total) console.log(`  ${done}/${total} cases`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${report.cases} cases in ${seconds.toFixed(1)} s; |HC_fit − HC_csv|: max ` +
      `${report.maxAbsHcDiffMm.toFixed(4)} mm (${report.worstId}), mean ${
        report.meanAbsHcDiffMm.toFixed(4)
      } mm`,
  );
  if (report.unlisted.length > 0) {
    const shown = report.unlisted.slice(0, 10).join(", ");
    console.warn(
      `warning: ${report.unlisted.length} image(s) in training_set/ are not in ` +
        `training_set_pixel_size_and_HC.csv, so have no pixel size or HC and were left out: ${shown}` +
        (report.unlisted.length > 10 ? ", …" : ""),
    );
  }
  return 0;
}

if (import.meta.main) await runMain(main);
