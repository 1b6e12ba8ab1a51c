import assert from "node:assert/strict";
import type { Mask } from "../../lib/core/types.ts";
import { Rng } from "../../lib/core/rng.ts";
import {
  close,
  dilate,
  disk,
  erode,
  open,
  square,
  type StructuringElement,
} from "../../lib/geometry/morphology.ts";

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

/** Textbook definition, pixel by pixel: the reference the fast version must match. */
function bruteForce(m: Mask, se: StructuringElement, op: "dilate" | "erode"): Mask {
  const r = Math.ceil(se.radius), out = new Uint8Array(m.data.length);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      let any = false, all = true;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          if (se.shape === "disk" && dx * dx + dy * dy > se.radius ** 2) continue;
          if (
            se.shape === "square" && Math.max(Math.abs(dx), Math.abs(dy)) > Math.floor(se.radius)
          ) continue;
          const xx = x + dx, yy = y + dy;
          const inside = xx >= 0 && yy >= 0 && xx < m.width && yy < m.height;
          const v = inside ? m.data[yy * m.width + xx] === 1 : op === "erode";
          any ||= v;
          all &&= v;
        }
      }
      out[y * m.width + x] = (op === "dilate" ? any : all) ? 1 : 0;
    }
  }
  return { ...m, data: out };
}

Deno.test("dilating a point by disk(2) draws the disk", () => {
  const m = parse([".....", ".....", "..#..", ".....", "....."]);
  assert.deepEqual(show(dilate(m, disk(2))), ["..#..", ".###.", "#####", ".###.", "..#.."]);
  assert.deepEqual(show(dilate(m, square(1))), [".....", ".###.", ".###.", ".###.", "....."]);
  // √5 ≈ 2.24 ≤ 2.5: the knight's-move pixels join at radius 2.5.
  assert.deepEqual(show(dilate(m, disk(2.5))), [".###.", "#####", "#####", "#####", ".###."]);
  assert.throws(() => dilate(m, disk(-1)), RangeError);
});

Deno.test("open removes a speck, close fills a notch; objects at the border survive closing", () => {
  const speck = parse(["......", ".###..", ".###..", ".###.#", "......"]);
  assert.deepEqual(show(open(speck, square(1))), [
    "......",
    ".###..",
    ".###..",
    ".###..",
    "......",
  ]);
  const notch = parse(["#####", "##.##", "#####"]);
  assert.deepEqual(show(close(notch, square(1))), ["#####", "#####", "#####"]);
  const full = parse(["###", "###"]);
  assert.deepEqual(show(erode(full, disk(1))), ["###", "###"]);
});

Deno.test("fast dilate/erode equal the brute-force definition on random masks", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 12; trial++) {
    const w = rng.int(1, 23), h = rng.int(1, 17);
    const m: Mask = {
      width: w,
      height: h,
      data: Uint8Array.from({ length: w * h }, () => (rng.bool(0.4) ? 1 : 0)),
    };
    for (const se of [disk(rng.int(0, 5)), disk(rng.uniform(0, 4)), square(rng.int(0, 4))]) {
      assert.deepEqual(
        dilate(m, se).data,
        bruteForce(m, se, "dilate").data,
        `dilate ${trial} ${se.shape}`,
      );
      assert.deepEqual(
        erode(m, se).data,
        bruteForce(m, se, "erode").data,
        `erode ${trial} ${se.shape}`,
      );
    }
  }
});
