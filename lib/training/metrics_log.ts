/**
 * Per-epoch metrics on disk: `metrics.csv` (one row per epoch, columns in first-seen order) and
 * `metrics.jsonl` (one JSON object per epoch). Both are rewritten atomically from the whole history
 * after every epoch, so after an interrupt and resume they hold exactly the epochs of the resumed
 * run, never a duplicated or half-written row.
 */
import { join } from "node:path";
import { formatCsv } from "../core/csv.ts";
import { writeFileAtomic } from "../core/fs.ts";
import type { EpochRecord } from "./progress.ts";

export function metricsColumns(history: readonly EpochRecord[]): string[] {
  const cols: string[] = [];
  for (const r of history) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

/** CSV text; missing and non-finite values are empty cells. */
export function metricsCsv(history: readonly EpochRecord[]): string {
  const cols = metricsColumns(history);
  const cell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "" : v);
  return formatCsv(cols, history.map((r) => cols.map((c) => cell(r[c]))));
}

/** JSON lines; non-finite values become null (JSON has no NaN). */
export function metricsJsonl(history: readonly EpochRecord[]): string {
  return history.map((r) =>
    JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v))
  )
    .join("\n") + (history.length ? "\n" : "");
}

export async function writeMetrics(runDir: string, history: readonly EpochRecord[]): Promise<void> {
  await writeFileAtomic(join(runDir, "metrics.csv"), metricsCsv(history));
  await writeFileAtomic(join(runDir, "metrics.jsonl"), metricsJsonl(history));
}
