/**
 * Notebook 07's "second opinion": do the other families' answers find a chain's failures better
 * than the chain's own TTA confidence? The cross-check is `deno task predict --cross-check`'s
 * (lib/inference/cross_check.ts) on the same TTA predictions `predict` writes by default; the
 * confidence sends to review as many images as the cross-check does, lowest first, so the two
 * are compared at the same reviewer effort.
 */
import { type ConfidenceStudy, confidenceStudy } from "../inference/compare.ts";
import { crossCheck, REVIEW_LIMITS, type ReviewLimits } from "../inference/cross_check.ts";
import { auroc } from "../inference/uncertainty.ts";
import { mean } from "../metrics/summary.ts";
import { type FamilyRun, predictorFor } from "./family.ts";
import type { Row } from "./table.ts";

/** A failure worth a reviewer's time: MRE or |ΔHC| over this many mm. */
export const FAILURE_MM = 4;

/** One source's TTA predictions on the shared validation images (a chain's study). */
export interface OpinionSource {
  family: string;
  study: ConfidenceStudy;
}

/** Each chain predicted with TTA behind its first stage (found in `runs` by the chain's name). */
export async function chainTtaStudies(
  runs: readonly FamilyRun[],
  chains: readonly FamilyRun[],
): Promise<OpinionSource[]> {
  const out: OpinionSource[] = [];
  for (const chain of chains) {
    const [firstName, second] = chain.family.split(" → ");
    const first = runs.find((r) => r.family === firstName);
    if (!first || !second) continue;
    const predictor = await predictorFor(second, chain.config, chain.weightsDir, first);
    try {
      out.push({
        family: chain.family,
        study: await confidenceStudy(predictor, chain.val.samples),
      });
    } finally {
      predictor.dispose();
    }
  }
  return out;
}

interface Outcome {
  flagged: boolean[];
  caught: number;
  keptMre: number;
  keptHc: number;
}

/**
 * One row per source with pixel sizes for every image: its failures (MRE or |ΔHC| > FAILURE_MM),
 * how many the cross-check against the other sources sends to review and catches, what is left
 * among the images it keeps, the same for the lowest TTA confidences at the same count, and both
 * scores' AUROC for MRE > 2 mm. Needs at least two sources on the same images.
 */
export function secondOpinionRows(
  sources: readonly OpinionSource[],
  limits: ReviewLimits = REVIEW_LIMITS,
): Row[] {
  if (sources.length < 2) return [];
  return sources.flatMap((src) => {
    const cases = src.study.evaluation.cases;
    if (cases.some((c) => c.pixelSizeMm === undefined)) return [];
    const others = sources.filter((o) => o !== src).map((o) => ({
      model: o.family,
      byId: new Map(o.study.evaluation.cases.map((c) => [c.id, c.pred])),
    }));
    if (cases.some((c) => others.some((o) => !o.byId.has(c.id)))) return [];
    // Every image has a pixel size, so the study's MREs are in mm and each has its |ΔHC|.
    const mre = src.study.rows.map((r) => r.mre);
    const hcById = new Map(src.study.evaluation.clinical!.images.map((r) => [r.id, r.errors.hcMm]));
    const hcErr = cases.map((c) => hcById.get(c.id)!);
    const failed = mre.map((e, i) => e > FAILURE_MM || hcErr[i] > FAILURE_MM);
    const checks = cases.map((c) =>
      crossCheck(
        c.pred,
        others.map((o) => ({ model: o.model, landmarks: o.byId.get(c.id)! })),
        c.pixelSizeMm,
        limits,
      )
    );
    const outcome = (flagged: boolean[]): Outcome => {
      const kept = (v: number[]) => mean(v.filter((_, i) => !flagged[i]));
      return {
        flagged,
        caught: failed.filter((f, i) => f && flagged[i]).length,
        keptMre: kept(mre),
        keptHc: kept(hcErr),
      };
    };
    const byCheck = outcome(checks.map((c) => c.review!));
    const n = byCheck.flagged.filter(Boolean).length;
    const confidence = src.study.rows.map((r) => r.confidence);
    const lowest = new Set(
      confidence.map((c, i) => [c, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, n)
        .map(([, i]) => i),
    );
    const byConfidence = outcome(confidence.map((_, i) => lowest.has(i)));
    const over2 = mre.map((e) => e > 2);
    return [{
      source: src.family,
      images: cases.length,
      [`failures (> ${FAILURE_MM} mm)`]: failed.filter(Boolean).length,
      "to review": n,
      "caught: cross-check": byCheck.caught,
      "caught: lowest confidence": byConfidence.caught,
      "rest |ΔHC| mm: cross-check": byCheck.keptHc,
      "rest |ΔHC| mm: confidence": byConfidence.keptHc,
      "rest MRE mm: cross-check": byCheck.keptMre,
      "rest MRE mm: confidence": byConfidence.keptMre,
      "AUROC MRE > 2 mm: cross-check": auroc(checks.map((c) => c.pointsMm!), over2),
      "AUROC MRE > 2 mm: confidence": src.study.auroc,
    }];
  });
}

/** What the table says, in words generated from it. */
export function secondOpinionMarkdown(rows: readonly Row[]): string {
  if (rows.length === 0) {
    return "_No second opinion: it needs two sources or more on the same images, with pixel sizes._";
  }
  const f = (v: unknown) => (typeof v === "number" ? v.toFixed(2) : String(v));
  const lines = rows.map((r) => {
    const byCheck = r["caught: cross-check"] as number;
    const byConf = r["caught: lowest confidence"] as number;
    const verdict = byCheck > byConf
      ? "more than"
      : byCheck === byConf
      ? "as many as"
      : "fewer than";
    const kept = (r.images as number) - (r["to review"] as number);
    return `- **${r.source}**: the cross-check sends ${r["to review"]} of ${r.images} images to ` +
      `review and catches ${byCheck} of its ${r[`failures (> ${FAILURE_MM} mm)`]} failures, ` +
      `${verdict} its lowest TTA confidences at the same count (${byConf}); ` +
      (kept === 0
        ? "it keeps none."
        : `the ${kept} images it keeps have |ΔHC| ${f(r["rest |ΔHC| mm: cross-check"])} mm ` +
          `(kept by confidence: ${f(r["rest |ΔHC| mm: confidence"])} mm).`);
  });
  return lines.join("\n");
}
