/**
 * Import landmark labels in the prototype's CSV format into a dataset folder (labels in canonical
 * order, a cranium mask per image from the ellipse the points mark; lib/data/labels_import.ts),
 * after auditing them: the audit's findings are printed, rows nothing can be learned from stop the
 * import, and swapped OFD/BPD pairs are swapped back (unless --keep-pairs).
 *
 *   deno run -A lib/cli/data_labels.ts --labels <csv> --images <dir> --out data/<name>
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { formatAuditReport } from "../data/audit.ts";
import { importLabels } from "../data/labels_import.ts";
import { checkOutputPath, refuseForeignFolder, refuseReplacing } from "./output_path.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task data:labels --labels <csv> --images <dir> --out <dir> [options]

Turns a label file in the prototype's format
  image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y[,pixel_size_mm,hc_mm,group]
into a dataset folder for \`deno task train --data <dir>\` (every family, segmentation included):
dataset.json, labels.csv (canonical order), masks/<stem>_mask.png filled from the ellipse the four
points mark. Images stay where they are. The labels are audited first (as \`deno task data:audit\`):
rows that cannot be parsed, repeat an image, name a missing or unreadable image, or have an axis
shorter than a pixel stop the import (the error lists them); otherwise every finding is printed.

  --labels CSV    prototype-format label file
  --images DIR    folder of the images it names
  --out DIR       dataset folder to write, replaced atomically: a new folder or an earlier
                  import's, not one holding the images or the label file
  --name NAME     dataset name in dataset.json (default: the folder's name)
  --keep-pairs    keep OFD/BPD as labelled where the BPD is the longer pair (default: swap back,
                  the OFD being the long axis by definition)
  --help          this text`;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      labels: { type: "string" },
      images: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      "keep-pairs": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const flag of ["labels", "images", "out"] as const) {
    if (!values[flag]) throw new InputError(`--${flag} is required (see --help)`);
  }
  const out = resolve(values.out!);
  await checkOutputPath(out, "--out", "folder");
  refuseReplacing(out, "--out", [
    { path: values.images!, what: "the images" },
    { path: values.labels!, what: "the label file" },
  ]);
  await refuseForeignFolder(out, "--out");
  const report = await importLabels(values.labels!, values.images!, out, {
    name: values.name,
    swapPairs: !values["keep-pairs"],
    onProgress: (done, total) => {
      if (done % 100 === 0 || done === total) console.error(`  ${done}/${total} masks`);
    },
  });
  console.log(formatAuditReport(report.audit));
  if (report.swapped.length) {
    console.log(
      `swapped OFD and BPD back (the BPD was the longer pair) for ${report.swapped.length} ` +
        `image(s): ${report.swapped.slice(0, 10).join(", ")}${
          report.swapped.length > 10 ? ", …" : ""
        }`,
    );
  }
  // Rows whose only error was a swapped pair that was put back are fine now.
  const fixed = (r: { id: string }, code: string) =>
    code === "bpd_longer_than_ofd" && report.swapped.includes(r.id);
  const kept = report.audit.flagged.filter((r) =>
    r.issues.some((i) => i.severity === "error" && !fixed(r, i.code))
  );
  console.log(
    `wrote ${report.cases} cases to ${out}` +
      (kept.length
        ? `; ${kept.length} of them with error-level findings above, imported as labelled ` +
          `(fix or remove those rows and import again): ${
            kept.map((r) => r.id).slice(0, 5).join(", ")
          }` +
          (kept.length > 5 ? ", …" : "")
        : ""),
  );
  return 0;
}

if (import.meta.main) await runMain(main);
