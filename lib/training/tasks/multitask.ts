/**
 * Multi-task: one shared encoder-decoder (registry `multitask`) with two outputs, the mask logits
 * `[B, S, S, 1]` and a landmark head (heatmaps `[B, S/s, S/s, 4]`, or coordinates `[B, 8]` with
 * `landmarkHead: "coord"`). The adapter composes the segmentation adapter with the heatmap (or
 * coordinate) adapter: targets, losses and decoders are theirs, unchanged.
 *
 * loss = segWeight · (Dice + BCE) + landmarkWeight · (heatmap L2, or the coordinate losses).
 * Both decoders run on every prediction: `fromLandmarks` (landmark head) and `fromMask` (ellipse
 * fitted to the segmentation); `decodeFrom` picks which one is the prediction's `landmarks`.
 *
 * taskOptions: segWeight (1), landmarkWeight (1), decodeFrom ("landmarks" | "mask"), plus any key
 * of the segmentation adapter and of the landmark head's adapter (heatmap.ts / coord.ts), routed
 * to that adapter.
 *
 * Validation metrics: the segmentation ones (dice, iou, precision, recall, invalid; `mask_sdr2mm`,
 * `mask_hc_abs_mm`, `mask_mre_px` for the mask-derived landmarks), and for the landmark head
 * `head_mre_px`, `head_sdr2mm`, `head_hc_abs_mm` (heatmap head also: mre_argmax_px,
 * subpixel_gain_px, confidence).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import type { Landmarks } from "../../core/types.ts";
import type { RunConfig } from "../config.ts";
import "../configs_families.ts";
import { COORD_DEFAULTS, CoordTask, parseCoordOptions } from "./coord.ts";
import { LandmarkScores, modelOutputs, parseOptions } from "./common.ts";
import {
  HEATMAP_OPTION_KEYS,
  HeatmapMetrics,
  type HeatmapPrediction,
  type HeatmapTask,
  heatmapTaskFor,
  parseHeatmapOptions,
} from "./heatmap.ts";
import {
  type BiometryInfo,
  parseSegmentationOptions,
  SEGMENTATION_OPTION_KEYS,
  SegmentationMetrics,
  SegmentationTask,
} from "./segmentation.ts";
import type {
  ModelSample,
  Prediction,
  SampleMeta,
  TaskAdapter,
  TaskMetricAccumulator,
} from "./types.ts";

export interface MultitaskOptions {
  [key: string]: number | string;
  segWeight: number;
  landmarkWeight: number;
  decodeFrom: "landmarks" | "mask";
}

export const MULTITASK_DEFAULTS: MultitaskOptions = {
  segWeight: 1,
  landmarkWeight: 1,
  decodeFrom: "landmarks",
};

export interface MultitaskPrediction extends Prediction {
  modelMask: NonNullable<Prediction["modelMask"]>;
  /** From the landmark head. */
  fromLandmarks: Landmarks;
  /** Axis ends of the ellipse fitted to the predicted mask. */
  fromMask: Landmarks;
  /** Which of the two `landmarks` is (taskOptions.decodeFrom). */
  landmarksFrom: "landmarks" | "mask";
  /** The mask's ellipse fit and validator verdict, whichever head gives `landmarks`. */
  biometry: BiometryInfo;
}

type LandmarkHead = HeatmapTask | CoordTask;

export class MultitaskTask implements TaskAdapter {
  readonly task = "multitask" as const;
  private readonly memo = new WeakMap<tf.Tensor, MultitaskPrediction[]>();

  constructor(
    readonly seg: SegmentationTask,
    readonly head: LandmarkHead,
    readonly options: MultitaskOptions,
  ) {}

  targetShapes(inputSize: number): number[][] {
    const head: TaskAdapter = this.head;
    return [this.seg.targetShapes()[0], head.targetShapes(inputSize)[0]];
  }

  writeTargets(sample: ModelSample, index: number, out: Float32Array[]): void {
    this.seg.writeTargets(sample, index, [out[0]]);
    this.head.writeTargets(sample, index, [out[1]]);
  }

  loss(outputs: tf.Tensor[], targets: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.addN(Object.values(this.lossTerms(outputs, targets))) as tf.Scalar);
  }

  lossTerms(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar> {
    const { segWeight, landmarkWeight } = this.options;
    return tf.tidy(() => ({
      segmentation: tf.mul(segWeight, this.seg.loss([outputs[0]], [targets[0]])) as tf.Scalar,
      landmarks: tf.mul(landmarkWeight, this.head.loss([outputs[1]], [targets[1]])) as tf.Scalar,
    }));
  }

  async decode(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<MultitaskPrediction[]> {
    const masks = await this.seg.decodeCached(outputs[0], metas);
    const heads = this.head instanceof CoordTask
      ? await this.head.decode([outputs[1]], metas)
      : await this.head.decodeCached([outputs[1]], metas);
    const preds = metas.map((_, b): MultitaskPrediction => {
      const m = masks[b], h = heads[b];
      return {
        landmarks: this.options.decodeFrom === "mask" ? m.landmarks : h.landmarks,
        modelMask: m.modelMask,
        fromLandmarks: h.landmarks,
        fromMask: m.landmarks,
        landmarksFrom: this.options.decodeFrom,
        biometry: m.biometry,
        ...("confidence" in h ? { confidence: (h as HeatmapPrediction).confidence } : {}),
      };
    });
    this.memo.set(outputs[1], preds);
    return preds;
  }

  async decodeCached(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<MultitaskPrediction[]> {
    const hit = this.memo.get(outputs[1]);
    return hit && hit.length === metas.length ? hit : await this.decode(outputs, metas);
  }

  createMetrics(): TaskMetricAccumulator {
    return new MultitaskMetrics(this);
  }
}

/** Segmentation metrics, the landmark head's metrics, and both decodings' landmark scores. */
class MultitaskMetrics implements TaskMetricAccumulator {
  private readonly seg: SegmentationMetrics;
  private readonly heatmap?: HeatmapMetrics;
  private readonly fromMask = new LandmarkScores();
  private readonly fromHead = new LandmarkScores();

  constructor(private readonly task: MultitaskTask) {
    this.seg = new SegmentationMetrics(task.seg, 0);
    if (!(task.head instanceof CoordTask)) this.heatmap = new HeatmapMetrics(task.head, 1);
  }

  async add(outputs: tf.Tensor[], targets: tf.Tensor[], metas: SampleMeta[]): Promise<void> {
    const preds = await this.task.decodeCached(outputs, metas);
    await this.seg.add(outputs, targets, metas);
    await this.heatmap?.add(outputs, targets, metas);
    preds.forEach((p, b) => {
      this.fromMask.add(p.fromMask, metas[b]);
      this.fromHead.add(p.fromLandmarks, metas[b]);
    });
  }

  result(): Record<string, number> {
    const { sdr2mm: _s, hc_abs_mm: _h, ...seg } = this.seg.result();
    const heat = this.heatmap?.result() ?? {};
    const { sdr2mm: _hs, hc_abs_mm: _hh, ...heatExtras } = heat;
    return {
      ...seg,
      ...this.fromMask.result("mask_"),
      ...this.fromHead.result("head_"),
      ...heatExtras,
    };
  }
}

export function createTask(config: RunConfig): MultitaskTask {
  const outs = modelOutputs(config);
  if (outs.length !== 2 || outs[0].kind !== "segmentation" || outs[1].kind === "segmentation") {
    throw new InputError(
      `multitask task: model "${config.model.name}" must output [mask logits, landmarks]; it outputs ` +
        outs.map((o) => `${o.name}:${o.kind}`).join(", "),
      undefined,
      undefined,
      config.model.name,
    );
  }
  const raw = config.taskOptions;
  const coordHead = outs[1].kind === "coords";
  const headKeys = coordHead ? Object.keys(COORD_DEFAULTS) : HEATMAP_OPTION_KEYS;
  const pick = (keys: readonly string[]) =>
    Object.fromEntries(Object.entries(raw).filter(([k]) => keys.includes(k)));
  const options = parseOptions<MultitaskOptions>(
    "multitask",
    raw,
    {
      segWeight: { kind: "number", min: 0 },
      landmarkWeight: { kind: "number", min: 0 },
      decodeFrom: { kind: "enum", values: ["landmarks", "mask"] },
    },
    MULTITASK_DEFAULTS,
    [...SEGMENTATION_OPTION_KEYS, ...headKeys],
  );
  if (options.segWeight === 0 && options.landmarkWeight === 0) {
    throw new InputError("multitask task: segWeight and landmarkWeight are both 0");
  }
  const seg = new SegmentationTask(
    config.inputSize,
    parseSegmentationOptions(pick(SEGMENTATION_OPTION_KEYS)),
  );
  const head = coordHead
    ? new CoordTask(config.inputSize, parseCoordOptions(pick(headKeys)))
    : heatmapTaskFor(config, parseHeatmapOptions(pick(headKeys)), outs[1].stride);
  return new MultitaskTask(seg, head, options);
}
