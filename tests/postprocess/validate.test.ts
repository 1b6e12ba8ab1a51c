import assert from "node:assert/strict";
import type { GrayImage } from "../../lib/core/types.ts";
import { blankImageIssue } from "../../lib/postprocess/validate.ts";

/** Half the pixels at `lo`, half at `hi`: grey-level std (hi − lo) / 2, by hand. */
function halves(lo: number, hi: number): GrayImage {
  const data = new Float32Array(100);
  for (let i = 0; i < 100; i++) data[i] = i < 50 ? lo : hi;
  return { width: 10, height: 10, data };
}

Deno.test("blankImageIssue: flat frames flagged with their std, anything with contrast passes", () => {
  const table: [string, GrayImage, string | undefined][] = [
    [
      "uniform grey",
      halves(128, 128),
      "blank: the image has almost no contrast (grey-level std 0.00 < 2)",
    ],
    [
      "std 1.99",
      halves(10, 13.98),
      "blank: the image has almost no contrast (grey-level std 1.99 < 2)",
    ],
    ["std 2 exactly", halves(10, 14), undefined],
    ["black and white", halves(0, 255), undefined],
  ];
  for (const [name, image, want] of table) assert.equal(blankImageIssue(image), want, name);
  assert.equal(blankImageIssue(halves(10, 14), 2.5)?.startsWith("blank:"), true);
});
