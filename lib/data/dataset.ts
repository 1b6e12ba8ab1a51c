/**
 * Dataset folders. A dataset is a folder holding:
 *
 *   dataset.json   {name, source, citation?, licence?, imageDir, maskDir?, labels}
 *   labels.csv     prototype CSV (see prototype_csv.ts), canonical landmark order
 *   masks/         <stem>_mask.png, 0/255 filled cranium masks (optional)
 *
 * `imageDir`, `maskDir` and `labels` are absolute or relative to the dataset folder, so a derived
 * dataset can point at images that stay where they are (HC18 images are never copied).
 */
import { isAbsolute, join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { writeJsonAtomic } from "../core/fs.ts";
import type { Sample, SampleRecord } from "../core/types.ts";
import { readGray, readMask } from "../io/image.ts";
import { loadPrototypeCsv } from "./prototype_csv.ts";

export const DATASET_FILE = "dataset.json";

export interface DatasetInfo {
  name: string;
  /** Where the images come from (URL, DOI or "synthetic"). */
  source: string;
  citation?: string;
  licence?: string;
  imageDir: string;
  maskDir?: string;
  /** Label file, default "labels.csv". */
  labels: string;
}

export async function readDatasetInfo(dir: string): Promise<DatasetInfo> {
  const path = join(dir, DATASET_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new InputError(`cannot read dataset description: ${(err as Error).message}`, path);
  }
  const info = raw as Record<string, unknown>;
  for (const key of ["name", "source", "imageDir"]) {
    if (typeof info[key] !== "string" || info[key] === "") {
      throw new InputError(`"${key}" must be a non-empty string`, path, undefined, info[key]);
    }
  }
  for (const key of ["citation", "licence", "maskDir", "labels"]) {
    if (info[key] !== undefined && typeof info[key] !== "string") {
      throw new InputError(`"${key}" must be a string`, path, undefined, info[key]);
    }
  }
  return { ...(info as unknown as DatasetInfo), labels: (info.labels as string) ?? "labels.csv" };
}

export function writeDatasetInfo(dir: string, info: DatasetInfo): Promise<void> {
  return writeJsonAtomic(join(dir, DATASET_FILE), info);
}

function inDir(dir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dir, p);
}

/** Records of a dataset folder; checks that every image (and mask, if maskDir is set) exists. */
export async function loadDataset(dir: string): Promise<SampleRecord[]> {
  const info = await readDatasetInfo(dir);
  return loadPrototypeCsv(inDir(dir, info.labels), inDir(dir, info.imageDir), {
    maskDir: info.maskDir ? inDir(dir, info.maskDir) : undefined,
  });
}

/** Decode a record's image (and mask). A mask whose size differs from the image is an error. */
export async function loadSample(rec: SampleRecord): Promise<Sample> {
  const [image, mask] = await Promise.all([
    readGray(rec.imagePath),
    rec.maskPath ? readMask(rec.maskPath) : Promise.resolve(undefined),
  ]);
  if (mask && (mask.width !== image.width || mask.height !== image.height)) {
    throw new InputError(
      `mask is ${mask.width}×${mask.height} but its image is ${image.width}×${image.height}`,
      rec.maskPath,
    );
  }
  return {
    id: rec.id,
    image,
    landmarks: rec.landmarks,
    ...(mask ? { mask } : {}),
    ...(rec.pixelSizeMm !== undefined ? { pixelSizeMm: rec.pixelSizeMm } : {}),
    group: rec.group,
  };
}
