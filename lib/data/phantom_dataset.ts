/**
 * A phantom dataset folder (images/, masks/, labels.csv, dataset.json) in the same format as the
 * HC18 import, so every pipeline can run end to end without HC18. Ids mimic HC18 naming
 * (`000_HC.png`, `000_2HC.png`, …) with 1–3 images per "pregnancy" group (70 % / 20 % / 10 %), so
 * grouped splits are exercised too; images within a group are independent phantoms.
 */
import { join } from "node:path";
import { Rng } from "../core/rng.ts";
import { writeDirAtomic, writeFileAtomic } from "../core/fs.ts";
import type { SampleRecord } from "../core/types.ts";
import { writeGrayPng, writeMaskPng } from "../io/image.ts";
import { writeDatasetInfo } from "./dataset.ts";
import { mapPool } from "./pool.ts";
import { generatePhantom } from "./phantom.ts";
import { formatPrototypeCsv, maskFileName } from "./prototype_csv.ts";

export interface PhantomDatasetOptions {
  count?: number;
  seed?: number;
  width?: number;
  height?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PhantomPlan {
  id: string;
  group: string;
  seed: number;
}

/** Ids, groups and per-image seeds of a phantom dataset (deterministic for a seed). */
export function planPhantoms(count: number, seed: number): PhantomPlan[] {
  const rng = new Rng(seed);
  const plan: PhantomPlan[] = [];
  for (let g = 0; plan.length < count; g++) {
    const u = rng.next();
    const size = u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
    const group = String(g).padStart(3, "0");
    for (let k = 0; k < size && plan.length < count; k++) {
      const id = `${group}_${k === 0 ? "" : k + 1}HC.png`;
      plan.push({ id, group, seed: rng.nextUint32() });
    }
  }
  return plan;
}

/** Write a phantom dataset to outDir (replaced atomically). Returns its records. */
export async function writePhantomDataset(
  outDir: string,
  opts: PhantomDatasetOptions = {},
): Promise<SampleRecord[]> {
  const plan = planPhantoms(opts.count ?? 200, opts.seed ?? 0);
  const size = { width: opts.width ?? 800, height: opts.height ?? 540 };
  let records: SampleRecord[] = [];
  let done = 0;
  await writeDirAtomic(outDir, async (tmp) => {
    records = await mapPool(plan, 4, async (p) => {
      const ph = generatePhantom(p.seed, size);
      await writeGrayPng(join(tmp, "images", p.id), ph.image);
      await writeMaskPng(join(tmp, "masks", maskFileName(p.id)), ph.mask);
      opts.onProgress?.(++done, plan.length);
      return {
        id: p.id,
        imagePath: join(outDir, "images", p.id),
        maskPath: join(outDir, "masks", maskFileName(p.id)),
        landmarks: ph.landmarks,
        pixelSizeMm: ph.pixelSizeMm,
        hcMm: ph.hcMm,
        group: p.group,
      };
    });
    await writeFileAtomic(join(tmp, "labels.csv"), formatPrototypeCsv(records));
    await writeDatasetInfo(tmp, {
      name: "phantoms",
      source: `synthetic: lib/data/phantom.ts, seed ${opts.seed ?? 0}`,
      licence: "generated; no restrictions",
      imageDir: "images",
      maskDir: "masks",
      labels: "labels.csv",
    });
  });
  return records;
}
