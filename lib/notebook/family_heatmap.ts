/**
 * Notebook 04's views: heatmaps drawn over the model input (training targets and the network's
 * raw output) and the sub-pixel decoding gain, for a heatmap-family `FamilyRun`.
 */
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import type { GrayImage, Landmarks, Sample } from "../core/types.ts";
import { gaussianHeatmaps, heatmapSide, type HeatmapStride } from "../heatmap/mod.ts";
import { Predictor } from "../inference/predictor.ts";
import { evaluate } from "../metrics/evaluation.ts";
import type { RunConfig } from "../training/config.ts";
import { outputsAsArray } from "../training/evaluate.ts";
import { type HeatmapPrediction, parseHeatmapOptions } from "../training/tasks/heatmap.ts";
import { outputOfKind } from "../training/tasks/common.ts";
import { createTaskAdapter } from "../training/tasks/mod.ts";
import type { SampleMeta } from "../training/tasks/types.ts";
import { mapToSource, mapToTarget } from "../transforms/geometric.ts";
import { evalPipeline } from "../transforms/pipeline.ts";
import { gridPng } from "../viz/overlay.ts";
import type { FamilyRun } from "./family.ts";
import { caseCaption, headlineRow } from "./family_views.ts";
import type { Row } from "./table.ts";

const HEAT_COLOURS: [number, number, number][] = [
  [255, 64, 64],
  [255, 180, 0],
  [64, 160, 255],
  [0, 230, 118],
];

/**
 * A grey S×S image with heatmap channels blended in (OFD1 red, OFD2 orange, BPD1 blue, BPD2
 * green), each channel scaled to its own maximum; values below `floor` × that maximum are left
 * out, so low-level noise of a predicted map does not tint the whole image. Heatmaps of side
 * S/stride are upsampled nearest-neighbour.
 */
export async function heatmapOverlayPng(
  image: GrayImage,
  heat: Float32Array,
  side: number,
  floor = 0,
): Promise<Uint8Array> {
  const S = image.width;
  const stride = S / side;
  const k = heat.length / (side * side);
  const max = Array.from({ length: k }, (_, c) => {
    let m = 0;
    for (let i = c; i < heat.length; i += k) m = Math.max(m, heat[i]);
    return m > 0 ? m : 1;
  });
  const rgb = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const g = Math.max(0, Math.min(255, image.data[y * S + x])) * 0.6;
      let [r, gg, b] = [g, g, g];
      const base = (Math.min(side - 1, Math.floor(y / stride)) * side +
        Math.min(side - 1, Math.floor(x / stride))) * k;
      for (let c = 0; c < k; c++) {
        const a = Math.max(0, Math.min(1, (heat[base + c] / max[c] - floor) / (1 - floor)));
        const col = HEAT_COLOURS[c % HEAT_COLOURS.length];
        r = r * (1 - a) + col[0] * a;
        gg = gg * (1 - a) + col[1] * a;
        b = b * (1 - a) + col[2] * a;
      }
      const o = 3 * (y * S + x);
      [rgb[o], rgb[o + 1], rgb[o + 2]] = [r, gg, b];
    }
  }
  const png = await sharp(rgb, { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png);
}

function heatmapGeometry(config: RunConfig): { stride: HeatmapStride; sigma: number } {
  const { info } = outputOfKind(config, "heatmaps");
  // A learned σ: the σ it started from (the figure shows the targets training began with).
  const start = config.model.options.learnSigma as number | undefined;
  const sigma = start ?? parseHeatmapOptions(config.taskOptions).sigma;
  return { stride: info.stride as HeatmapStride, sigma };
}

/** The training targets of `samples` (letterboxed by the run's eval pipeline) over the images. */
export async function targetHeatmapsPng(config: RunConfig, samples: readonly Sample[]) {
  const pipeline = evalPipeline(config);
  const { stride, sigma } = heatmapGeometry(config);
  const side = heatmapSide(config.inputSize, stride);
  const tiles = [];
  for (const s of samples) {
    const pre = pipeline.preprocess(s);
    const heat = gaussianHeatmaps(pre.landmarks, { size: config.inputSize, stride, sigma });
    tiles.push({ png: await heatmapOverlayPng(pre.image, heat, side), caption: s.id });
  }
  return await gridPng(tiles, { cols: Math.min(4, tiles.length), tileWidth: 220 });
}

interface RawHeatmaps {
  image: GrayImage;
  heat: Float32Array;
  side: number;
  prediction: HeatmapPrediction;
  /** The same outputs decoded with each of `alsoDecodeWith`'s task options, in that order. */
  alternatives: HeatmapPrediction[];
}

/**
 * Model-space images, raw heatmaps and decoded predictions (incl. integer argmax) per sample.
 * `alsoDecodeWith` lists taskOptions overrides whose decoders also read the same model outputs,
 * so comparing decoders costs one inference pass.
 */
export async function predictHeatmaps(
  weightsDir: string,
  config: RunConfig,
  samples: readonly Sample[],
  batchSize = 8,
  alsoDecodeWith: readonly Record<string, unknown>[] = [],
): Promise<RawHeatmaps[]> {
  const predictor = await Predictor.fromDir(weightsDir, config);
  const extra = await Promise.all(
    alsoDecodeWith.map((o) =>
      createTaskAdapter({ ...config, taskOptions: { ...config.taskOptions, ...o } })
    ),
  );
  const { index } = outputOfKind(config, "heatmaps");
  const S = config.inputSize;
  const out: RawHeatmaps[] = [];
  try {
    for (let start = 0; start < samples.length; start += batchSize) {
      const chunk = samples.slice(start, start + batchSize);
      const pres = chunk.map((s) => predictor.pipeline.preprocess(s));
      const finished = pres.map((p) => predictor.pipeline.finish(p));
      const input = new Float32Array(chunk.length * S * S * config.channels);
      finished.forEach((f, b) => input.set(f.input.data, b * f.input.data.length));
      const metas: SampleMeta[] = chunk.map((s, b) => ({
        id: s.id,
        width: s.image.width,
        height: s.image.height,
        landmarks: s.landmarks,
        pixelSizeMm: s.pixelSizeMm,
        toImage: (p) => mapToSource(finished[b].maps, [p])[0],
        toModel: (p) => mapToTarget(finished[b].maps, [p])[0],
      }));
      const x = tf.tensor4d(input, [chunk.length, S, S, config.channels]);
      const outputs = outputsAsArray(predictor.model.predict(x) as tf.Tensor | tf.Tensor[]);
      try {
        const preds = await predictor.adapter.decode(outputs, metas) as HeatmapPrediction[];
        const others: HeatmapPrediction[][] = [];
        for (const a of extra) others.push(await a.decode(outputs, metas) as HeatmapPrediction[]);
        const heat = outputs[index];
        const [, side, , k] = heat.shape;
        const data = await heat.data() as Float32Array;
        chunk.forEach((_, b) => {
          const n = side! * side! * k!;
          out.push({
            image: pres[b].image,
            heat: data.slice(b * n, (b + 1) * n),
            side: side!,
            prediction: preds[b],
            alternatives: others.map((o) => o[b]),
          });
        });
      } finally {
        tf.dispose([x, ...outputs]);
      }
    }
  } finally {
    predictor.dispose();
  }
  return out;
}

/** Predicted heatmaps (above a quarter of each peak) over the model-space images, with each case's MRE. */
export async function predictedHeatmapsPng(r: FamilyRun, indices: readonly number[]) {
  const raw = await predictHeatmaps(r.weightsDir, r.config, indices.map((i) => r.val.samples[i]));
  const tiles = [];
  for (const [j, h] of raw.entries()) {
    tiles.push({
      png: await heatmapOverlayPng(h.image, h.heat, h.side, 0.25),
      caption: caseCaption(r, indices[j]),
    });
  }
  return await gridPng(tiles, { cols: Math.min(4, tiles.length), tileWidth: 220 });
}

/**
 * What each decoding step gains on the validation images, all scored the same way in original
 * pixels: each channel's integer argmax; the same peaks refined to sub-pixel; the four peaks chosen
 * together (lib/heatmap/configuration.ts), refined (the default decoder); and those moved onto
 * perpendicular axes with a common midpoint (taskOptions.axes = "perpendicular").
 */
export async function subpixelGainRows(r: FamilyRun): Promise<Row[]> {
  const channel = await predictHeatmaps(
    r.weightsDir,
    { ...r.config, taskOptions: { ...r.config.taskOptions, select: "argmax", axes: "free" } },
    r.val.samples,
    8,
    [{ select: "configuration" }, { select: "configuration", axes: "perpendicular" }],
  );
  const scoreOf = (pick: (h: RawHeatmaps) => Landmarks) =>
    evaluate(channel.map((h, i) => ({
      id: r.val.samples[i].id,
      truth: r.val.samples[i].landmarks,
      pred: pick(h),
      ...(r.val.samples[i].pixelSizeMm !== undefined
        ? { pixelSizeMm: r.val.samples[i].pixelSizeMm }
        : {}),
    })));
  const argmax = scoreOf((h) => h.prediction.argmaxLandmarks);
  const refined = scoreOf((h) => h.prediction.landmarks);
  const chosen = scoreOf((h) => h.alternatives[0].landmarks);
  const onAxes = scoreOf((h) => h.alternatives[1].landmarks);
  const decode = String((r.config.taskOptions as { decode?: string }).decode ?? "quadratic");
  const gain = (model: string, a: typeof argmax, b: typeof argmax): Row => ({
    model,
    images: b.nImages,
    "MRE px": a.landmarks.px.radial.mean - b.landmarks.px.radial.mean,
    "MRE mm": (a.landmarks.mm?.radial.mean ?? NaN) - (b.landmarks.mm?.radial.mean ?? NaN),
  });
  return [
    { ...headlineRow("integer argmax per channel", argmax) },
    { ...headlineRow(`argmax per channel, refined (${decode})`, refined) },
    { ...headlineRow(`peaks chosen together, refined (${decode})`, chosen) },
    { ...headlineRow("chosen together, refined, on perpendicular axes", onAxes) },
    gain("sub-pixel gain (integer − refined)", argmax, refined),
    gain("configuration gain (per channel − together)", refined, chosen),
    gain("axes gain (free − perpendicular)", chosen, onAxes),
  ];
}
