/**
 * Landmark labels in the prototype's CSV format (the format users bring) → a dataset folder every
 * family trains on: dataset.json, labels.csv in canonical order, and one cranium mask per image
 * filled from the ellipse the four points mark (landmarksToEllipse: centre the mean of the points,
 * semi-axes half the OFD and half the BPD, the OFD's direction), so the segmentation families
 * train on landmark-only data too. On HC18-derived labels these masks are HC18's; on a
 * clinician's points they are an ellipse model of the cranium, not a traced outline.
 *
 * The rows are audited first (lib/data/audit.ts) and the report is returned, not acted on, with
 * two exceptions: rows a model cannot learn from (unparseable, duplicate id, missing or unreadable
 * image, an axis shorter than a pixel) stop the import, naming them; and pairs listed the wrong
 * way round (BPD longer than OFD, the prototype's own mistake) are swapped back unless asked not
 * to, since the OFD is by definition the long axis. Images are never copied.
 */
import { basename, relative, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { writeDirAtomic, writeFileAtomic } from "../core/fs.ts";
import type { Landmarks, SampleRecord } from "../core/types.ts";
import { landmarksToEllipse } from "../geometry/ellipse.ts";
import { imageDimensions, writeMaskPng } from "../io/image.ts";
import { type AuditCode, auditLabelFiles, type AuditReport } from "./audit.ts";
import { writeDatasetInfo } from "./dataset.ts";
import { fillEllipse } from "./hc18.ts";
import { canonicalize } from "./landmark_order.ts";
import { mapPool } from "./pool.ts";
import { formatPrototypeCsv, loadPrototypeCsv, maskFileName } from "./prototype_csv.ts";

/** Audit codes that leave a row nothing to learn from: the import stops on them. */
export const BLOCKING_CODES: readonly AuditCode[] = [
  "unparseable",
  "duplicate_id",
  "missing_image",
  "degenerate_axis",
];

export interface LabelsImportOptions {
  /** Dataset name in dataset.json (default: the output folder's name). */
  name?: string;
  /** Swap OFD and BPD where the BPD is the longer pair (default true). */
  swapPairs?: boolean;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LabelsImportReport {
  cases: number;
  /** Ids whose OFD and BPD pairs were swapped back. */
  swapped: string[];
  /** The audit of the label file as given (before any swap). */
  audit: AuditReport;
}

/** The same points with OFD and BPD exchanged when the BPD is the longer pair. */
export function longAxisFirst(l: Landmarks): { landmarks: Landmarks; swapped: boolean } {
  const [o1, o2, b1, b2] = l;
  const swapped = Math.hypot(b2.x - b1.x, b2.y - b1.y) > Math.hypot(o2.x - o1.x, o2.y - o1.y);
  return { landmarks: swapped ? canonicalize([b1, b2, o1, o2]) : l, swapped };
}

function refuseBlocking(audit: AuditReport, csvPath: string): void {
  const blocking = audit.flagged.flatMap((r) =>
    r.issues.filter((i) => BLOCKING_CODES.includes(i.code)).map((i) =>
      `row ${r.row} ${r.id}: ${i.code}: ${i.message}`
    )
  );
  if (blocking.length === 0) return;
  throw new InputError(
    `${blocking.length} row(s) cannot be learned from; fix or remove them:\n  ` +
      blocking.slice(0, 10).join("\n  ") + (blocking.length > 10 ? "\n  …" : ""),
    csvPath,
  );
}

/** Mask files are named by the image's stem, so `a.png` and `a.jpg` (or `x/a.png`) would share one. */
function refuseSharedMasks(records: readonly SampleRecord[], csvPath: string): void {
  const owner = new Map<string, string>();
  for (const r of records) {
    const file = maskFileName(r.id), first = owner.get(file);
    if (first !== undefined) {
      throw new InputError(
        `${first} and ${r.id} would share the mask file ${file}; rename one of the images`,
        csvPath,
        undefined,
        r.id,
      );
    }
    owner.set(file, r.id);
  }
}

export async function importLabels(
  csvPath: string,
  imageDir: string,
  outDir: string,
  opts: LabelsImportOptions = {},
): Promise<LabelsImportReport> {
  const csv = resolve(csvPath), images = resolve(imageDir), out = resolve(outDir);
  const audit = await auditLabelFiles(csv, images);
  refuseBlocking(audit, csv);
  const swapped: string[] = [];
  const records: SampleRecord[] = (await loadPrototypeCsv(csv, images)).map((r) => {
    if (opts.swapPairs === false) return r;
    const fixed = longAxisFirst(r.landmarks);
    if (fixed.swapped) swapped.push(r.id);
    return { ...r, landmarks: fixed.landmarks };
  });
  refuseSharedMasks(records, csv);
  let done = 0;
  await writeDirAtomic(out, async (tmp) => {
    await mapPool(records, opts.concurrency ?? 4, async (r) => {
      const { width, height } = await imageDimensions(r.imagePath); // decoded by the audit
      const mask = fillEllipse(landmarksToEllipse(r.landmarks), width, height);
      await writeMaskPng(resolve(tmp, "masks", maskFileName(r.id)), mask);
      opts.onProgress?.(++done, records.length);
    });
    await writeFileAtomic(resolve(tmp, "labels.csv"), formatPrototypeCsv(records));
    await writeDatasetInfo(tmp, {
      name: opts.name ?? basename(out),
      source: csv,
      // Relative to the final folder, as data:hc18 writes it, so both can move together.
      imageDir: relative(out, images),
      maskDir: "masks",
      labels: "labels.csv",
    });
  });
  return { cases: records.length, swapped, audit };
}
