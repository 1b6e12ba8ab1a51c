/** Hand-made heads for the landmark-geometry tests: exact shapes, shifts and turns. */
import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";

export const DEG = Math.PI / 180;

/** Axis-aligned head centred at (100, 50): OFD half-length a along x, BPD half-length b along y. */
export const head = (a: number, b: number): Landmarks => [
  { x: 100 - a, y: 50 },
  { x: 100 + a, y: 50 },
  { x: 100, y: 50 - b },
  { x: 100, y: 50 + b },
];

export const shift = (l: Landmarks, dx: number, dy: number) =>
  l.map((p) => ({ x: p.x + dx, y: p.y + dy })) as Landmarks;

/**
 * Rotation by `deg` about the centre (100, 50), keeping the storage order; positive turns +x
 * towards +y (clockwise on screen, image y pointing down).
 */
export const rotate = (l: Landmarks, deg: number) => {
  const c = Math.cos(deg * DEG), s = Math.sin(deg * DEG);
  return l.map((p) => ({
    x: 100 + (p.x - 100) * c - (p.y - 50) * s,
    y: 50 + (p.x - 100) * s + (p.y - 50) * c,
  })) as Landmarks;
};

/** Equal to within 1e-9, or both NaN. */
export const close = (actual: number, expected: number, what: string) =>
  Number.isNaN(expected)
    ? assert.ok(Number.isNaN(actual), `${what}: ${actual}, expected NaN`)
    : assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);
