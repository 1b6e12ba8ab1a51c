/**
 * Grouped, seeded splits. Images of one group (HC18: one number prefix, i.e. one pregnancy or
 * examination) always land on the same side, so near-duplicates cannot leak from training into
 * validation. Results depend only on the seed and the set of (item, group) pairs, not on the input
 * order: groups are sorted by name before the seeded shuffle. Items keep their input order on each
 * side.
 */
import { Rng } from "../core/rng.ts";

export interface Split<T> {
  train: T[];
  val: T[];
}

interface Grouped {
  group: string;
}

function groupSizes<T extends Grouped>(items: readonly T[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const it of items) sizes.set(it.group, (sizes.get(it.group) ?? 0) + 1);
  return sizes;
}

function shuffledGroups(sizes: Map<string, number>, seed: number): string[] {
  return new Rng(seed).shuffle([...sizes.keys()].sort());
}

/**
 * Train/validation split with about `valFraction` of the images (default 0.2, like the prototype)
 * in validation: groups in shuffled order join validation while that brings its image count closer
 * to the target, so the count is within half the largest group of round(valFraction · n).
 */
export function groupedSplit<T extends Grouped>(
  items: readonly T[],
  opts: { valFraction?: number; seed?: number } = {},
): Split<T> {
  const fraction = opts.valFraction ?? 0.2;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`valFraction ${fraction} not in [0, 1]`);
  }
  const sizes = groupSizes(items);
  const target = Math.round(fraction * items.length);
  const valGroups = new Set<string>();
  let valCount = 0;
  for (const g of shuffledGroups(sizes, opts.seed ?? 0)) {
    const size = sizes.get(g)!;
    if (Math.abs(valCount + size - target) < Math.abs(valCount - target)) {
      valGroups.add(g);
      valCount += size;
    }
  }
  return {
    train: items.filter((it) => !valGroups.has(it.group)),
    val: items.filter((it) => valGroups.has(it.group)),
  };
}

/**
 * k folds; fold i validates on its own groups and trains on all others. Groups in shuffled order
 * go to the fold with the fewest images so far (lowest index on ties), which balances fold sizes
 * to within one group.
 */
export function groupedKFold<T extends Grouped>(
  items: readonly T[],
  k: number,
  seed = 0,
): Split<T>[] {
  const sizes = groupSizes(items);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2, got ${k}`);
  if (k > sizes.size) throw new RangeError(`k = ${k} folds but only ${sizes.size} groups`);
  const foldOf = new Map<string, number>();
  const counts = new Array(k).fill(0);
  for (const g of shuffledGroups(sizes, seed)) {
    const fold = counts.indexOf(Math.min(...counts));
    foldOf.set(g, fold);
    counts[fold] += sizes.get(g)!;
  }
  return Array.from({ length: k }, (_, fold) => ({
    train: items.filter((it) => foldOf.get(it.group) !== fold),
    val: items.filter((it) => foldOf.get(it.group) === fold),
  }));
}
