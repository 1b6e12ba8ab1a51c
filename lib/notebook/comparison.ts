/**
 * Notebook 07: the four families on one validation split. Builds on lib/inference/compare.ts
 * (the TTA confidence study, its figures) and lib/metrics (paired Wilcoxon tests); the runs come
 * from lib/notebook/family.ts, so full mode compares the published HC18 runs and quick mode the
 * phantom runs notebooks 03–06 trained.
 */
import { join } from "node:path";
import { LANDMARK_NAMES, type Landmarks } from "../core/types.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import { exists } from "../core/fs.ts";
import {
  comparisonFigures,
  type ConfidenceStudy,
  confidenceStudy,
  type FamilyResult,
  metricsOf,
} from "../inference/compare.ts";
import type { CvResult } from "../inference/cv.ts";
import { cvRows } from "../inference/cv.ts";
import { FAMILIES } from "../inference/model_dir.ts";
import { Predictor } from "../inference/predictor.ts";
import { compareMre } from "../metrics/comparison.ts";
import { mean } from "../metrics/summary.ts";
import {
  ellipseErrorSummary,
  ROUNDNESS_EDGES,
  roundnessBinLabel,
  tiltBinLabel,
} from "../metrics/ellipse_errors.ts";
import {
  angleErrorCorrelations,
  consensus,
  type ErrorCorrelation,
  errorCorrelations,
  type LandmarkSource,
  type PairAgreement,
  pairAgreement,
  pairAgreements,
} from "../metrics/model_agreement.ts";
import type { ProgressSink } from "../training/progress.ts";
import type { Figure } from "../viz/figure.ts";
import { matrixChart } from "../viz/charts.ts";
import { gridPng, overlayPng } from "../viz/overlay.ts";
import {
  type FamilyRun,
  type FamilyRunOptions,
  loadFamilyRun,
  missingPublished,
  NOTEBOOK_FAMILIES,
  PUBLISHED_ROOT,
} from "./family.ts";
import { FAILURE_MM } from "./second_opinion.ts";
import { markdownTable, type Row } from "./table.ts";
import { showMarkdown, showTable } from "./display.ts";
import { headlineRow } from "./family_views.ts";

/** True when every run validated on the same images of the same dataset folder, in the same order. */
export function sameSplit(runs: readonly FamilyRun[]): boolean {
  return runs.every((r) => r.val.key === runs[0].val.key);
}

const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined);

/**
 * One row per family: landmark errors (mm where every image has a pixel size, else px), SDR,
 * clinical errors, Dice, GA error, speed, size and training time.
 */
export function comparisonTableRows(runs: readonly FamilyRun[]): Row[] {
  return runs.map((r) => {
    const ev = r.evaluation;
    const mm = ev.landmarks.mm;
    const unit = mm ? "mm" : "px";
    const per = mm ? mm.perLandmark : ev.landmarks.px.perLandmark;
    const sdr = (t: number) => finite(mm?.sdr.find((s) => s.threshold === t)?.rate);
    return {
      family: r.family,
      images: ev.nImages,
      "MRE px": ev.landmarks.px.radial.mean,
      "MRE mm": finite(mm?.radial.mean),
      "SDR 2 mm": sdr(2),
      "SDR 4 mm": sdr(4),
      ...Object.fromEntries(LANDMARK_NAMES.map((n) => [`${n} ${unit}`, per[n].mean])),
      "|ΔOFD| mm": finite(ev.clinical?.ofdMm.mean),
      "|ΔBPD| mm": finite(ev.clinical?.bpdMm.mean),
      "|ΔHC| mm": finite(ev.clinical?.hcMm.mean),
      Dice: finite(ev.segmentation?.dice.mean),
      "GA error d": finite(ev.clinical?.gaHcDays.mean),
      "ms/image": r.msPerImage,
      params: r.params,
      "train min": finite((r.run.wallClockSec ?? NaN) / 60),
    };
  });
}

/**
 * One row per family: its landmark error split into the head ellipse's centre, semi-axis lengths
 * and OFD direction (means over the images), the MRE with the direction error taken out, then n,
 * MRE and angle error per b/a bin of the truth (lib/metrics/ellipse_errors.ts).
 */
export function ellipseErrorRows(
  runs: readonly Pick<FamilyRun, "family" | "evaluation">[],
  edges: readonly number[] = ROUNDNESS_EDGES,
): Row[] {
  return runs.map((r) => {
    const s = ellipseErrorSummary(r.evaluation.cases, edges);
    return {
      family: r.family,
      "centre px": s.centrePx.mean,
      "|Δa| px": s.dAPx.mean,
      "|Δb| px": s.dBPx.mean,
      "angle °": s.angleDeg.mean,
      "angle ° median": s.angleDeg.median,
      "MRE px": s.mrePx.mean,
      "MRE px, labelled direction": s.alignedMrePx.mean,
      ...Object.fromEntries(s.bins.flatMap((b) => {
        const l = roundnessBinLabel(b);
        return [[`${l} n`, b.n], [`${l} MRE px`, b.mrePx], [`${l} angle °`, b.angleDeg]];
      })),
    };
  });
}

/**
 * One row per family: n and MRE per tilt bin of the true OFD (0° = horizontal). Near 90° the order
 * convention (OFD1 = left end) is nearly tied; families that learn the order show it there.
 */
export function tiltErrorRows(runs: readonly Pick<FamilyRun, "family" | "evaluation">[]): Row[] {
  return runs.map((r) => {
    const s = ellipseErrorSummary(r.evaluation.cases);
    return {
      family: r.family,
      "MRE px": s.mrePx.mean,
      ...Object.fromEntries(s.tiltBins.flatMap((b) => {
        const l = tiltBinLabel(b);
        return [[`${l} n`, b.n], [`${l} MRE px`, b.mrePx]];
      })),
    };
  });
}

/**
 * One row per run: n, true OFD range and MRE per third of the images by true OFD length (small,
 * middle, large heads), thirds cut on the first run's images and applied by id to the others. A
 * letterboxed input gives a small head few pixels; this is where a head-crop second stage pays.
 */
export function headSizeRows(runs: readonly Pick<FamilyRun, "family" | "evaluation">[]): Row[] {
  if (runs.length === 0) return [];
  const ofd = (l: Landmarks) => Math.hypot(l[1].x - l[0].x, l[1].y - l[0].y);
  const sorted = [...runs[0].evaluation.cases].sort((a, b) => ofd(a.truth) - ofd(b.truth));
  const n = sorted.length;
  const thirds = ["small", "middle", "large"].map((name, k) => ({
    name,
    cases: sorted.slice(Math.round((k * n) / 3), Math.round(((k + 1) * n) / 3)),
  }));
  return runs.map((r) => {
    const mreById = new Map(r.evaluation.landmarks.images.map((i) => [i.id, i.mrePx]));
    return {
      family: r.family,
      ...Object.fromEntries(thirds.flatMap(({ name, cases }) => {
        const lengths = cases.map((c) => ofd(c.truth));
        return [
          [`${name} n`, cases.length],
          [
            `${name} OFD px`,
            cases.length ? `${Math.round(lengths[0])}–${Math.round(lengths.at(-1)!)}` : "–",
          ],
          [`${name} MRE px`, mean(cases.map((c) => mreById.get(c.id) ?? NaN))],
        ];
      })),
    };
  });
}

/** How close the families come to each other and to the labels (lib/metrics/model_agreement.ts). */
export interface AgreementStudy {
  /** Labels against each family, then every pair of families. */
  pairs: PairAgreement[];
  /** Spearman's ρ of every pair of families' signed OFD angle errors. */
  correlations: ErrorCorrelation[];
  /** The same for their signed HC errors (images with a pixel size). */
  hcCorrelations: ErrorCorrelation[];
  /** Labels against the coordinate-wise mean of all families (absent for fewer than two). */
  consensus?: PairAgreement;
  /** Mean |ΔHC| of that mean, over the images with a pixel size (NaN without any). */
  consensusHcAbsMm?: number;
}

export function agreementStudy(
  runs: readonly Pick<FamilyRun, "family" | "evaluation">[],
): AgreementStudy {
  const labels: LandmarkSource = {
    name: "labels",
    byId: new Map(runs[0]?.evaluation.cases.map((c) => [c.id, c.truth]) ?? []),
  };
  const models: LandmarkSource[] = runs.map((r) => ({
    name: r.family,
    byId: new Map(r.evaluation.cases.map((c) => [c.id, c.pred])),
  }));
  const pixelSize = new Map(runs[0]?.evaluation.cases.map((c) => [c.id, c.pixelSizeMm]) ?? []);
  const hcError = (pred: Landmarks, truth: Landmarks, id: string) => {
    const mm = pixelSize.get(id);
    return mm === undefined
      ? NaN
      : measuresFromLandmarks(pred, mm).hcMm - measuresFromLandmarks(truth, mm).hcMm;
  };
  const study: AgreementStudy = {
    pairs: pairAgreements([labels, ...models]),
    correlations: angleErrorCorrelations(labels, models),
    hcCorrelations: errorCorrelations(labels, models, hcError),
  };
  if (models.length > 1) {
    const averaged = consensus(`mean of ${models.length}`, models);
    study.consensus = pairAgreement(labels, averaged);
    study.consensusHcAbsMm = mean(
      [...averaged.byId].map(([id, l]) => Math.abs(hcError(l, labels.byId.get(id)!, id))),
    );
  }
  return study;
}

/** One row per pair of sources: images, then median and mean MRE, angle and centre distance. */
export function agreementRows(study: AgreementStudy): Row[] {
  return [...study.pairs, ...(study.consensus ? [study.consensus] : [])].map((p) => ({
    pair: `${p.a} – ${p.b}`,
    n: p.n,
    "MRE px median": p.mrePx.median,
    "MRE px mean": p.mrePx.mean,
    "angle ° median": p.angleDeg.median,
    "angle ° mean": p.angleDeg.mean,
    "centre px median": p.centrePx.median,
  }));
}

/**
 * The labels and every family against each other: median MRE between two sources (px), as a
 * matrix chart. The labels' row is each family's error; the rest is how far the families disagree.
 */
export function agreementFigure(study: AgreementStudy): Figure {
  const names = [...new Set(study.pairs.flatMap((p) => [p.a, p.b]))];
  const m = names.map((a) =>
    names.map((b) => {
      if (a === b) return 0;
      const p = study.pairs.find((q) => (q.a === a && q.b === b) || (q.a === b && q.b === a));
      return p ? p.mrePx.median : NaN;
    })
  );
  return matrixChart(names, m, {
    title: "median MRE between two sources (px)",
    colourTitle: "px",
  });
}

/** One row per pair of families: Spearman's ρ of their signed OFD angle and HC errors. */
export function errorCorrelationRows(study: AgreementStudy): Row[] {
  return study.correlations.map((c, i) => ({
    "A vs B": `${c.a} vs ${c.b}`,
    n: c.n,
    "ρ angle": c.rho,
    "n HC": study.hcCorrelations[i]?.n ?? 0,
    "ρ HC": study.hcCorrelations[i]?.rho ?? NaN,
  }));
}

/**
 * The study in three sentences, from its own numbers: how far the families are from each other
 * and from the labels (medians), how their errors correlate, and what averaging them gives against
 * the best single family of the comparison table.
 */
export function agreementMarkdown(study: AgreementStudy, table: readonly Row[]): string {
  const best = (key: string) => {
    const v = table.map((r) => r[key]).filter((x): x is number => Number.isFinite(x));
    return v.length ? Math.min(...v) : NaN;
  };
  const range = (values: number[], digits = 1) => {
    const v = values.filter((x) => !Number.isNaN(x));
    return v.length ? `${fmt(Math.min(...v), digits)}–${fmt(Math.max(...v), digits)}` : "–";
  };
  const toLabels = study.pairs.filter((p) => p.a === "labels").map((p) => p.mrePx.median);
  const between = study.pairs.filter((p) => p.a !== "labels").map((p) => p.mrePx.median);
  const lines = [
    `- Median MRE between two families: ${range(between)} px; between a family and the labels: ` +
    `${range(toLabels)} px.`,
  ];
  if (study.correlations.length) {
    const hc = study.hcCorrelations.map((c) => c.rho).filter((r) => !Number.isNaN(r));
    lines.push(
      `- Their signed errors against the labels correlate over the pairs of families: ` +
        `Spearman's ρ = ${range(study.correlations.map((c) => c.rho), 2)} for the OFD angle` +
        (hc.length ? `, ${range(hc, 2)} for HC.` : "."),
    );
  }
  if (study.consensus) {
    const c = study.consensus;
    lines.push(
      `- Averaging the ${toLabels.length} families' points scores MRE ${fmt(c.mrePx.mean, 1)} px ` +
        `(median ${fmt(c.mrePx.median, 1)}) against the labels, the best single family ` +
        `${fmt(best("MRE px"), 1)} px` +
        (Number.isFinite(study.consensusHcAbsMm) && Number.isFinite(best("|ΔHC| mm"))
          ? `; |ΔHC| ${fmt(study.consensusHcAbsMm)} mm against ${fmt(best("|ΔHC| mm"))} mm.`
          : "."),
    );
  }
  return lines.join("\n");
}

/**
 * One row per source: the mean MRE and mean |ΔHC| with their percentile bootstrap intervals over
 * the images (lib/metrics/evaluation.ts), e.g. to read a target such as |ΔHC| ≤ 2 mm against the
 * uncertainty of a 160-image split.
 */
export function intervalRows(runs: readonly Pick<FamilyRun, "family" | "evaluation">[]): Row[] {
  return runs.map(({ family, evaluation: ev }) => ({
    family,
    images: ev.nImages,
    "MRE px": ev.mreCiPx.estimate,
    "MRE px low": ev.mreCiPx.lower,
    "MRE px high": ev.mreCiPx.upper,
    "|ΔHC| mm": finite(ev.hcAbsCiMm?.estimate),
    "|ΔHC| mm low": finite(ev.hcAbsCiMm?.lower),
    "|ΔHC| mm high": finite(ev.hcAbsCiMm?.upper),
  }));
}

/**
 * Paired two-sided Wilcoxon signed-rank tests of per-image MRE for every pair of families, with
 * Holm's step-down adjustment over the pairs (family-wise error at 5 %).
 */
export function pairwiseWilcoxonRows(runs: readonly FamilyRun[]): Row[] {
  const pairs: { a: FamilyRun; b: FamilyRun; c: ReturnType<typeof compareMre> }[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      pairs.push({ a: runs[i], b: runs[j], c: compareMre(runs[i].evaluation, runs[j].evaluation) });
    }
  }
  const holm = holmAdjust(pairs.map((p) => p.c.wilcoxon.pValue));
  return pairs.map((p, k) => ({
    "A vs B": `${p.a.family} vs ${p.b.family}`,
    n: p.c.n,
    unit: p.c.unit,
    "mean A": p.c.meanA,
    "mean B": p.c.meanB,
    "median A−B": p.c.medianDiff,
    W: p.c.wilcoxon.statistic,
    p: p.c.wilcoxon.pValue,
    "p (Holm)": holm[k],
    method: p.c.wilcoxon.method,
  }));
}

/** Holm–Bonferroni adjusted p-values (monotone, capped at 1); NaN stays NaN and is not counted. */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p))
    .sort((x, y) => x.p - y.p);
  const m = order.length;
  const out = pValues.map(() => NaN);
  let running = 0;
  order.forEach((e, k) => {
    running = Math.max(running, Math.min(1, (m - k) * e.p));
    out[e.i] = running;
  });
  return out;
}

/** TTA confidence study of each run's weights on its validation images (lib/inference/compare.ts). */
export async function confidenceStudies(runs: readonly FamilyRun[]): Promise<ConfidenceStudy[]> {
  const out: ConfidenceStudy[] = [];
  for (const r of runs) {
    const predictor = await Predictor.fromDir(r.weightsDir, r.config);
    try {
      out.push(await confidenceStudy(predictor, r.val.samples));
    } finally {
      predictor.dispose();
    }
  }
  return out;
}

/** The runs in compare.ts's shape, so its figures and table helpers apply. */
export function asFamilyResults(
  runs: readonly FamilyRun[],
  studies: readonly (ConfidenceStudy | undefined)[] = [],
): FamilyResult[] {
  return runs.map((r, i) => ({
    family: r.family,
    config: r.config,
    runId: r.run.runId ?? "",
    runDir: "",
    checkpointDir: r.weightsDir,
    metrics: metricsOf(
      r.family,
      r.config,
      r.evaluation,
      r.msPerImage,
      r.params,
      r.run,
      studies[i],
    ),
    evaluation: r.evaluation,
    predictions: r.predictions,
    ...(studies[i] ? { confidence: studies[i] } : {}),
  }));
}

/** Per-image MRE boxes, SDR curves and (with studies) TTA confidence against error. */
export function familyFigures(
  runs: readonly FamilyRun[],
  studies: readonly (ConfidenceStudy | undefined)[] = [],
): Figure[] {
  return comparisonFigures(asFamilyResults(runs, studies)).map(([, f]) => f);
}

export function confidenceRows(
  runs: readonly FamilyRun[],
  studies: readonly ConfidenceStudy[],
): Row[] {
  return studies.map((s, i) => {
    const failed = s.rows.filter((r, k) =>
      r.mre > (s.unit === "mm" ? 2 : 0.02 * runs[i].val.samples[k].image.width)
    ).length;
    return {
      family: runs[i].family,
      images: s.rows.length,
      [`failures (> ${s.unit === "mm" ? "2 mm" : "2 % of width"})`]: failed,
      "AUROC (1 − confidence)": s.auroc,
      "mean confidence": s.rows.reduce((a, r) =>
        a + r.confidence, 0) / Math.max(1, s.rows.length),
    };
  });
}

/**
 * Validation images ranked by their median MRE over the families (hardest first; in mm when every
 * image has a pixel size, as the captions are, else in px): rows = images, columns = families,
 * with truth (green), prediction (blue), ellipse and predicted mask.
 */
export async function failureGalleryPng(runs: readonly FamilyRun[], n = 4): Promise<Uint8Array> {
  const count = runs[0].val.samples.length;
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const inMm = runs.every((r) => r.evaluation.landmarks.images.every((e) => e.mreMm !== undefined));
  const ranked = Array.from({ length: count }, (_, i) => ({
    i,
    m: median(runs.map((r) => {
      const e = r.evaluation.landmarks.images[i];
      return inMm ? e.mreMm! : e.mrePx;
    })),
  })).sort((a, b) => b.m - a.m).slice(0, n);
  const tiles = [];
  for (const { i } of ranked) {
    for (const r of runs) {
      const s = r.val.samples[i];
      const p = r.predictions[i];
      const e = r.evaluation.landmarks.images[i];
      tiles.push({
        png: await overlayPng(s.image, {
          truth: s.landmarks,
          prediction: p.landmarks,
          ellipse: p.ellipse,
          ...(p.mask ? { mask: p.mask } : {}),
        }),
        caption: `${r.family}  ${s.id.replace(/\.png$/i, "")}  ${
          e.mreMm !== undefined ? e.mreMm.toFixed(1) + " mm" : e.mrePx.toFixed(0) + " px"
        }${p.plausible === false ? "  rejected" : ""}`,
      });
    }
  }
  return await gridPng(tiles, { cols: runs.length, tileWidth: 260 });
}

/** Every `cv_summary.json` under `root` (itself or one level down), e.g. one folder per family. */
export async function publishedCvResults(root = join(PUBLISHED_ROOT, "cv")): Promise<CvResult[]> {
  if (!await exists(root)) return [];
  const paths = [join(root, "cv_summary.json")];
  for await (const e of Deno.readDir(root)) {
    if (e.isDirectory) paths.push(join(root, e.name, "cv_summary.json"));
  }
  const out: CvResult[] = [];
  for (const p of paths.sort()) {
    if (await exists(p)) out.push(JSON.parse(await Deno.readTextFile(p)) as CvResult);
  }
  return out;
}

/** Each cross-validation run: a line on its config and schedule, then its table of metrics. */
export function cvMarkdown(results: readonly CvResult[]): string {
  return results.map((c) =>
    `**${c.config}** (\`${c.model}\`), ${c.folds.length} folds of ${c.folds[0]?.epochs} epochs ` +
    `each (run \`cv-${c.id}\`)\n\n${markdownTable(cvRows(c), { digits: 3 })}`
  ).join("\n\n");
}

const fmt = (v: unknown, digits = 2) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";

/**
 * "What to use when", written from the table: who is most accurate, best on HC, fastest,
 * smallest, whose confidence best flags failures, and whether the other families' second opinion
 * (`secondOpinionRows`) flags them better; each claim cites its number, and pairs the Wilcoxon
 * test cannot separate are said to be tied.
 */
export function recommendationMarkdown(
  table: readonly Row[],
  wilcoxon: readonly Row[],
  auroc: readonly Row[] = [],
  secondOpinion: readonly Row[] = [],
): string {
  const num = (
    r: Row,
    k: string,
  ) => (typeof r[k] === "number" && Number.isFinite(r[k]) ? r[k] as number : NaN);
  const argBest = (k: string, dir: 1 | -1) => {
    const ok = table.filter((r) => Number.isFinite(num(r, k)));
    return ok.length ? ok.reduce((a, b) => (dir * (num(b, k) - num(a, k)) < 0 ? b : a)) : undefined;
  };
  const mreKey = table.every((r) => Number.isFinite(num(r, "MRE mm"))) ? "MRE mm" : "MRE px";
  const unit = mreKey === "MRE mm" ? "mm" : "px";
  const best = argBest(mreKey, 1);
  const lines: string[] = [];
  if (best) {
    const tied = wilcoxon.filter((w) => {
      const [a, b] = String(w["A vs B"]).split(" vs ");
      return (a === best.family || b === best.family) && !(num(w, "p (Holm)") < 0.05);
    }).map((w) => String(w["A vs B"]).split(" vs ").find((f) => f !== best.family));
    lines.push(
      `- **Most accurate landmarks:** ${best.family} (MRE ${fmt(num(best, mreKey))} ${unit}` +
        (Number.isFinite(num(best, "SDR 2 mm"))
          ? `, ${fmt(100 * num(best, "SDR 2 mm"), 0)} % within 2 mm`
          : "") +
        ")" +
        (tied.length
          ? `; the paired Wilcoxon test does not separate it from ${
            tied.join(", ")
          } (Holm-adjusted p ≥ 0.05), so those are equally good choices on this split.`
          : "; every paired Wilcoxon test against it is significant (Holm-adjusted p < 0.05)."),
    );
  }
  const hc = argBest("|ΔHC| mm", 1);
  if (hc) {
    lines.push(
      `- **Head circumference / gestational age:** ${hc.family} (|ΔHC| ${
        fmt(num(hc, "|ΔHC| mm"))
      } mm, ` +
        `GA error ${fmt(num(hc, "GA error d"), 1)} days).`,
    );
  }
  const seg = table.filter((r) => Number.isFinite(num(r, "Dice")));
  if (seg.length) {
    const d = seg.reduce((a, b) => (num(b, "Dice") > num(a, "Dice") ? b : a));
    lines.push(
      `- **When a cranium outline is needed** (a mask to check, an ellipse to draw): a segmentation ` +
        `family; ${d.family} has the higher Dice (${
          fmt(num(d, "Dice"), 3)
        }), and its validator can ` +
        "reject implausible outlines.",
    );
  }
  const fast = argBest("ms/image", 1);
  const small = argBest("params", 1);
  if (fast && small) {
    lines.push(
      `- **Speed and size:** ${fast.family} is fastest (${
        fmt(num(fast, "ms/image"), 1)
      } ms per image ` +
        `on this CPU), ${small.family} the smallest (${
          num(small, "params").toLocaleString("en")
        } parameters).`,
    );
  }
  const conf = auroc.filter((r) => Number.isFinite(num(r, "AUROC (1 − confidence)")));
  if (conf.length) {
    const c = conf.reduce((a, b) =>
      num(b, "AUROC (1 − confidence)") > num(a, "AUROC (1 − confidence)") ? b : a
    );
    const v = num(c, "AUROC (1 − confidence)");
    lines.push(
      `- **Flagging failures for review:** ${c.family}'s TTA confidence separates failures best ` +
        `(AUROC ${fmt(v)})` + (v < 0.7 ? ", which is still weak: do not rely on it alone." : "."),
    );
  }
  if (secondOpinion.length) {
    const caught = (r: Row, by: string) => num(r, `caught: ${by}`);
    const better = secondOpinion.filter((r) =>
      caught(r, "cross-check") > caught(r, "lowest confidence")
    );
    const restHc = (r: Row) => num(r, "rest |ΔHC| mm: cross-check");
    // The example: the chain leaving the lowest |ΔHC| among those that keep any image.
    const keeping = secondOpinion.filter((r) => Number.isFinite(restHc(r)));
    const ex = (keeping.length ? keeping : secondOpinion)
      .reduce((a, b) => (restHc(b) < restHc(a) ? b : a));
    const kept = num(ex, "images") - num(ex, "to review");
    const failures = num(ex, `failures (> ${FAILURE_MM} mm)`);
    lines.push(
      "- **A second opinion:** with the other chains run too (`deno task predict --cross-check`), " +
        "their disagreement caught more failures than the TTA confidence at the same review " +
        `count for ${better.length} of ${secondOpinion.length} chains (${ex.source}: ` +
        `${caught(ex, "cross-check")} vs ${caught(ex, "lowest confidence")} of ${failures}` +
        (kept > 0 ? `; |ΔHC| ${fmt(restHc(ex))} mm on the ${kept} images it leaves)` : ")") +
        ", for the time of running the other chains too.",
    );
  }
  const worst = argBest(mreKey, -1);
  if (worst && best && worst !== best) {
    const strengths = [
      ...(worst === fast ? ["the fastest"] : []),
      ...(worst === small ? ["the smallest"] : []),
    ];
    lines.push(
      `- **Least accurate here:** ${worst.family} (MRE ${fmt(num(worst, mreKey))} ${unit})` +
        (strengths.length
          ? `; it is ${strengths.join(" and ")}, so it suits where that matters more than accuracy.`
          : "."),
    );
  }
  return lines.join("\n");
}

/**
 * Every notebook family's run on one split, and a Markdown note on the choice. Full mode uses the
 * published runs only when every family has one; otherwise all families take the quick path
 * (reusing what notebooks 03–06 trained with the same config), so the comparison never mixes
 * HC18 with phantoms. Validation images are loaded once and shared.
 */
export async function loadAllFamilies(
  opts: Omit<FamilyRunOptions, "val" | "reuse" | "progress"> & {
    /** A progress display per family that has to be trained (e.g. `autoProgress`). */
    progressFor?: (family: string) => ProgressSink;
  },
  families: readonly string[] = NOTEBOOK_FAMILIES,
): Promise<{ runs: FamilyRun[]; note: string }> {
  const { progressFor, ...rest } = opts;
  let quick = opts.quick;
  let note = "";
  if (!quick) {
    const missing: string[] = [];
    for (const f of families) {
      if ((await missingPublished(f, opts.publishedRoot, opts.shippedRoot)).length) missing.push(f);
    }
    if (missing.length) {
      quick = true;
      note =
        `**No published HC18 run for ${missing.join(", ")}**, so every family uses its quick ` +
        "phantom run (one split for all). Notebooks 03–06 show the commands that publish a run.";
    }
  }
  const runs: FamilyRun[] = [];
  for (const family of families) {
    runs.push(
      await loadFamilyRun(family, {
        ...rest,
        quick,
        reuse: true,
        val: runs.at(-1)?.val,
        progress: progressFor?.(family),
      }),
    );
  }
  return { runs, note };
}

/**
 * The coarse-to-fine chains behind `runs`: for every family with a second stage (FAMILIES'
 * `firstStage`) whose first stage is among `runs`, that second stage loaded behind the first
 * stage's run (the published one, or the quick run reused, as its notebook 04 or 05 left it).
 * The chain is named `<first> → <second>`; its params count both stages, its training time
 * the second stage alone. A published first stage gets only published second stages: a quick
 * phantom second stage behind an HC18 model would score nothing meaningful.
 */
export async function loadChains(
  runs: readonly FamilyRun[],
  opts: Omit<FamilyRunOptions, "val" | "reuse" | "progress" | "firstStage" | "quick"> & {
    progressFor?: (family: string) => ProgressSink;
  } = {},
): Promise<FamilyRun[]> {
  const { progressFor, ...rest } = opts;
  const chains: FamilyRun[] = [];
  for (const [name, info] of Object.entries(FAMILIES)) {
    const first = runs.find((r) => r.family === info.firstStage);
    if (!first) continue;
    if (first.source === "published") {
      const missing = await missingPublished(name, opts.publishedRoot, opts.shippedRoot);
      if (missing.length) {
        opts.log?.(`${name}: no published run (${missing.join(", ")}), no chain shown`);
        continue;
      }
    }
    const fine = await loadFamilyRun(name, {
      ...rest,
      quick: first.source === "quick",
      reuse: true,
      firstStage: first,
      val: first.val,
      progress: progressFor?.(name),
    });
    chains.push({ ...fine, family: `${first.family} → ${name}` });
  }
  return chains;
}

/**
 * One paired Wilcoxon row per chain from `loadChains`: the chain against its first stage alone
 * (found in `runs` by the chain's `<first> → <second>` name), each pair tested on its own.
 */
export function chainWilcoxonRows(runs: readonly FamilyRun[], chains: readonly FamilyRun[]): Row[] {
  return chains.flatMap((chain) => {
    const first = runs.find((r) => chain.family.startsWith(`${r.family} → `));
    return first ? pairwiseWilcoxonRows([first, chain]) : [];
  });
}

/** One line per family: where its numbers come from, and whether the split is shared. */
export function sourcesMarkdown(runs: readonly FamilyRun[], note = ""): string {
  const lines = runs.map((r) =>
    `- **${r.family}**: ${r.source === "published" ? "published HC18 run" : "quick phantom run"} ` +
    `\`${r.run.runId ?? "?"}\`, \`${r.config.name}\`, ${r.val.records.length} validation images.`
  );
  return [
    ...(note ? [note, ""] : []),
    ...lines,
    "",
    sameSplit(runs)
      ? "All families are scored on the **same validation images** (same grouped split)."
      : "**The families were validated on different images**: the paired tests below compare " +
        "only the images they share.",
  ].join("\n");
}

/**
 * Two runs on the same validation images, for a notebook's "against notebook NN" section: where
 * each comes from, their headline rows and a paired Wilcoxon test (on the images they share, and
 * without the headline rows, when their validation images differ).
 */
export async function showSameSplit(
  a: { run: FamilyRun; label: string },
  b: { run: FamilyRun; label: string },
): Promise<void> {
  const runs = [a.run, b.run];
  await showMarkdown(sourcesMarkdown(runs));
  if (sameSplit(runs)) {
    await showTable(
      [headlineRow(a.label, a.run.evaluation), headlineRow(b.label, b.run.evaluation)],
      { caption: `same ${b.run.val.records.length} validation images`, digits: 3 },
    );
  }
  await showTable(pairwiseWilcoxonRows(runs), { caption: "paired Wilcoxon test", digits: 4 });
}

/** What to run to get cross-validation results for the comparison. */
export function cvHintMarkdown(): string {
  return [
    "No cross-validation results in `results/published/cv/`. To produce them (one training run per",
    "fold, so about 5 × 60 min per family on this CPU):",
    "",
    "```sh",
    ...NOTEBOOK_FAMILIES.map((f) => `deno task cv --model ${f} --folds 5 --run-id ${f}`),
    ...NOTEBOOK_FAMILIES.map((f) =>
      `mkdir -p results/published/cv && cp -r results/runs/cv-${f} results/published/cv/${f}`
    ),
    "```",
  ].join("\n");
}
