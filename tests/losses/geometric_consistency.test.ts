import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { geometricConsistency } from "../../lib/losses/mod.ts";
import { InputError } from "../../lib/core/errors.ts";
import { assertClose, value } from "./helpers.ts";

const loss = (rows: number[][], opts = {}) =>
  value(() => geometricConsistency(tf.tensor2d(rows), opts));

Deno.test("geometricConsistency: hand-computed cases", () => {
  // OFD (0,0)–(4,0), BPD (2,−1)–(2,1): perpendicular, same midpoint
  const perfect = [0, 0, 4, 0, 2, -1, 2, 1];
  // BPD shifted right by 1: u = (4,0), v = (0,2), midpoint offset 1, scale (16 + 4)/2 = 10
  const shifted = [0, 0, 4, 0, 3, -1, 3, 1];
  // BPD tilted 45°: v = (2,2), (u·v)² / (|u|²|v|²) = 64 / 128, same midpoint
  const tilted = [0, 0, 4, 0, 1, -1, 3, 1];
  assertClose(loss([perfect]), 0);
  assertClose(loss([shifted]), 0.1);
  assertClose(loss([tilted]), 0.5);
  assertClose(loss([perfect, shifted, tilted]), 0.6 / 3);
  assertClose(loss([tilted, shifted], { perpendicularWeight: 2, midpointWeight: 10 }), (1 + 1) / 2);
});

Deno.test("geometricConsistency: invariant to scale, translation, rotation and end order", () => {
  const base = [0, 0, 4, 0, 1, -1, 3, 1.5];
  const ref = loss([base]);
  const c = Math.cos(0.7), s = Math.sin(0.7);
  const moved: number[] = [];
  for (let i = 0; i < 8; i += 2) {
    const [x, y] = [base[i], base[i + 1]];
    moved.push(37 * (c * x - s * y) + 100, 37 * (s * x + c * y) - 50);
  }
  assertClose(loss([moved]), ref, 1e-4);
  const swapped = [4, 0, 0, 0, 3, 1.5, 1, -1];
  assertClose(loss([swapped]), ref, 1e-6);
});

Deno.test("geometricConsistency: finite gradients, also for collapsed axes", () => {
  for (
    const row of [[0, 0, 4, 0, 1, -1, 3, 1], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 2, 2, 3, 3]]
  ) {
    const g = tf.grad((x: tf.Tensor) => geometricConsistency(x))(tf.tensor2d([row]));
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${row}`);
  }
});

Deno.test("geometricConsistency: rejects a tensor that is not [B, 8]", () => {
  assert.throws(() => geometricConsistency(tf.zeros([2, 4])), InputError);
  assert.throws(() => geometricConsistency(tf.zeros([8])), InputError);
});
