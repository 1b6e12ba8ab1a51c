import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import sharp from "sharp";
import {
  figureBundle,
  inJupyter,
  markdownBundle,
  pngBundle,
  showFigure,
  showMarkdown,
  showTable,
  tableBundle,
} from "../../lib/notebook/display.ts";
import { histogram } from "../../lib/viz/charts.ts";

const fig = histogram([1, 2, 2, 3], { title: "demo", bins: 3, width: 200, height: 100 });

Deno.test("outside a kernel: inJupyter is false and show* resolve without displaying", async () => {
  assert.equal(inJupyter(), false);
  await showFigure(fig);
  await showTable([{ a: 1 }]);
  await showMarkdown("# hi");
});

Deno.test("figure bundle: PNG + plotly + title, and no text/html (nbconvert would prefer it)", async () => {
  const bundle = await figureBundle(fig);
  assert.deepEqual(Object.keys(bundle).sort(), [
    "application/vnd.plotly.v1+json",
    "image/png",
    "text/plain",
  ]);
  assert.equal(bundle["text/plain"], "demo");
  assert.deepEqual(bundle["application/vnd.plotly.v1+json"], fig.plotly);
  const png = Buffer.from(bundle["image/png"] as string, "base64");
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, "png");
  assert.ok(meta.width! > 400, `scale 2 of a 200 px wide plot, got ${meta.width}`);
});

Deno.test("png bundle round-trips the bytes", () => {
  const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
  const bundle = pngBundle(bytes, "cap");
  assert.deepEqual(new Uint8Array(Buffer.from(bundle["image/png"] as string, "base64")), bytes);
  assert.equal(bundle["text/plain"], "cap");
});

Deno.test("table bundle: escaped HTML, Markdown and text twins", () => {
  const bundle = tableBundle([{ name: "<a>", v: 1.5 }], { caption: "T" });
  assert.equal(
    bundle["text/html"],
    '<table><caption>T</caption><thead><tr><th style="text-align:left">name</th>' +
      '<th style="text-align:right">v</th></tr></thead><tbody><tr>' +
      '<td style="text-align:left">&lt;a&gt;</td><td style="text-align:right">1.500</td></tr></tbody></table>',
  );
  assert.equal(bundle["text/markdown"], "| name | v |\n| --- | ---: |\n| <a> | 1.500 |");
  assert.equal(bundle["text/plain"], "T\nname      v\n----  -----\n<a>   1.500");
});

Deno.test("markdown bundle", () => {
  assert.deepEqual(markdownBundle("**x**"), { "text/markdown": "**x**", "text/plain": "**x**" });
});
