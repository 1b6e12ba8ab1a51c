/**
 * Notebooks 05–06's views: the architecture, masks against the ground truth, Dice and HC
 * agreement, and failure cases with the post-processing validator's reasons.
 */
import type { Sample } from "../core/types.ts";
import { predictionChecks } from "../inference/batch.ts";
import { type InputImage, Predictor } from "../inference/predictor.ts";
import type { EvalResult } from "../metrics/evaluation.ts";
import { createModel, summarize } from "../models/mod.ts";
import type { RunConfig } from "../training/config.ts";
import { blandAltmanChart, histogram } from "../viz/charts.ts";
import type { Figure } from "../viz/figure.ts";
import { gridPng, overlayPng } from "../viz/overlay.ts";
import type { FamilyRun } from "./family.ts";
import { bestIndices, worstIndices } from "./family_views.ts";
import type { Row } from "./table.ts";

/** Stages of the run's architecture (built fresh at the run's input size, then freed). */
export function architectureRows(config: RunConfig): { rows: Row[]; params: number; name: string } {
  const model = createModel(config.model.name, {
    ...config.model.options,
    inputSize: config.inputSize,
    inChannels: config.channels,
    seed: config.seed,
  });
  try {
    const s = summarize(model);
    return {
      name: config.model.name,
      params: s.params,
      rows: s.stages.map((st) => ({
        "stage (last layer)": st.name,
        output: st.shape.join("×"),
        layers: st.layers,
        params: st.params,
      })),
    };
  } finally {
    model.dispose();
  }
}

/** Opacity of the magenta tint inside drawn masks (overlayPng's maskFill). */
const MASK_TINT = 0.25;

/**
 * Pairs of tiles per case: the image with the true mask (magenta, tinted) and true landmarks,
 * then the predicted mask (tinted the same way), the fitted ellipse (orange) and the derived
 * landmarks. The tint shows the mask apart from the ellipse drawn on its edge.
 */
export async function maskPairsPng(r: FamilyRun, indices: readonly number[]): Promise<Uint8Array> {
  const tiles = [];
  for (const i of indices) {
    const s = r.val.samples[i];
    const p = r.predictions[i];
    const dice = r.evaluation.segmentation?.images[i]?.dice;
    tiles.push({
      png: await overlayPng(s.image, {
        truth: s.landmarks,
        ...(s.mask ? { mask: s.mask, maskFill: MASK_TINT } : {}),
      }),
      caption: `${s.id.replace(/\.png$/i, "")}  ground truth`,
    });
    tiles.push({
      png: await overlayPng(s.image, {
        prediction: p.landmarks,
        ellipse: p.ellipse,
        ...(p.mask ? { mask: p.mask, maskFill: MASK_TINT } : {}),
      }),
      caption: `prediction  Dice ${dice === undefined ? "–" : dice.toFixed(3)}`,
    });
  }
  return await gridPng(tiles, { cols: 4, tileWidth: 240 });
}

/** Histogram of per-image Dice on the original grid (null without masks). */
export function diceHistogram(ev: EvalResult): Figure | null {
  const s = ev.segmentation;
  if (!s) return null;
  return histogram(s.images.map((i) => i.dice), {
    title: `Dice per image (mean ${s.dice.mean.toFixed(3)}, median ${s.dice.median.toFixed(3)})`,
    xLabel: "Dice",
    bins: 20,
  });
}

/** Bland–Altman plot of predicted against true HC in mm (null without pixel sizes). */
export function hcBlandAltman(ev: EvalResult): Figure | null {
  const c = ev.clinical;
  if (!c) return null;
  return blandAltmanChart(c.images.map((i) => i.pred.hcMm), c.images.map((i) => i.truth.hcMm), {
    title: "Head circumference: prediction − ground truth",
    unit: "mm",
  });
}

/**
 * Failure cases: the validator's rejections first, then the largest errors; one row each with the
 * validator's reasons.
 */
export function failureIndices(r: FamilyRun, n: number): number[] {
  const rejected = r.predictions.map((p, i) => ({ p, i })).filter(({ p }) => p.plausible === false)
    .map(({ i }) => i);
  const worst = worstIndices(r, r.predictions.length).filter((i) => !rejected.includes(i));
  return [...rejected, ...worst].slice(0, n);
}

export function failureRows(r: FamilyRun, indices: readonly number[]): Row[] {
  return indices.map((i) => {
    const p = r.predictions[i];
    const e = r.evaluation.landmarks.images[i];
    return {
      id: e.id,
      "MRE px": e.mrePx,
      "MRE mm": e.mreMm,
      Dice: r.evaluation.segmentation?.images[i]?.dice,
      plausible: p.plausible === undefined ? "" : p.plausible ? "yes" : "no",
      "validator reasons": (p.issues ?? []).join("; "),
    };
  });
}

/**
 * Inputs that are no measurable head, made from one labelled image: the image as recorded, a
 * blank frame (its mean grey), the image moved left until the head's centre sits on the frame
 * (half the skull outside), and the image with a pixel size ten times too large.
 */
export function plantedInputs(s: Sample): { name: string; input: InputImage }[] {
  const { width: w, height: h, data } = s.image;
  const meanGrey = data.reduce((a, v) => a + v, 0) / data.length;
  const dx = Math.round(s.landmarks.reduce((a, p) => a + p.x, 0) / 4);
  const moved = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x + dx < w; x++) moved[y * w + x] = data[y * w + x + dx];
  }
  const px = s.pixelSizeMm;
  const image = (d: Float32Array) => ({ width: w, height: h, data: d });
  return [
    { name: "as recorded", input: { id: s.id, image: s.image, pixelSizeMm: px } },
    {
      name: "blank frame",
      input: { id: s.id, image: image(new Float32Array(w * h).fill(meanGrey)), pixelSizeMm: px },
    },
    { name: "head half off the frame", input: { id: s.id, image: image(moved), pixelSizeMm: px } },
    {
      name: "pixel size × 10",
      input: { id: s.id, image: s.image, ...(px === undefined ? {} : { pixelSizeMm: 10 * px }) },
    },
  ];
}

/**
 * The validator's reasons at work: the run's model on `plantedInputs` of its best validation
 * image, one row per input (verdict, HC, reasons) and the overlays. On HC18 the validator passed
 * every validation head, so the failure table alone never shows a reason.
 */
export async function plantedValidatorCases(
  r: FamilyRun,
): Promise<{ rows: Row[]; png: Uint8Array }> {
  const planted = plantedInputs(r.val.samples[bestIndices(r, 1)[0]]);
  const predictor = await Predictor.fromDir(r.weightsDir, r.config);
  try {
    const preds = await predictor.predict(planted.map((c) => c.input));
    const passed = preds.map((p) => predictionChecks(p).plausible); // what predict's CSV says
    const rows = planted.map((c, i) => ({
      input: c.name,
      plausible: passed[i] ? "yes" : "no",
      "HC mm": preds[i].measures?.hcMm,
      "validator reasons": [...preds[i].inputIssues ?? [], ...preds[i].issues ?? []].join("; "),
    }));
    const tiles = [];
    for (const [i, c] of planted.entries()) {
      const p = preds[i];
      tiles.push({
        png: await overlayPng(c.input.image, {
          prediction: p.landmarks,
          ellipse: p.ellipse,
          ...(p.mask ? { mask: p.mask, maskFill: MASK_TINT } : {}),
        }),
        caption: `${c.name}: ${passed[i] ? "passed" : "rejected"}`,
      });
    }
    return { rows, png: await gridPng(tiles, { cols: 4, tileWidth: 240 }) };
  } finally {
    predictor.dispose();
  }
}
