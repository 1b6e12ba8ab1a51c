/**
 * Heatmap → landmark decoding with sub-pixel refinement, mapped back to image pixels.
 *
 * Per channel: integer argmax, then one of
 * - "quadratic": a second-order Taylor (Newton) step on the 3×3 neighbourhood of the argmax,
 *   taken on log(h) when those values are positive (the log of a Gaussian is exactly quadratic,
 *   so a Gaussian peak is recovered without bias, as in DARK, Zhang et al. CVPR 2020), else on h;
 * - "softargmax": the centroid of max(h, 0) over a square window of half-width r, recentred on
 *   the estimate until it stops moving; pixels on the window edge weigh by their overlap with it.
 *   A fixed window around the integer argmax is biased towards that pixel (0.2 px for σ = 2,
 *   r = 3); recentring makes the window symmetric about the peak, which removes most of that.
 * Peak height and width (for the confidence) come from the same local quadratic model.
 * Then heatmap → model pixels (targets.ts), model → image through the caller's inverse transform
 * (e.g. `LetterboxTransform.toImage` from lib/io/letterbox.ts), and canonical landmark order.
 *
 * Why canonicalise after decoding: the training targets are built from canonicalised labels
 * (lib/data/landmark_order.ts; augmentations re-canonicalise), so channel 0 learns "the left OFD
 * end", channel 2 "the top BPD end", and so on. Where that rule is nearly tied (an almost vertical
 * OFD axis, an almost horizontal BPD axis) the network may put the two ends of a pair in either
 * channel; re-applying the same rule to the decoded points gives the order the labels use, and it
 * never moves a point, only reorders within a pair. The letterbox map is a positive scale plus a
 * shift, so canonical order in model space and in image space agree.
 */
import type { Landmarks, Point } from "../core/types.ts";
import { InputError } from "../core/errors.ts";
import { canonicalize } from "../data/landmark_order.ts";
import * as tf from "@tensorflow/tfjs";
import { type HeatmapStride, heatmapToModel } from "./targets.ts";
import {
  channelCandidates,
  type ConfigurationOptions,
  selectConfiguration,
} from "./configuration.ts";

/** One sample's heatmaps, [H, W, K] row-major (channel last) starting at `offset` in `data`. */
export interface HeatmapView {
  data: ArrayLike<number>;
  height: number;
  width: number;
  channels: number;
  offset?: number;
}

export type DecodeMethod = "quadratic" | "softargmax";

export interface PeakOptions {
  /** Default "quadratic". */
  method?: DecodeMethod;
  /** Half-width r of the soft-argmax window, in heatmap pixels (window 2r + 1). Default 3. */
  window?: number;
  /** Peak height of a perfect target (1 for unit scaling, `targetPeak(σ, "payer")` otherwise);
   * one for all channels or one per channel (learned σ). Default 1. */
  referencePeak?: number | readonly number[];
  /** σ of the targets in heatmap pixels, one or per channel; when given, peaks wider than this
   * lose confidence. */
  referenceSigma?: number | readonly number[];
}

/** A refined peak in heatmap pixels. */
export interface HeatmapPeak extends Point {
  /** Height of the peak: the local quadratic model's maximum (exact for a Gaussian), never below
   * the value at the integer argmax. */
  peak: number;
  /** Width of the peak as a Gaussian σ (heatmap px) from its curvature; Infinity if not concave. */
  spread: number;
  /** In [0, 1]: clamp(peak / referencePeak, 0, 1) · min(1, referenceSigma / spread). */
  confidence: number;
}

export interface DecodeOptions extends PeakOptions {
  stride: HeatmapStride;
  /** Model pixels → image pixels; identity when omitted (landmarks stay in model pixels). */
  toImage?: (p: Point) => Point;
  /** Reorder each pair by the landmark order convention. Default true. */
  canonical?: boolean;
  /**
   * "argmax" (default): each landmark is its own channel's maximum. "configuration": the four
   * peaks are chosen together among each channel's strongest local maxima, trading peak height
   * against ellipse-axis geometry (configuration.ts).
   */
  select?: "argmax" | "configuration";
  configuration?: ConfigurationOptions;
}

/** A decoded landmark: position in the output space plus its heatmap evidence. */
export interface DecodedPoint extends Point {
  confidence: number;
  peak: number;
  spread: number;
  /** Sub-pixel peak position in heatmap pixels (before any mapping). */
  heatmap: Point;
  /** The integer peak the refinement started from, heatmap pixels. */
  integer: Point;
}

export interface DecodedLandmarks {
  /** OFD1, OFD2, BPD1, BPD2 in the output space (image pixels when `toImage` was given). */
  landmarks: Landmarks;
  /** The same four points with their evidence, in the same order as `landmarks`. */
  points: [DecodedPoint, DecodedPoint, DecodedPoint, DecodedPoint];
}

function at(h: HeatmapView, c: number, x: number, y: number): number {
  return h.data[(h.offset ?? 0) + (y * h.width + x) * h.channels + c];
}

function checkView(h: HeatmapView): void {
  const { height, width, channels } = h;
  const need = (h.offset ?? 0) + height * width * channels;
  if (!(height > 0 && width > 0 && channels > 0) || h.data.length < need) {
    throw new InputError("heatmap view does not fit its data", undefined, undefined, {
      height,
      width,
      channels,
      offset: h.offset ?? 0,
      length: h.data.length,
    });
  }
}

/** Integer position and value of the largest finite value in channel `c` (first one on ties). */
export function argmaxChannel(h: HeatmapView, c: number): { x: number; y: number; value: number } {
  let best = -Infinity, bx = -1, by = -1;
  for (let y = 0; y < h.height; y++) {
    for (let x = 0; x < h.width; x++) {
      const v = at(h, c, x, y);
      if (v > best && v !== Infinity) [best, bx, by] = [v, x, y];
    }
  }
  if (bx < 0) {
    throw new InputError(`heatmap channel ${c} has no finite value`, undefined, undefined, c);
  }
  return { x: bx, y: by, value: best };
}

/** Finite differences of channel c around (x, y) on log(h) when the 3×3 block is positive, else on h. */
function localDerivatives(h: HeatmapView, c: number, x: number, y: number) {
  const hasX = x > 0 && x < h.width - 1;
  const hasY = y > 0 && y < h.height - 1;
  const inside = (dx: number, dy: number) =>
    x + dx >= 0 && x + dx < h.width && y + dy >= 0 && y + dy < h.height;
  let positive = true;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      if (inside(dx, dy) && !(at(h, c, x + dx, y + dy) > 0)) positive = false;
    }
  }
  const v = (dx: number, dy: number) => {
    const raw = at(h, c, x + dx, y + dy);
    return positive ? Math.log(raw) : raw;
  };
  const v0 = v(0, 0);
  const gx = hasX ? (v(1, 0) - v(-1, 0)) / 2 : 0;
  const gxx = hasX ? v(1, 0) - 2 * v0 + v(-1, 0) : 0;
  const gy = hasY ? (v(0, 1) - v(0, -1)) / 2 : 0;
  const gyy = hasY ? v(0, 1) - 2 * v0 + v(0, -1) : 0;
  const gxy = hasX && hasY ? (v(1, 1) - v(1, -1) - v(-1, 1) + v(-1, -1)) / 4 : 0;
  return { hasX, hasY, positive, v0, gx, gy, gxx, gyy, gxy };
}

/** Second-order (Newton) offset from the argmax, each axis clamped to ±1 px. */
function quadraticOffset(d: ReturnType<typeof localDerivatives>): Point {
  const clamp = (t: number) => Math.max(-1, Math.min(1, t));
  const det = d.gxx * d.gyy - d.gxy * d.gxy;
  if (d.hasX && d.hasY && d.gxx < 0 && det > 0) {
    return {
      x: clamp(-(d.gyy * d.gx - d.gxy * d.gy) / det),
      y: clamp(-(d.gxx * d.gy - d.gxy * d.gx) / det),
    };
  }
  // Not a proper 2-D maximum (saddle, border, plateau): refine each axis on its own if it curves down.
  return {
    x: d.hasX && d.gxx < 0 ? clamp(-d.gx / d.gxx) : 0,
    y: d.hasY && d.gyy < 0 ? clamp(-d.gy / d.gyy) : 0,
  };
}

/** Maximum of the local quadratic model at offset `off` (back through exp in the log domain). */
function peakHeight(d: ReturnType<typeof localDerivatives>, off: Point): number {
  const v = d.v0 + d.gx * off.x + d.gy * off.y +
    0.5 * (d.gxx * off.x * off.x + 2 * d.gxy * off.x * off.y + d.gyy * off.y * off.y);
  const value = d.positive ? Math.exp(v) : v;
  const atArgmax = d.positive ? Math.exp(d.v0) : d.v0;
  return Math.max(value, atArgmax);
}

/** σ of a Gaussian with the measured curvature: −1/(log h)'' in the log domain, −h/h'' on h. */
function spreadOf(d: ReturnType<typeof localDerivatives>): number {
  const axisVar = (g2: number) => (g2 < 0 ? (d.positive ? -1 / g2 : -d.v0 / g2) : Infinity);
  const vars = [d.hasX ? axisVar(d.gxx) : NaN, d.hasY ? axisVar(d.gyy) : NaN].filter((v) =>
    !Number.isNaN(v)
  );
  if (vars.length === 0) return Infinity;
  // Geometric mean of the per-axis σ (the variances' product to the power 1/(2n)).
  return Math.pow(vars.reduce((a, b) => a * b, 1), 1 / (2 * vars.length));
}

/** Overlap of pixel [i − ½, i + ½] with the interval [c − r, c + r]. */
function overlap(i: number, c: number, r: number): number {
  return Math.max(0, Math.min(i + 0.5, c + r) - Math.max(i - 0.5, c - r));
}

/**
 * Recentred windowed centroid of max(h, 0) starting from the argmax (see the module comment).
 * Near the border the half-width shrinks so the window stays inside the map: a window cut by the
 * border would pull the centroid inwards, and recentring would compound that.
 */
function softArgmaxWindowed(h: HeatmapView, c: number, start: Point, r: number): Point {
  let cx = start.x, cy = start.y;
  const inside = (t: number, n: number) => Math.max(0.5, Math.min(r, t + 0.5, n - 0.5 - t));
  for (let iter = 0; iter < 50; iter++) {
    const rx = inside(cx, h.width), ry = inside(cy, h.height);
    let sw = 0, sx = 0, sy = 0;
    const x0 = Math.max(0, Math.floor(cx - rx)), x1 = Math.min(h.width - 1, Math.ceil(cx + rx));
    const y0 = Math.max(0, Math.floor(cy - ry)), y1 = Math.min(h.height - 1, Math.ceil(cy + ry));
    for (let y = y0; y <= y1; y++) {
      const wy = overlap(y, cy, ry);
      if (wy === 0) continue;
      for (let x = x0; x <= x1; x++) {
        const w = Math.max(0, at(h, c, x, y)) * wy * overlap(x, cx, rx);
        sw += w;
        sx += w * x;
        sy += w * y;
      }
    }
    if (!(sw > 0)) return { x: cx, y: cy };
    const nx = sx / sw, ny = sy / sw;
    const moved = Math.hypot(nx - cx, ny - cy);
    [cx, cy] = [nx, ny];
    if (moved < 1e-5) break;
  }
  return { x: cx, y: cy };
}

/** Sub-pixel peak of channel `c`, in heatmap pixels, with its confidence. */
export function decodePeak(h: HeatmapView, c: number, options: PeakOptions = {}): HeatmapPeak {
  checkView(h);
  return refinePeak(h, c, argmaxChannel(h, c), options);
}

/** Sub-pixel refinement of channel `c` around the integer local maximum `top`. */
function refinePeak(h: HeatmapView, c: number, top: Point, options: PeakOptions): HeatmapPeak {
  const { method = "quadratic", window = 3 } = options;
  const ofChannel = (v: number | readonly number[] | undefined) =>
    typeof v === "number" || v === undefined ? v : v[c];
  const referencePeak = ofChannel(options.referencePeak) ?? 1;
  const referenceSigma = ofChannel(options.referenceSigma);
  if (!(window > 0)) {
    throw new InputError("soft-argmax window must be > 0", undefined, undefined, window);
  }
  if (!(referencePeak > 0)) {
    throw new InputError("referencePeak must be > 0", undefined, undefined, referencePeak);
  }
  const d = localDerivatives(h, c, top.x, top.y);
  const off = quadraticOffset(d);
  let p: Point;
  if (method === "quadratic") {
    p = { x: top.x + off.x, y: top.y + off.y };
  } else if (method === "softargmax") {
    p = softArgmaxWindowed(h, c, top, window);
  } else {
    throw new InputError("unknown decode method", undefined, undefined, method);
  }
  const spread = spreadOf(d);
  const peak = peakHeight(d, off);
  const height = Math.max(0, Math.min(1, peak / referencePeak));
  const sharp = referenceSigma === undefined ? 1 : Math.min(1, referenceSigma / spread);
  return { x: p.x, y: p.y, peak, spread, confidence: height * sharp };
}

/** Decodes one sample's 4 heatmaps into landmarks in image pixels (see the module comment). */
export function decodeHeatmaps(h: HeatmapView, options: DecodeOptions): DecodedLandmarks {
  if (h.channels !== 4) {
    throw new InputError(
      "expected 4 heatmap channels (OFD1, OFD2, BPD1, BPD2)",
      undefined,
      undefined,
      h.channels,
    );
  }
  const { stride, toImage = (p: Point) => p, canonical = true, select = "argmax" } = options;
  if (select !== "argmax" && select !== "configuration") {
    throw new InputError("select must be argmax or configuration", undefined, undefined, select);
  }
  checkView(h);
  const tops = select === "argmax"
    ? [0, 1, 2, 3].map((c) => argmaxChannel(h, c))
    : configurationTops(h, options.configuration);
  const points = tops.map((top, c): DecodedPoint => {
    const peak = refinePeak(h, c, top, options);
    const heatmap = { x: peak.x, y: peak.y };
    const integer = { x: top.x, y: top.y };
    const out = toImage(heatmapToModel(heatmap, stride));
    return {
      x: out.x,
      y: out.y,
      confidence: peak.confidence,
      peak: peak.peak,
      spread: peak.spread,
      heatmap,
      integer,
    };
  }) as DecodedLandmarks["points"];
  const ordered = canonical ? canonicalOrder(points) : points;
  return { landmarks: ordered.map((p) => ({ x: p.x, y: p.y })) as Landmarks, points: ordered };
}

/** Integer peaks of the four channels chosen together (configuration.ts). */
function configurationTops(h: HeatmapView, options: ConfigurationOptions = {}): Point[] {
  const lists = [0, 1, 2, 3].map((c) =>
    channelCandidates((x, y) => at(h, c, x, y), h.width, h.height, options)
  );
  if (lists.some((l) => l.length === 0)) return [0, 1, 2, 3].map((c) => argmaxChannel(h, c));
  const chosen = selectConfiguration(lists, options);
  return chosen.map((i, c) => lists[c][i]);
}

/** The decoded points reordered within each pair as `canonicalize` orders their positions. */
function canonicalOrder(points: DecodedLandmarks["points"]): DecodedLandmarks["points"] {
  const canon = canonicalize(points.map((p) => ({ x: p.x, y: p.y })) as Landmarks);
  const same = (p: Point, q: Point) => p.x === q.x && p.y === q.y;
  const [o1, o2, b1, b2] = points;
  const ofd = same(canon[0], o1) ? [o1, o2] : [o2, o1];
  const bpd = same(canon[2], b1) ? [b1, b2] : [b2, b1];
  return [ofd[0], ofd[1], bpd[0], bpd[1]];
}

/**
 * Decodes a batch of heatmaps [B, H, W, 4] (the heatmap head's output). `toImage[b]`, when given,
 * maps sample b from model to image pixels (its letterbox inverse).
 */
export async function decodeHeatmapTensor(
  heatmaps: tf.Tensor,
  options: Omit<DecodeOptions, "toImage">,
  toImage?: readonly ((p: Point) => Point)[],
): Promise<DecodedLandmarks[]> {
  if (heatmaps.rank !== 4) {
    throw new InputError(
      "heatmaps must have shape [B, H, W, K]",
      undefined,
      undefined,
      heatmaps.shape,
    );
  }
  const [b, height, width, channels] = heatmaps.shape;
  if (toImage && toImage.length !== b) {
    throw new InputError(
      `need one transform per sample (${b})`,
      undefined,
      undefined,
      toImage.length,
    );
  }
  const data = await heatmaps.data();
  const out: DecodedLandmarks[] = [];
  for (let i = 0; i < b; i++) {
    const view = { data, height, width, channels, offset: i * height * width * channels };
    out.push(decodeHeatmaps(view, { ...options, toImage: toImage?.[i] }));
  }
  return out;
}
