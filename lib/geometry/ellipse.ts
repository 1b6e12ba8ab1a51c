/**
 * Ellipse geometry in the `Ellipse` convention of lib/core/types.ts ({cx, cy, a ≥ b, angle ∈ [0, π)
 * of the a axis from +x towards +y}): conic conversion, perimeter, sampling, point distance and
 * the ellipse ↔ landmarks maps.
 */
import type { Ellipse, Landmarks, Point } from "../core/types.ts";
import { canonicalize } from "../data/landmark_order.ts";

/** Conic coefficients of A x² + B xy + C y² + D x + E y + F = 0. */
export type Conic = [number, number, number, number, number, number];

/** Angle folded into [0, π). */
export function wrapAngle(angle: number): number {
  const r = angle % Math.PI;
  const w = r < 0 ? r + Math.PI : r;
  return w >= Math.PI ? 0 : w;
}

/**
 * Ellipse parameters of a conic, or null when the conic is not a real ellipse (B² − 4AC ≥ 0, or
 * the quadric has no real points).
 */
export function conicToEllipse(conic: Conic): Ellipse | null {
  let [A, B, C, D, E, F] = conic;
  const den = B * B - 4 * A * C;
  if (!(den < 0)) return null;
  const cx = (2 * C * D - B * E) / den;
  const cy = (2 * A * E - B * D) / den;
  // Value at the centre; the ellipse is Q(p − c) = −F0 with Q the quadratic part.
  let f0 = F + (D * cx + E * cy) / 2;
  if (f0 > 0) {
    [A, B, C, f0] = [-A, -B, -C, -f0];
  }
  if (!(f0 < 0)) return null;
  const mean = (A + C) / 2;
  const radius = Math.hypot((A - C) / 2, B / 2);
  const lamMin = mean - radius;
  const lamMax = mean + radius;
  if (!(lamMin > 0)) return null;
  const a = Math.sqrt(-f0 / lamMin);
  const b = Math.sqrt(-f0 / lamMax);
  // Q is largest along 0.5·atan2(B, A − C): that is the short axis, the long one is 90° away.
  const angle = wrapAngle(0.5 * Math.atan2(B, A - C) + Math.PI / 2);
  if (![cx, cy, a, b, angle].every(Number.isFinite)) return null;
  return { cx, cy, a, b, angle };
}

/** Conic coefficients of an ellipse (scaled so that F0 = −1 at the centre form). */
export function ellipseToConic(e: Ellipse): Conic {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const ia = 1 / (e.a * e.a);
  const ib = 1 / (e.b * e.b);
  const A = c * c * ia + s * s * ib;
  const B = 2 * c * s * (ia - ib);
  const C = s * s * ia + c * c * ib;
  const D = -2 * A * e.cx - B * e.cy;
  const E = -B * e.cx - 2 * C * e.cy;
  const F = A * e.cx * e.cx + B * e.cx * e.cy + C * e.cy * e.cy - 1;
  return [A, B, C, D, E, F];
}

/** Ramanujan's second approximation (relative error < 4e-10 for HC18-like axis ratios). */
export function ellipsePerimeter(e: { a: number; b: number }): number {
  const sum = e.a + e.b;
  if (sum === 0) return 0;
  const h = ((e.a - e.b) / sum) ** 2;
  return Math.PI * sum * (1 + (3 * h) / (10 + Math.sqrt(4 - 3 * h)));
}

/** Point at eccentric-anomaly parameter t (t = 0 is the a-axis end in the +angle direction). */
export function ellipsePoint(e: Ellipse, t: number): Point {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const u = e.a * Math.cos(t);
  const v = e.b * Math.sin(t);
  return { x: e.cx + u * c - v * s, y: e.cy + u * s + v * c };
}

/** `n` points evenly spaced in the parameter t (not in arc length). */
export function ellipsePoints(e: Ellipse, n: number): Point[] {
  return Array.from({ length: n }, (_, i) => ellipsePoint(e, (2 * Math.PI * i) / n));
}

/** Axis ends in canonical landmark order: the a axis is the OFD, the b axis the BPD. */
export function ellipseToLandmarks(e: Ellipse): Landmarks {
  return canonicalize([
    ellipsePoint(e, 0),
    ellipsePoint(e, Math.PI),
    ellipsePoint(e, Math.PI / 2),
    ellipsePoint(e, -Math.PI / 2),
  ]);
}

/**
 * The landmarks moved onto the axis ends of one ellipse, for models that place the four points
 * independently (one heatmap channel each): both pairs get the mean of the four points as their
 * midpoint and perpendicular directions, and each keeps its own length and end order. The OFD
 * direction u is the least-squares one, maximising (d₁·u)² + (d₂·v)² with v ⟂ u over the half-axes
 * d₁ = (OFD2 − OFD1)/2 and d₂ = (BPD2 − BPD1)/2; in complex numbers 2θ = arg(d₁² − d₂²), so each
 * pair's direction counts with its squared length and a near-round head's short pair hardly moves
 * it. Exact axis ends come back unchanged; two parallel pairs of equal length keep the OFD direction.
 */
export function perpendicularAxes(l: Landmarks): Landmarks {
  const [o1, o2, b1, b2] = l;
  const cx = (o1.x + o2.x + b1.x + b2.x) / 4;
  const cy = (o1.y + o2.y + b1.y + b2.y) / 4;
  const d1 = { x: (o2.x - o1.x) / 2, y: (o2.y - o1.y) / 2 };
  const d2 = { x: (b2.x - b1.x) / 2, y: (b2.y - b1.y) / 2 };
  // d₁² − d₂² as a complex number: (x² − y², 2xy) of each.
  const re = d1.x * d1.x - d1.y * d1.y - (d2.x * d2.x - d2.y * d2.y);
  const im = 2 * d1.x * d1.y - 2 * d2.x * d2.y;
  const theta = re === 0 && im === 0 ? Math.atan2(d1.y, d1.x) : Math.atan2(im, re) / 2;
  const u = { x: Math.cos(theta), y: Math.sin(theta) };
  const v = { x: -u.y, y: u.x };
  const a = Math.hypot(d1.x, d1.y) * (d1.x * u.x + d1.y * u.y < 0 ? -1 : 1);
  const b = Math.hypot(d2.x, d2.y) * (d2.x * v.x + d2.y * v.y < 0 ? -1 : 1);
  return [
    { x: cx - a * u.x, y: cy - a * u.y },
    { x: cx + a * u.x, y: cy + a * u.y },
    { x: cx - b * v.x, y: cy - b * v.y },
    { x: cx + b * v.x, y: cy + b * v.y },
  ];
}

/**
 * The ellipse whose axes the landmarks mark: centre = mean of the two axis midpoints (hand labels
 * rarely share a midpoint exactly), semi-axes = half the OFD and BPD lengths, angle = OFD
 * direction. If the BPD is the longer pair, it becomes the `a` axis so that a ≥ b holds.
 */
export function landmarksToEllipse(l: Landmarks): Ellipse {
  const [o1, o2, b1, b2] = l;
  const cx = (o1.x + o2.x + b1.x + b2.x) / 4;
  const cy = (o1.y + o2.y + b1.y + b2.y) / 4;
  const ofd = Math.hypot(o2.x - o1.x, o2.y - o1.y) / 2;
  const bpd = Math.hypot(b2.x - b1.x, b2.y - b1.y) / 2;
  const [p, q, a, b] = ofd >= bpd ? [o1, o2, ofd, bpd] : [b1, b2, bpd, ofd];
  return { cx, cy, a, b, angle: wrapAngle(Math.atan2(q.y - p.y, q.x - p.x)) };
}

/**
 * The four points turned by `angle` radians about `centre` (positive is clockwise on screen, image
 * y pointing down), order kept.
 */
export function turnLandmarks(l: Landmarks, centre: Point, angle: number): Landmarks {
  const c = Math.cos(angle), s = Math.sin(angle);
  return l.map((p) => ({
    x: centre.x + c * (p.x - centre.x) - s * (p.y - centre.y),
    y: centre.y + s * (p.x - centre.x) + c * (p.y - centre.y),
  })) as Landmarks;
}

/** The point in ellipse-aligned coordinates (u along the a axis, v along the b axis). */
function toAxisFrame(e: Ellipse, p: Point): [number, number] {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const dx = p.x - e.cx;
  const dy = p.y - e.cy;
  return [dx * c + dy * s, -dx * s + dy * c];
}

/** True when p lies inside or on the ellipse. */
export function insideEllipse(e: Ellipse, p: Point): boolean {
  const [u, v] = toAxisFrame(e, p);
  return (u / e.a) ** 2 + (v / e.b) ** 2 <= 1;
}

/**
 * Euclidean distance from p to the ellipse curve (≥ 0, inside or outside), by D. Eberly's
 * bisection on the root of the closest-point equation ("Distance from a Point to an Ellipse",
 * 2013); accurate to ~1e-9 relative.
 */
export function distanceToEllipse(e: Ellipse, p: Point): number {
  const [u, v] = toAxisFrame(e, p);
  const y0 = Math.abs(u);
  const y1 = Math.abs(v);
  const e0 = e.a;
  const e1 = e.b;
  if (e1 === 0) return Math.hypot(Math.max(0, y0 - e0), y1);
  if (y1 > 0) {
    if (y0 > 0) {
      const z0 = y0 / e0;
      const z1 = y1 / e1;
      const g = z0 * z0 + z1 * z1 - 1;
      if (g === 0) return 0;
      const r0 = (e0 / e1) ** 2;
      const n0 = r0 * z0;
      let s0 = z1 - 1;
      let s1 = g < 0 ? 0 : Math.sqrt(n0 * n0 + z1 * z1) - 1;
      let s = 0;
      for (let i = 0; i < 200; i++) {
        s = (s0 + s1) / 2;
        if (s === s0 || s === s1) break;
        const ratio0 = n0 / (s + r0);
        const ratio1 = z1 / (s + 1);
        const gs = ratio0 * ratio0 + ratio1 * ratio1 - 1;
        if (gs > 0) s0 = s;
        else if (gs < 0) s1 = s;
        else break;
      }
      const x0 = (r0 * y0) / (s + r0);
      const x1 = y1 / (s + 1);
      return Math.sqrt((x0 - y0) ** 2 + (x1 - y1) ** 2);
    }
    return Math.abs(y1 - e1);
  }
  const numer0 = e0 * y0;
  const denom0 = e0 * e0 - e1 * e1;
  if (numer0 < denom0) {
    const xde0 = numer0 / denom0;
    const x0 = e0 * xde0;
    const x1 = e1 * Math.sqrt(Math.max(0, 1 - xde0 * xde0));
    return Math.hypot(x0 - y0, x1);
  }
  return Math.abs(y0 - e0);
}
