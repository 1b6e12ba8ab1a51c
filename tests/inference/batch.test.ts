import assert from "node:assert/strict";
import { overlayNames } from "../../lib/inference/batch.ts";

Deno.test("overlayNames: <stem>.png, the whole name where inputs share a stem, never one name twice", () => {
  const files = ["x.png", "x.jpg", "x.tif.png", "x.tif", "y.jpg", "X.png"];
  const name = overlayNames(files.map((f) => `/in/${f}`));
  const table: [string, string][] = [
    ["x.png", "x.png.png"],
    ["x.jpg", "x.jpg.png"],
    ["x.tif.png", "x.tif.png"], // stem "x.tif", shared with nobody
    ["x.tif", "x.tif-2.png"], // stem "x" is shared, and "x.tif.png" is taken
    ["y.jpg", "y.png"],
    ["X.png", "X.png"], // another file on a case-sensitive file system
  ];
  for (const [input, overlay] of table) assert.equal(name(input), overlay, input);
  assert.equal(new Set(table.map(([i]) => name(i))).size, table.length);
});
