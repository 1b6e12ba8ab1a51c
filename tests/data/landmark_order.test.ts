import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { canonicalize, isCanonical, sameUpToOrder } from "../../lib/data/landmark_order.ts";

const L = (...c: number[]): Landmarks => [
  { x: c[0], y: c[1] },
  { x: c[2], y: c[3] },
  { x: c[4], y: c[5] },
  { x: c[6], y: c[7] },
];

Deno.test("canonicalize orders each pair by the convention, ties on the other coordinate", () => {
  const cases: [string, Landmarks, Landmarks][] = [
    ["already canonical", L(10, 50, 90, 60, 50, 20, 52, 80), L(10, 50, 90, 60, 50, 20, 52, 80)],
    ["both pairs reversed", L(90, 60, 10, 50, 52, 80, 50, 20), L(10, 50, 90, 60, 50, 20, 52, 80)],
    [
      "OFD vertical: tie on x, smaller y first",
      L(5, 9, 5, 1, 0, 5, 9, 5),
      L(5, 1, 5, 9, 0, 5, 9, 5),
    ],
    [
      "BPD horizontal: tie on y, smaller x first",
      L(1, 5, 9, 5, 9, 3, 2, 3),
      L(1, 5, 9, 5, 2, 3, 9, 3),
    ],
    [
      "OFD with smaller x but larger y stays first",
      L(0, 9, 4, 0, 0, 0, 1, 1),
      L(0, 9, 4, 0, 0, 0, 1, 1),
    ],
  ];
  for (const [name, input, expected] of cases) {
    const out = canonicalize(input);
    assert.deepEqual(out, expected, name);
    assert.ok(isCanonical(out), name);
  }
});

Deno.test("canonicalize never swaps the OFD and BPD pairs and does not mutate its input", () => {
  const input = L(50, 0, 50, 100, 100, 50, 0, 50); // BPD longer than OFD: a label fault, kept
  const copy = structuredClone(input);
  const out = canonicalize(input);
  assert.deepEqual(input, copy);
  assert.deepEqual(out, L(50, 0, 50, 100, 0, 50, 100, 50));
});

Deno.test("isCanonical detects a reversed pair", () => {
  assert.equal(isCanonical(L(9, 0, 1, 0, 0, 1, 0, 2)), false);
  assert.equal(isCanonical(L(1, 0, 9, 0, 0, 2, 0, 1)), false);
});

Deno.test("sameUpToOrder: order within pairs ignored, pair identity and tolerance respected", () => {
  const a = L(10, 50, 90, 60, 50, 20, 52, 80);
  assert.ok(sameUpToOrder(a, L(90, 60, 10, 50, 52, 80, 50, 20)));
  assert.ok(sameUpToOrder(a, L(90, 60.4, 10, 50, 52, 80, 50, 20), 0.5));
  assert.equal(sameUpToOrder(a, L(90, 60.4, 10, 50, 52, 80, 50, 20), 0.1), false);
  // Pairs exchanged (OFD listed as BPD) is a different labelling, not a reordering.
  assert.equal(sameUpToOrder(a, L(50, 20, 52, 80, 10, 50, 90, 60)), false);
  // Mixing ends across pairs is different too.
  assert.equal(sameUpToOrder(a, L(10, 50, 50, 20, 90, 60, 52, 80)), false);
});
