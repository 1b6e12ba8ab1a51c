/**
 * Audit landmark labels: per-row issues and a summary of counts per issue code.
 *
 *   deno run -A lib/cli/data_audit.ts --labels <csv> --images <dir> [--masks <dir>]
 *   deno run -A lib/cli/data_audit.ts <dataset-dir>
 */
import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { auditLabelFiles, DEFAULT_THRESHOLDS, formatAuditReport } from "../data/audit.ts";
import { readDatasetInfo } from "../data/dataset.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task data:audit --labels <csv> --images <dir> [--masks <dir>] [options]
       deno task data:audit <dataset-dir> [options]

Checks every label row: unparseable cells, duplicate ids, missing images, points outside the
image, degenerate axes, BPD longer than OFD (swapped pairs), axes not perpendicular, axis midpoints
apart, and, with masks, points far from the mask boundary; also rows whose landmarks repeat an
earlier row's. Prints one line per issue and a count per issue code. Exit status 1 if any
error-level issue was found.

  --labels CSV              prototype-format label file
  --images DIR              folder of the images named in the CSV
  --masks DIR               folder of <stem>_mask.png masks (optional)
  --perpendicular-deg N     allowed deviation from 90° (default ${DEFAULT_THRESHOLDS.perpendicularDeg})
  --midpoint-fraction F     allowed midpoint gap / OFD (default ${DEFAULT_THRESHOLDS.midpointFractionOfOfd})
  --json                    print the report as JSON instead of text
  --help                    this text`;

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= 0)) {
    throw new InputError(`${flag} must be a number ≥ 0`, undefined, undefined, text);
  }
  return v;
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      labels: { type: "string" },
      images: { type: "string" },
      masks: { type: "string" },
      "perpendicular-deg": { type: "string" },
      "midpoint-fraction": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let labels = values.labels, images = values.images, masks = values.masks;
  if (positionals.length === 1 && !labels && !images) {
    const dir = resolve(positionals[0]);
    if ((await Deno.stat(dir).catch(() => null))?.isFile) {
      throw new InputError(
        "a label file needs its images: --labels <csv> --images <dir> (a bare argument is a " +
          "dataset folder)",
        dir,
      );
    }
    const info = await readDatasetInfo(dir);
    const inDir = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
    labels = inDir(info.labels);
    images = inDir(info.imageDir);
    masks = masks ?? (info.maskDir ? inDir(info.maskDir) : undefined);
  } else if (positionals.length > 0 || !labels || !images) {
    throw new InputError("give either --labels and --images, or one dataset folder (see --help)");
  }
  const thresholds = Object.fromEntries(
    Object.entries({
      perpendicularDeg: number(values["perpendicular-deg"], "--perpendicular-deg"),
      midpointFractionOfOfd: number(values["midpoint-fraction"], "--midpoint-fraction"),
    }).filter(([, v]) => v !== undefined),
  );
  const report = await auditLabelFiles(
    resolve(labels),
    resolve(images),
    masks && resolve(masks),
    thresholds,
  );
  console.log(values.json ? JSON.stringify(report, null, 2) : formatAuditReport(report));
  return report.errors > 0 ? 1 : 0;
}

if (import.meta.main) await runMain(main);
