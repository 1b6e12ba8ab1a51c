/** Miniature HC18 folders for tests: images, outline annotations and the pixel-size CSV. */
import { join } from "node:path";
import type { Ellipse, GrayImage } from "../../lib/core/types.ts";
import { distanceToEllipse, ellipsePerimeter } from "../../lib/geometry/ellipse.ts";
import { writeGrayPng } from "../../lib/io/image.ts";

/** An HC18-style annotation: 255 where the pixel centre is within 1.25 px of the curve. */
export function outline(e: Ellipse, w: number, h: number): GrayImage {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) if (distanceToEllipse(e, { x, y }) <= 1.25) data[y * w + x] = 255;
  }
  return { width: w, height: h, data };
}

export interface Hc18FolderCase {
  id: string;
  image: GrayImage;
  ellipse: Ellipse;
  pixelSizeMm: number;
}

/**
 * `dir/training_set/<id>` and `<stem>_Annotation.png` per case, and
 * `dir/training_set_pixel_size_and_HC.csv` with the ellipse's HC, as HC18 lays them out.
 */
export async function writeHc18Training(dir: string, cases: readonly Hc18FolderCase[]) {
  const rows = ["filename,pixel size(mm),head circumference (mm)"];
  for (const { id, image, ellipse, pixelSizeMm } of cases) {
    await writeGrayPng(join(dir, "training_set", id), image);
    await writeGrayPng(
      join(dir, "training_set", id.replace(".png", "_Annotation.png")),
      outline(ellipse, image.width, image.height),
    );
    rows.push(`${id},${pixelSizeMm},${(ellipsePerimeter(ellipse) * pixelSizeMm).toFixed(2)}`);
  }
  await Deno.writeTextFile(join(dir, "training_set_pixel_size_and_HC.csv"), rows.join("\n") + "\n");
}
