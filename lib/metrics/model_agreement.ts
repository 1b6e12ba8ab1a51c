/**
 * How far apart landmark sources are, image by image: the labels and each model, or two models.
 *
 * A model's error against the labels mixes what it gets wrong by itself with what the labels and
 * the image disagree on (an annotator's ellipse on a near-round skull has a loosely defined long
 * axis) and with any bias every model learns from the same labels. Unrelated models share the last
 * two, not the first. So when they sit much closer to each other than any of them to the labels,
 * and their signed errors against the labels are correlated, the shared part bounds what more of
 * the same training can buy. The mean of k models (`consensus`) shrinks only the independent part
 * (by about 1/√k for equal, uncorrelated parts) and keeps the shared one.
 *
 * Pair distances reuse lib/metrics/ellipse_errors.ts (centre, OFD direction modulo 180°, MRE in
 * storage order); only images present in every source are compared.
 */
import type { Landmarks } from "../core/types.ts";
import { canonicalize } from "../data/landmark_order.ts";
import {
  ellipseCaseErrors,
  type MeanMedian,
  meanMedian,
  signedAngleErrorDeg,
} from "./ellipse_errors.ts";
import { alignPairs } from "./landmarks.ts";
import { spearman } from "./statistics.ts";

/** One source's landmarks by image id (the labels, or one model's predictions). */
export interface LandmarkSource {
  name: string;
  byId: ReadonlyMap<string, Landmarks>;
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Images in both (in every source, for `pairAgreements`). */
  n: number;
  /** MRE between the two sources' points, in storage order (px). */
  mrePx: MeanMedian;
  /** Angle between their OFD directions, modulo 180° (0–90°). */
  angleDeg: MeanMedian;
  /** Distance between their centres (mean of the four points, px). */
  centrePx: MeanMedian;
}

export interface ErrorCorrelation {
  a: string;
  b: string;
  /** Images where both errors are defined. */
  n: number;
  /** Spearman's ρ of the two models' signed errors against the truth. */
  rho: number;
}

/** Ids present in every source, sorted, so results do not depend on map order. */
export function commonIds(sources: readonly LandmarkSource[]): string[] {
  if (sources.length === 0) return [];
  return [...sources[0].byId.keys()].filter((id) => sources.every((s) => s.byId.has(id))).sort();
}

/** Distances between two sources over the given images (all common ones by default). */
export function pairAgreement(
  a: LandmarkSource,
  b: LandmarkSource,
  ids: readonly string[] = commonIds([a, b]),
): PairAgreement {
  const per = ids.map((id) => ellipseCaseErrors(b.byId.get(id)!, a.byId.get(id)!));
  return {
    a: a.name,
    b: b.name,
    n: per.length,
    mrePx: meanMedian(per.map((e) => e.mrePx)),
    angleDeg: meanMedian(per.map((e) => e.angleDeg)),
    centrePx: meanMedian(per.map((e) => e.centrePx)),
  };
}

/** Every unordered pair of sources, in the given order, on the images they all have. */
export function pairAgreements(sources: readonly LandmarkSource[]): PairAgreement[] {
  const ids = commonIds(sources);
  return sources.flatMap((a, i) => sources.slice(i + 1).map((b) => pairAgreement(a, b, ids)));
}

/**
 * For every pair of models, Spearman's ρ of their signed errors against the truth, `error(pred,
 * truth, id)`, on the images all sources have (NaN errors are left out of that pair). Ranks limit
 * how much a few gross failures can move the value.
 */
export function errorCorrelations(
  truth: LandmarkSource,
  models: readonly LandmarkSource[],
  error: (pred: Landmarks, truth: Landmarks, id: string) => number,
): ErrorCorrelation[] {
  const ids = commonIds([truth, ...models]);
  const errors = models.map((m) =>
    ids.map((id) => error(m.byId.get(id)!, truth.byId.get(id)!, id))
  );
  return models.flatMap((a, i) =>
    models.slice(i + 1).map((b, k) => ({
      a: a.name,
      b: b.name,
      n: errors[i].filter((e, j) => !Number.isNaN(e) && !Number.isNaN(errors[i + 1 + k][j]))
        .length,
      rho: spearman(errors[i], errors[i + 1 + k]),
    }))
  );
}

/** `errorCorrelations` of the signed OFD angle errors (lib/metrics/ellipse_errors.ts). */
export function angleErrorCorrelations(
  truth: LandmarkSource,
  models: readonly LandmarkSource[],
): ErrorCorrelation[] {
  return errorCorrelations(truth, models, signedAngleErrorDeg);
}

/**
 * The coordinate-wise mean of the sources' landmarks, per image they all have, as an ensemble
 * would form it: each source's pair ends are first matched to the first source's (`alignPairs`),
 * so a source that lists a near-vertical head's ends the other way round does not average two
 * opposite ends into the centre, and the mean is then put in the canonical order
 * (lib/data/landmark_order.ts) it is scored in. The labels play no part.
 */
export function consensus(name: string, sources: readonly LandmarkSource[]): LandmarkSource {
  const byId = new Map<string, Landmarks>();
  for (const id of commonIds(sources)) {
    const ref = sources[0].byId.get(id)!;
    const all = sources.map((s) => alignPairs(s.byId.get(id)!, ref));
    byId.set(
      id,
      canonicalize(
        ref.map((_, k) => ({
          x: all.reduce((s, l) => s + l[k].x, 0) / all.length,
          y: all.reduce((s, l) => s + l[k].y, 0) / all.length,
        })) as Landmarks,
      ),
    );
  }
  return { name, byId };
}
