import assert from "node:assert/strict";
import type { Mask } from "../../lib/core/types.ts";
import {
  boundaryMask,
  boundaryPoints,
  connectedComponents,
  fillHoles,
  largestComponent,
  maskArea,
} from "../../lib/geometry/mask.ts";

/** Mask from rows of "#" (inside) and "." (outside). */
function parse(rows: string[]): Mask {
  const width = rows[0].length, height = rows.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === "#" ? 1 : 0)));
  return { width, height, data };
}
const show = (m: Mask) =>
  Array.from(
    { length: m.height },
    (_, y) =>
      Array.from(m.data.subarray(y * m.width, (y + 1) * m.width), (v) => (v ? "#" : ".")).join(""),
  );

Deno.test("boundary of a block is its outer ring; image edges count as outside", () => {
  const m = parse([".....", ".###.", ".###.", ".###.", "....."]);
  assert.deepEqual(show(boundaryMask(m)), [".....", ".###.", ".#.#.", ".###.", "....."]);
  assert.deepEqual(show(boundaryMask(parse(["###", "###", "###"]))), ["###", "#.#", "###"]);
  assert.equal(boundaryPoints(m).length, 8);
  assert.deepEqual(boundaryPoints(m)[0], { x: 1, y: 1 });
  assert.equal(maskArea(m), 9);
});

Deno.test("components: diagonal neighbours join under 8- but not 4-connectivity", () => {
  const m = parse(["#..", ".#.", "..#"]);
  assert.deepEqual(connectedComponents(m, 8).sizes, [0, 3]);
  assert.deepEqual(connectedComponents(m, 4).sizes, [0, 1, 1, 1]);
});

Deno.test("largest component keeps the biggest blob; empty stays empty", () => {
  const m = parse(["##..#", "##..#", ".....", "#...."]);
  assert.deepEqual(show(largestComponent(m)), ["##...", "##...", ".....", "....."]);
  assert.equal(maskArea(largestComponent(parse(["...", "..."]))), 0);
});

Deno.test("fillHoles fills enclosed background only", () => {
  const ring = parse([".....", ".###.", ".#.#.", ".###.", "....."]);
  assert.deepEqual(show(fillHoles(ring)), [".....", ".###.", ".###.", ".###.", "....."]);
  // A ring closed only by diagonal steps is still closed (8-connected foreground).
  const diamond = parse(["..#..", ".#.#.", "#...#", ".#.#.", "..#.."]);
  assert.deepEqual(show(fillHoles(diamond)), ["..#..", ".###.", "#####", ".###.", "..#.."]);
  // A ring open at the border is not a hole.
  const open = parse(["#.#", "#.#", "###"]);
  assert.deepEqual(show(fillHoles(open)), ["#.#", "#.#", "###"]);
});
