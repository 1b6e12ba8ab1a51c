/**
 * Write a synthetic phantom dataset (same folder format as the HC18 import).
 *
 *   deno run -A lib/cli/data_phantoms.ts [--out data/phantoms] [--count 200] [--seed 0] [--size 800x540]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { positiveInt } from "./args.ts";
import { PROJECT_ROOT } from "../core/project.ts";
import { InputError } from "../core/errors.ts";
import { writePhantomDataset } from "../data/phantom_dataset.ts";
import { checkOutputPath, refuseForeignFolder } from "./output_path.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task data:phantoms [--out <dir>] [--count N] [--seed S] [--size WxH]

Generates synthetic fetal-head phantoms with exact labels: images/, masks/, labels.csv
(prototype format + pixel_size_mm, hc_mm, group; 1–3 images per group), dataset.json.

  --out DIR     output dataset folder (default: data/phantoms), replaced atomically: a new
                folder or an earlier one's
  --count N     number of images (default 200)
  --seed S      seed (default 0); the same seed gives the same files
  --size WxH    image size (default 800x540, like HC18)
  --help        this text`;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      count: { type: "string", default: "200" },
      seed: { type: "string", default: "0" },
      size: { type: "string", default: "800x540" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const count = positiveInt(values.count, "--count");
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new InputError("--seed must be an integer ≥ 0", undefined, undefined, values.seed);
  }
  const m = /^(\d+)x(\d+)$/.exec(values.size);
  if (!m) throw new InputError("--size must look like 800x540", undefined, undefined, values.size);
  const [width, height] = [positiveInt(m[1], "--size width"), positiveInt(m[2], "--size height")];
  if (width < 32 || height < 32) {
    throw new InputError("--size must be at least 32x32", undefined, undefined, values.size);
  }
  const out = resolve(values.out ?? resolve(PROJECT_ROOT, "data/phantoms"));
  await checkOutputPath(out, "--out", "folder");
  await refuseForeignFolder(out, "--out");
  const t0 = performance.now();
  const records = await writePhantomDataset(out, {
    count,
    seed,
    width,
    height,
    onProgress: (done, total) => {
      if (done % 50 === 0 || done === total) console.log(`  ${done}/${total} phantoms`);
    },
  });
  const groups = new Set(records.map((r) => r.group)).size;
  const ms = (performance.now() - t0) / records.length;
  console.log(
    `${records.length} phantoms in ${groups} groups → ${out} (${
      ms.toFixed(1)
    } ms/image incl. PNG writes)`,
  );
  return 0;
}

if (import.meta.main) await runMain(main);
