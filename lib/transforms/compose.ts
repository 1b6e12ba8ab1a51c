/**
 * Pipeline combinators in the spirit of albumentations: `compose`, `oneOf`, `maybe`.
 *
 * Each step of a `compose` gets its own generator forked from the caller's, keyed by its position,
 * so adding, removing or re-parametrising one step does not change the draws of the others.
 */
import type { Rng } from "../core/rng.ts";
import { InputError } from "../core/errors.ts";
import { type AugSample, type Transform, transform } from "./types.ts";

function checkProbability(p: number, label: string): void {
  if (!(p >= 0 && p <= 1)) {
    throw new InputError(`${label}: probability must be in [0, 1]`, undefined, undefined, p);
  }
}

/** Apply `t` with probability `p`. */
export function maybe(p: number, t: Transform): Transform {
  checkProbability(p, t.label);
  if (p === 1) return t;
  return transform(`${t.label} p=${p}`, (s, rng) => (rng.bool(p) ? t(s, rng) : s));
}

/** Apply every step in order; the whole chain runs with probability `p` (default 1). */
export function compose(steps: Transform[], options: { p?: number } = {}): Transform {
  const { p = 1 } = options;
  checkProbability(p, "compose");
  const label = `compose[${steps.map((t) => t.label).join(", ")}]`;
  return transform(label, (s: AugSample, rng: Rng) => {
    if (p < 1 && !rng.bool(p)) return s;
    let out = s;
    for (let i = 0; i < steps.length; i++) out = steps[i](out, rng.fork(i));
    return out;
  });
}

/**
 * With probability `p` (default 1), apply exactly one of `choices`, picked with the given relative
 * `weights` (default equal).
 */
export function oneOf(
  choices: Transform[],
  options: { p?: number; weights?: number[] } = {},
): Transform {
  const { p = 1, weights = choices.map(() => 1) } = options;
  checkProbability(p, "oneOf");
  if (choices.length === 0 || weights.length !== choices.length || weights.some((w) => !(w >= 0))) {
    throw new InputError(
      "oneOf needs one non-negative weight per choice",
      undefined,
      undefined,
      weights,
    );
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    throw new InputError("oneOf weights sum to zero", undefined, undefined, weights);
  }
  const label = `oneOf[${choices.map((t) => t.label).join(" | ")}]`;
  return transform(label, (s, rng) => {
    if (p < 1 && !rng.bool(p)) return s;
    let r = rng.next() * total;
    let pick = choices.length - 1;
    for (let i = 0; i < choices.length; i++) {
      r -= weights[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    return choices[pick](s, rng);
  });
}
