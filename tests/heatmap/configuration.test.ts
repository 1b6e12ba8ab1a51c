import assert from "node:assert/strict";
import {
  type Candidate,
  channelCandidates,
  configurationPenalty,
  decodeHeatmaps,
  gaussianHeatmaps,
  selectConfiguration,
} from "../../lib/heatmap/mod.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a} (tol ${tol})`);

Deno.test("channelCandidates: local maxima strongest first, apart, above the relative floor", () => {
  // 9×5 map: peaks 9 at (1,1), 7 at (2,3) (too close to (1,1) for minDistance 3), 5 at (7,2),
  // 0.5 at (5,4) (below 0.1 × 9), and a plateau of two 3s at (4,0)-(5,0) (one maximum).
  const map = new Map<string, number>([
    ["1,1", 9],
    ["2,3", 7],
    ["7,2", 5],
    ["5,4", 0.5],
    ["4,0", 3],
    ["5,0", 3],
  ]);
  const value = (x: number, y: number) => map.get(`${x},${y}`) ?? 0;
  const all = channelCandidates(value, 9, 5, { candidates: 10, minDistance: 1 });
  assert.deepEqual(all.map((c) => [c.x, c.y, c.value]), [[1, 1, 9], [2, 3, 7], [7, 2, 5], [
    4,
    0,
    3,
  ]]);
  const apart = channelCandidates(value, 9, 5, { candidates: 10, minDistance: 3 });
  assert.deepEqual(apart.map((c) => [c.x, c.y]), [[1, 1], [7, 2], [4, 0]]);
  assert.equal(channelCandidates(value, 9, 5, { candidates: 2, minDistance: 3 }).length, 2);
  const floor = channelCandidates(value, 9, 5, {
    candidates: 10,
    minDistance: 1,
    minRelativePeak: 0.5,
  });
  assert.deepEqual(floor.map((c) => c.value), [9, 7, 5]);
  assert.throws(() => channelCandidates(value, 9, 5, { candidates: 0 }), InputError);
});

Deno.test("configurationPenalty: hand-computed terms", () => {
  // OFD (0,0)–(4,0), BPD (2,−1)–(2,1): perpendicular, same midpoint, r = 0.5 → 0.
  close(
    configurationPenalty([{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 2, y: -1 }, { x: 2, y: 1 }]),
    0,
    1e-9,
  );
  // BPD moved right by 1: midpoint term 1 / ((16 + 4)/2) = 0.1.
  close(
    configurationPenalty([{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 3, y: -1 }, { x: 3, y: 1 }]),
    0.1,
    1e-9,
  );
  // BPD (2,−3)–(2,3) longer than the OFD: r = 1.5 → (0.5)², midpoint 0 → 0.25.
  close(
    configurationPenalty([{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 2, y: -3 }, { x: 2, y: 3 }]),
    0.25,
    1e-9,
  );
  // BPD (2,−0.4)–(2,0.4): r = 0.2, 1/r − 4 = 1 → 1.
  close(
    configurationPenalty([{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 2, y: -0.4 }, { x: 2, y: 0.4 }]),
    1,
    1e-6,
  );
  // A collapsed OFD (both ends at one point) is heavily penalised although "perpendicular".
  assert.ok(
    configurationPenalty([{ x: 4, y: 0 }, { x: 4, y: 0 }, { x: 2, y: -1 }, { x: 2, y: 1 }]) > 100,
  );
});

Deno.test("selectConfiguration: a weaker peak wins only when it makes a much better skull", () => {
  const at = (x: number, y: number, value: number): Candidate => ({ x, y, value });
  // OFD1's strongest peak is an echo far off the head; its second peak is the true end.
  const lists = [
    [at(0, 40, 1), at(20, 50, 0.7)],
    [at(80, 50, 1)],
    [at(50, 30, 1), at(70, 20, 0.2)],
    [at(50, 70, 1)],
  ];
  assert.deepEqual(selectConfiguration(lists, { weight: 10 }), [1, 0, 0, 0]);
  assert.deepEqual(selectConfiguration(lists, { weight: 0 }), [0, 0, 0, 0]);
  // When the strongest peaks already form a skull, they are kept.
  const good = [[at(20, 50, 1), at(0, 40, 0.9)], [at(80, 50, 1)], [at(50, 30, 1)], [at(50, 70, 1)]];
  assert.deepEqual(selectConfiguration(good), [0, 0, 0, 0]);
  assert.throws(() => selectConfiguration(lists.slice(0, 3)), InputError);
});

Deno.test("decodeHeatmaps select=configuration rejects a stronger spurious peak, refines sub-pixel", () => {
  const truth: Landmarks = [{ x: 12.3, y: 32.6 }, { x: 52.4, y: 31.2 }, { x: 31.7, y: 16.1 }, {
    x: 32.9,
    y: 47.8,
  }];
  const data = gaussianHeatmaps(truth, { size: 64, stride: 1, sigma: 2 });
  // An echo near the top-left corner in channel 0, 1.4× the true OFD1 peak.
  const echo = gaussianHeatmaps([{ x: 3, y: 3 }], { size: 64, stride: 1, sigma: 2 });
  for (let i = 0; i < 64 * 64; i++) data[i * 4] = 0.7 * data[i * 4] + echo[i];
  const view = { data, width: 64, height: 64, channels: 4 };
  const plain = decodeHeatmaps(view, { stride: 1, select: "argmax" });
  close(plain.landmarks[0].x, 3, 0.5, "argmax takes the echo");
  const chosen = decodeHeatmaps(view, { stride: 1, select: "configuration" });
  chosen.landmarks.forEach((p, i) => {
    close(p.x, truth[i].x, 0.05, `#${i} x`);
    close(p.y, truth[i].y, 0.05, `#${i} y`);
  });
});
