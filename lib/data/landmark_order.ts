/**
 * Landmark order convention. A skull axis has two ends and nothing in the anatomy says which is
 * "first", so labels (and any flip or rotation) can list them either way. Models regressing
 * coordinates need one fixed order, so every landmark set is canonicalised:
 *
 * - OFD1 is the long-axis (occipito-frontal) end with the smaller x (the left one); if both ends
 *   have exactly the same x, the one with the smaller y (top) comes first.
 * - BPD1 is the short-axis (biparietal) end with the smaller y (the top one); if both ends have
 *   exactly the same y, the one with the smaller x (left) comes first.
 *
 * Only the order within each pair changes: which pair is OFD and which is BPD is label content,
 * never swapped here (a BPD longer than the OFD is a label fault reported by the audit).
 */
import type { Landmarks, Point } from "../core/types.ts";

function byXThenY(p: Point, q: Point): boolean {
  return p.x < q.x || (p.x === q.x && p.y <= q.y);
}

function byYThenX(p: Point, q: Point): boolean {
  return p.y < q.y || (p.y === q.y && p.x <= q.x);
}

/** The same four points in canonical order (new objects; the input is not modified). */
export function canonicalize(l: Landmarks): Landmarks {
  const [o1, o2, b1, b2] = l.map((p) => ({ x: p.x, y: p.y }));
  const [ofd1, ofd2] = byXThenY(o1, o2) ? [o1, o2] : [o2, o1];
  const [bpd1, bpd2] = byYThenX(b1, b2) ? [b1, b2] : [b2, b1];
  return [ofd1, ofd2, bpd1, bpd2];
}

/** True when `l` already is in canonical order. */
export function isCanonical(l: Landmarks): boolean {
  return byXThenY(l[0], l[1]) && byYThenX(l[2], l[3]);
}

function close(p: Point, q: Point, tol: number): boolean {
  return Math.abs(p.x - q.x) <= tol && Math.abs(p.y - q.y) <= tol;
}

function samePair(p1: Point, p2: Point, q1: Point, q2: Point, tol: number): boolean {
  return (close(p1, q1, tol) && close(p2, q2, tol)) || (close(p1, q2, tol) && close(p2, q1, tol));
}

/**
 * True when `a` and `b` hold the same OFD pair and the same BPD pair (each coordinate within `tol`
 * px), in whatever order within each pair. Compares pairs as sets rather than canonicalising both,
 * so two near-tied ends a hair apart do not make equal sets look different.
 */
export function sameUpToOrder(a: Landmarks, b: Landmarks, tol = 0): boolean {
  return samePair(a[0], a[1], b[0], b[1], tol) && samePair(a[2], a[3], b[2], b[3], tol);
}
