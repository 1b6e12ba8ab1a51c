/**
 * Heatmap-regression task after Payer et al. (MICCAI 2016, MedIA 2019): the model's heatmap output
 * `[B, S/s, S/s, 4]` (stride s = 1, 2 or 4, read from the registry model) regresses one Gaussian
 * per landmark (OFD1, OFD2, BPD1, BPD2, canonical order: lib/data/landmark_order.ts; the
 * augmentations re-canonicalise, and decoding re-applies the rule, see lib/heatmap/decode.ts).
 *
 * taskOptions (all optional):
 *   sigma (2)            Gaussian σ in heatmap pixels. At S = 192, s = 2, σ = 2 is 4 model px,
 *                        about 17 px of an 800-px HC18 image.
 *   loss ("l2")          "l2": mean squared error over all heatmap pixels, Payer's L2 up to a
 *                        constant (his code sums ½(h − g)² and divides by the batch; AdamW does not
 *                        care about the constant). "adaptive-wing": Wang et al. 2019; on HC18
 *                        (heatmap/cpu, 80 epochs) 16.9 px against L2's 15.4 (docs/EXPERIMENTS.md).
 *   awingWeight (10)     adaptive-wing only: W of Wang et al.'s weighted loss map (pixels near a
 *                        peak weigh W + 1, lib/losses/adaptive_wing.ts); 0 weighs all alike.
 *   scaling ("auto")     target peak: "payer" = γ/(2πσ²) (normalised 2-D Gaussian times γ, as in
 *                        Payer's code), "unit" = 1; "auto" picks payer for l2 and unit for
 *                        adaptive-wing, which assumes targets in [0, 1].
 *   gamma (1000)         γ of the payer scaling.
 *   decode ("quadratic") "quadratic": argmax + Newton step on the log-heatmap's 3×3 neighbourhood
 *                        (exact for a Gaussian); "softargmax": recentred windowed centroid (half-width
 *                        `window`); "integral": the differentiable soft-argmax of the whole map
 *                        (ReLU-normalised; background mass pulls it towards the centre, so it is for
 *                        comparison rather than the default).
 *   window (3)           soft-argmax half-width, heatmap px.
 *   select ("configuration")  "argmax": each channel's own maximum; "configuration": the four
 *                        peaks chosen together among each channel's 3 strongest local maxima (2σ
 *                        apart), peak height against ellipse-axis geometry (lib/heatmap/
 *                        configuration.ts). Shipped HC18 model, validation, with TTA: MRE 19.5 →
 *                        18.2 px, |ΔHC| 3.18 → 2.89 mm (argmax → configuration).
 *   configWeight (10)    weight of the geometry penalty (3 / 10 / 30 gave 19.2 / 19.0 / 20.8 px
 *                        without TTA, against 19.7 for argmax).
 *   axes ("free")        "free": the points as decoded; "perpendicular": the four points moved onto
 *                        the axis ends of one ellipse (common midpoint, perpendicular least-squares
 *                        directions, each pair's length and end order kept; lib/geometry/ellipse.ts
 *                        perpendicularAxes) before the order rule is re-applied. Shipped 80-epoch
 *                        model, validation: one pass 15.38 → 14.99 px, |ΔHC| unchanged (lengths
 *                        kept); with predict's TTA 16.04 → 16.11 px, and the TTA confidence's AUROC
 *                        for errors > 2 mm fell 0.69 → 0.61: the four points' disagreement is itself
 *                        a failure signal, which the step removes. So it stays off by default.
 *
 *   sigmaPenalty (0.1)   learnable σ only: weight α of Payer's regulariser α·Σσ² (lib/heatmap/
 *                        learnable_sigma.ts), added to the loss; it stops σ from growing (a wider,
 *                        lower target is easier to fit). In this loss's units (a mean over heatmap
 *                        pixels), not Payer's (a sum). Why 0.1: before the network fits anything
 *                        (h ≈ 0) the L2 term is the targets' mean square, ∝ 1/σ² with payer
 *                        scaling; at 96² heatmap px and γ = 1000 (`heatmap/cpu`) its pull towards
 *                        wider targets balances the penalty at σ ≈ 2.2, so σ cannot run away
 *                        before the network has learned anything. On HC18 it then kept σ below 2;
 *                        α = 0.03 let σ grow to 2.3; neither beat the fixed σ = 2
 *                        (docs/EXPERIMENTS.md, "Learnable σ").
 *
 * Learnable σ (Payer et al., MedIA 2019): with model option `learnSigma` (σ to start from) the
 * model has a second output, σ per landmark; the targets are then the landmarks themselves, and
 * the loss draws the Gaussians from the current σ (`gaussianHeatmapsTf`, the same geometry and
 * scaling as the fixed targets). Decoding takes its reference σ (confidence, peak spacing) from
 * that output instead of `sigma`.
 *
 * Validation metrics (besides the trainer's MRE): `mre_argmax_px` (the selected integer peaks, no
 * refinement), `subpixel_gain_px` (that minus the refined MRE), `sdr2mm`, `hc_abs_mm`, mean
 * `confidence`; with learnable σ also `sigma_ofd1` … `sigma_bpd2` (heatmap px).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import type { Landmarks, Point } from "../../core/types.ts";
import { canonicalize } from "../../data/landmark_order.ts";
import { perpendicularAxes } from "../../geometry/ellipse.ts";
import {
  type DecodedPoint,
  decodeHeatmapTensor,
  gaussianHeatmaps,
  gaussianHeatmapsTf,
  heatmapSide,
  type HeatmapStride,
  heatmapToModel,
  sigmaPenalty,
  softArgmax,
  targetPeak,
} from "../../heatmap/mod.ts";
import { adaptiveWing, mse } from "../../losses/mod.ts";
import { mean } from "../../metrics/summary.ts";
import type { RunConfig } from "../config.ts";
import "../configs_families.ts";
import { LandmarkScores, modelOutputs, outputOfKind, parseOptions } from "./common.ts";
import type {
  ModelSample,
  Prediction,
  SampleMeta,
  TaskAdapter,
  TaskMetricAccumulator,
} from "./types.ts";

export interface HeatmapOptions {
  [key: string]: number | string;
  sigma: number;
  loss: "l2" | "adaptive-wing";
  scaling: "auto" | "payer" | "unit";
  gamma: number;
  decode: "quadratic" | "softargmax" | "integral";
  window: number;
  select: "argmax" | "configuration";
  configWeight: number;
  axes: "free" | "perpendicular";
  sigmaPenalty: number;
  awingWeight: number;
}

export const HEATMAP_DEFAULTS: HeatmapOptions = {
  sigma: 2,
  loss: "l2",
  scaling: "auto",
  gamma: 1000,
  decode: "quadratic",
  window: 3,
  select: "configuration",
  configWeight: 10,
  axes: "free",
  sigmaPenalty: 0.1,
  awingWeight: 10,
};

export const HEATMAP_OPTION_KEYS = Object.keys(HEATMAP_DEFAULTS);

export function parseHeatmapOptions(
  raw: Record<string, unknown>,
  ignore: readonly string[] = [],
): HeatmapOptions {
  const o = parseOptions<HeatmapOptions>(
    "heatmap",
    raw,
    {
      sigma: { kind: "number", min: 0, exclusiveMin: true },
      loss: { kind: "enum", values: ["l2", "adaptive-wing"] },
      scaling: { kind: "enum", values: ["auto", "payer", "unit"] },
      gamma: { kind: "number", min: 0, exclusiveMin: true },
      decode: { kind: "enum", values: ["quadratic", "softargmax", "integral"] },
      window: { kind: "number", min: 0, exclusiveMin: true },
      select: { kind: "enum", values: ["argmax", "configuration"] },
      configWeight: { kind: "number", min: 0 },
      axes: { kind: "enum", values: ["free", "perpendicular"] },
      sigmaPenalty: { kind: "number", min: 0 },
      awingWeight: { kind: "number", min: 0 },
    },
    HEATMAP_DEFAULTS,
    ignore,
  );
  if (o.loss === "adaptive-wing" && o.scaling === "payer") {
    throw new InputError(
      "heatmap task: the adaptive-wing loss needs targets in [0, 1]; use scaling unit (or auto)",
      undefined,
      undefined,
      o.scaling,
    );
  }
  return o;
}

/** A heatmap prediction: landmarks in original pixels plus the evidence behind each point. */
export interface HeatmapPrediction extends Prediction {
  confidence: [number, number, number, number];
  /** The selected integer peaks without sub-pixel refinement, original pixels, canonical order. */
  argmaxLandmarks: Landmarks;
}

interface Evidence extends Point {
  confidence: number;
}

/** Reorder within each pair by the canonical rule, carrying each point's evidence along. */
function canonicalWithEvidence<T extends Evidence>(pts: [T, T, T, T]): [T, T, T, T] {
  const canon = canonicalize(pts.map((p) => ({ x: p.x, y: p.y })) as Landmarks);
  const [o1, o2, b1, b2] = pts;
  const ofd = canon[0].x === o1.x && canon[0].y === o1.y ? [o1, o2] : [o2, o1];
  const bpd = canon[2].x === b1.x && canon[2].y === b1.y ? [b1, b2] : [b2, b1];
  return [ofd[0], ofd[1], bpd[0], bpd[1]];
}

export class HeatmapTask implements TaskAdapter {
  readonly task = "heatmap" as const;
  readonly side: number;
  readonly scaling: "payer" | "unit";
  /** Predictions by the output tensor they were decoded from, so the metrics need not redo it. */
  private readonly memo = new WeakMap<tf.Tensor, HeatmapPrediction[]>();

  /**
   * `learnSigma`: the model's outputs are [heatmaps, σ per landmark]; the targets are then the
   * model-space landmarks [4, 2], drawn as Gaussians inside the loss.
   */
  constructor(
    readonly size: number,
    readonly stride: HeatmapStride,
    readonly options: HeatmapOptions,
    readonly learnSigma = false,
  ) {
    this.side = heatmapSide(size, stride);
    this.scaling = options.scaling === "auto"
      ? (options.loss === "l2" ? "payer" : "unit")
      : options.scaling;
    // Unit targets hold more energy the wider they are (∝ σ²): while the output is still below
    // them the loss, like the penalty, pulls σ towards 0. Payer's normalised targets (∝ 1/σ²) do not.
    if (learnSigma && this.scaling !== "payer") {
      throw new InputError(
        "heatmap task: learnable σ (model option learnSigma) needs payer scaling (loss l2, " +
          "scaling payer or auto)",
        undefined,
        undefined,
        `loss ${options.loss}, scaling ${options.scaling}`,
      );
    }
  }

  /** Peak height of a perfect target of width σ, the confidence's reference. */
  referencePeak(sigma = this.options.sigma): number {
    return targetPeak(sigma, this.scaling, this.options.gamma);
  }

  targetShapes(): number[][] {
    return this.learnSigma ? [[4, 2]] : [[this.side, this.side, 4]];
  }

  writeTargets(sample: ModelSample, index: number, out: Float32Array[]): void {
    if (this.learnSigma) {
      sample.landmarks.forEach((p, k) => out[0].set([p.x, p.y], index * 8 + 2 * k));
      return;
    }
    gaussianHeatmaps(
      sample.landmarks,
      {
        size: this.size,
        stride: this.stride,
        sigma: this.options.sigma,
        scaling: this.scaling,
        gamma: this.options.gamma,
      },
      out[0],
      index * this.side * this.side * 4,
    );
  }

  loss(outputs: tf.Tensor[], targets: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.addN(Object.values(this.lossTerms(outputs, targets))) as tf.Scalar);
  }

  lossTerms(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar> {
    const [pred] = outputs;
    const fit = (target: tf.Tensor): Record<string, tf.Scalar> =>
      this.options.loss === "l2" ? { l2: mse(pred, target) } : {
        adaptiveWing: adaptiveWing(pred, target, { foregroundWeight: this.options.awingWeight }),
      };
    if (!this.learnSigma) return fit(targets[0]);
    // Every row of the σ output holds the same weights; the first one is σ.
    const sigma = tf.reshape(tf.slice(outputs[1], [0, 0], [1, 4]), [4]);
    const target = gaussianHeatmapsTf(targets[0], sigma, {
      size: this.size,
      stride: this.stride,
      scaling: this.scaling,
      gamma: this.options.gamma,
    });
    return { ...fit(target), sigma: sigmaPenalty(sigma, this.options.sigmaPenalty) };
  }

  /** The learned σ per landmark (heatmap px) from a batch's outputs; undefined when σ is fixed. */
  async learnedSigma(outputs: tf.Tensor[]): Promise<number[] | undefined> {
    if (!this.learnSigma) return undefined;
    const row = tf.slice(outputs[1], [0, 0], [1, 4]);
    const values = Array.from(await row.data());
    row.dispose();
    return values;
  }

  async decode(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<HeatmapPrediction[]> {
    const heatmaps = outputs[0];
    this.checkShape(heatmaps, metas.length);
    const { decode, window } = this.options;
    // Learned σ: each channel is measured against its own; the peaks' spacing uses their mean.
    const learned = await this.learnedSigma(outputs);
    const sigma = learned ? mean(learned) : this.options.sigma;
    const decoded = await decodeHeatmapTensor(heatmaps, {
      stride: this.stride,
      method: decode === "softargmax" ? "softargmax" : "quadratic",
      window,
      referencePeak: learned ? learned.map((s) => this.referencePeak(s)) : this.referencePeak(),
      referenceSigma: learned ?? sigma,
      canonical: false,
      select: this.options.select,
      configuration: { weight: this.options.configWeight, minDistance: 2 * sigma },
    }, metas.map((m) => m.toImage));
    let integral: Float32Array | Int32Array | Uint8Array | undefined;
    if (decode === "integral") {
      const xy = softArgmax(heatmaps, { normalization: "relu", stride: this.stride });
      integral = await xy.data();
      xy.dispose();
    }
    const preds = metas.map((meta, b): HeatmapPrediction => {
      const pts = decoded[b].points.map((p: DecodedPoint, k): Evidence => {
        if (!integral) return { x: p.x, y: p.y, confidence: p.confidence };
        const q = meta.toImage({ x: integral[(b * 4 + k) * 2], y: integral[(b * 4 + k) * 2 + 1] });
        return { x: q.x, y: q.y, confidence: p.confidence };
      }) as [Evidence, Evidence, Evidence, Evidence];
      const ordered = canonicalWithEvidence(this.onAxes(pts));
      const argmax = decoded[b].points.map((p) =>
        meta.toImage(heatmapToModel(p.integer, this.stride))
      ) as Landmarks;
      return {
        landmarks: ordered.map((p) => ({ x: p.x, y: p.y })) as Landmarks,
        confidence: ordered.map((p) => p.confidence) as HeatmapPrediction["confidence"],
        // The same axis step, so that argmax vs refined isolates the sub-pixel refinement.
        argmaxLandmarks: canonicalize(this.onAxes(argmax)),
      };
    });
    this.memo.set(heatmaps, preds);
    return preds;
  }

  /** The points moved onto perpendicular axes (option `axes`), each keeping its other fields. */
  private onAxes<T extends Point>(pts: [T, T, T, T]): [T, T, T, T] {
    if (this.options.axes === "free") return pts;
    const moved = perpendicularAxes(pts);
    return pts.map((p, k) => ({ ...p, x: moved[k].x, y: moved[k].y })) as [T, T, T, T];
  }

  private checkShape(t: tf.Tensor, batch: number): void {
    const want = [batch, this.side, this.side, 4];
    if (t.shape.length !== 4 || t.shape.some((d, i) => d !== want[i])) {
      throw new Error(`heatmap task: output has shape [${t.shape}], expected [${want}]`);
    }
  }

  /**
   * `decode` of these outputs (heatmaps first, then σ when learned), reusing the last result for
   * the same heatmap tensor.
   */
  async decodeCached(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<HeatmapPrediction[]> {
    const hit = this.memo.get(outputs[0]);
    return hit && hit.length === metas.length ? hit : await this.decode(outputs, metas);
  }

  createMetrics(): TaskMetricAccumulator {
    return new HeatmapMetrics(this);
  }
}

const SIGMA_NAMES = ["sigma_ofd1", "sigma_ofd2", "sigma_bpd1", "sigma_bpd2"];

/** Argmax-only vs refined landmark scores, the mean confidence, and the learned σ if any. */
export class HeatmapMetrics implements TaskMetricAccumulator {
  private readonly refined = new LandmarkScores();
  private readonly argmax = new LandmarkScores();
  private confidenceSum = 0;
  private points = 0;
  private sigma?: number[];

  constructor(private readonly task: HeatmapTask, private readonly outputIndex = 0) {}

  async add(outputs: tf.Tensor[], _targets: tf.Tensor[], metas: SampleMeta[]): Promise<void> {
    const own = outputs.slice(this.outputIndex);
    const preds = await this.task.decodeCached(own, metas);
    this.sigma = await this.task.learnedSigma(own) ?? this.sigma;
    metas.forEach((meta, b) => {
      const p = preds[b];
      this.refined.add(p.landmarks, meta);
      this.argmax.add(p.argmaxLandmarks, meta);
      for (const c of p.confidence) this.confidenceSum += c;
      this.points += 4;
    });
  }

  result(): Record<string, number> {
    const r = this.refined.result();
    const a = this.argmax.result("argmax_");
    return {
      sdr2mm: r.sdr2mm,
      hc_abs_mm: r.hc_abs_mm,
      mre_argmax_px: a.argmax_mre_px,
      subpixel_gain_px: a.argmax_mre_px - r.mre_px,
      confidence: this.points ? this.confidenceSum / this.points : NaN,
      ...(this.sigma
        ? Object.fromEntries(SIGMA_NAMES.map((name, k) => [name, this.sigma![k]]))
        : {}),
    };
  }
}

/** The heatmap adapter for a config; the stride comes from the model's heatmap output. */
export function heatmapTaskFor(
  config: RunConfig,
  options: HeatmapOptions,
  outputStride: number,
  learnSigma = false,
): HeatmapTask {
  if (![1, 2, 4].includes(outputStride)) {
    throw new InputError(
      "heatmap task: output stride must be 1, 2 or 4",
      undefined,
      undefined,
      outputStride,
    );
  }
  return new HeatmapTask(config.inputSize, outputStride as HeatmapStride, options, learnSigma);
}

export function createTask(config: RunConfig): HeatmapTask {
  const { info } = outputOfKind(config, "heatmaps");
  const learnSigma = modelOutputs(config).some((o) => o.kind === "sigma");
  return heatmapTaskFor(config, parseHeatmapOptions(config.taskOptions), info.stride, learnSigma);
}
