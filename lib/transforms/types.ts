/**
 * The transform interface. A transform is a plain function of a sample and a random generator that
 * returns a sample of the same shape; pipelines are transforms too, so they nest freely.
 *
 * Contract every transform keeps:
 * - It never modifies its input (arrays included), so one cached sample can be augmented many
 *   times. Untouched parts (e.g. the mask under an intensity change) are shared, not copied.
 * - All randomness comes from the `Rng` argument: the same sample and generator state give the
 *   same output.
 * - Image values stay in 0..255 (intensity transforms clamp).
 * - Landmarks move exactly with the pixels and come back in canonical order
 *   (lib/data/landmark_order.ts); masks are resampled nearest-neighbour and stay binary.
 * - A geometric transform appends its point map to `maps`, so model-space predictions can be
 *   carried back to the original image (`mapToSource` in geometric.ts).
 */
import type { Rng } from "../core/rng.ts";
import type { GrayImage, Landmarks, Mask, Point } from "../core/types.ts";

/**
 * The relation between the frames before ("source") and after ("target") one geometric transform.
 */
export interface PointMap {
  readonly label: string;
  /** Source → target: where a source point lands (moves landmarks). */
  forward(p: Point): Point;
  /** Target → source: where a target pixel comes from (drives resampling). */
  inverse(p: Point): Point;
}

export interface AugSample {
  image: GrayImage;
  landmarks: Landmarks;
  mask?: Mask;
  /** Geometric maps applied so far, oldest first. */
  maps: readonly PointMap[];
  /**
   * Labels of geometric transforms that were drawn but not applied because every redraw pushed a
   * landmark out of the image (the out-of-image policy in geometric.ts), oldest first.
   */
  skipped: readonly string[];
}

export interface Transform {
  (sample: AugSample, rng: Rng): AugSample;
  /** Short name for logs, benches and galleries, e.g. `rotate(±20°)`. */
  readonly label: string;
}

/** Give a function its label. */
export function transform(
  label: string,
  fn: (sample: AugSample, rng: Rng) => AugSample,
): Transform {
  return Object.assign(fn, { label }) as Transform;
}

/** Wrap a plain sample (e.g. from a loader) for the transforms: no maps applied yet. */
export function toAugSample(
  s: { image: GrayImage; landmarks: Landmarks; mask?: Mask },
): AugSample {
  return { image: s.image, landmarks: s.landmarks, mask: s.mask, maps: [], skipped: [] };
}
