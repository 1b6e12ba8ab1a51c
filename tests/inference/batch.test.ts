import assert from "node:assert/strict";
import type { Ellipse } from "../../lib/core/types.ts";
import { ellipseToLandmarks, landmarksToEllipse } from "../../lib/geometry/ellipse.ts";
import { overlayNames, predictionChecks } from "../../lib/inference/batch.ts";
import type { ImagePrediction } from "../../lib/inference/predictor.ts";

const HEAD: Ellipse = { cx: 400, cy: 270, a: 150, b: 120, angle: 0.2 };

function prediction(over: Partial<ImagePrediction>): ImagePrediction {
  return {
    id: "x.png",
    width: 800,
    height: 540,
    landmarks: ellipseToLandmarks(HEAD),
    ellipse: HEAD,
    confidence: null,
    ...over,
  };
}

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

Deno.test("predictionChecks: a head passes; a blank frame's answers are flagged, with why", () => {
  const centre = { x: 399.5, y: 269.5 };
  const spot = [centre, centre, centre, centre] as ImagePrediction["landmarks"];
  // A heatmap answer on a blank frame: BPD ends off the image, longer than the OFD, and its
  // midpoint (400, 226.9) 23.1 px from the OFD's, 58 % of the OFD's 40 px.
  const wild = [{ x: 380, y: 250 }, { x: 420, y: 250 }, { x: 400, y: -104.3 }, {
    x: 400,
    y: 558.1,
  }];
  const table: [string, Partial<ImagePrediction>, boolean, string[]][] = [
    ["head", {}, true, []],
    ["head, segmentation valid", { plausible: true }, true, []],
    ["head, 0.15 mm/px (HC 127 mm)", { pixelSizeMm: 0.15 }, true, []],
    ["head, 1 mm/px (HC 849 mm)", { pixelSizeMm: 1 }, false, ["size"]],
    ["segmentation says border", { plausible: false, issues: ["border: 12 mask pixels"] }, false, [
      "border",
    ]],
    [
      "a head drawn on a blank frame, its mask passed",
      { plausible: true, inputIssues: ["blank: the image has almost no contrast"] },
      false,
      ["blank"],
    ],
    [
      "four points on one spot",
      {
        landmarks: spot,
        ellipse: { cx: 399.5, cy: 269.5, a: 0, b: 0, angle: 0 },
      },
      false,
      ["axis-ratio", "degenerate_axis"],
    ],
    [
      "points off the image, BPD > OFD",
      {
        landmarks: wild as ImagePrediction["landmarks"],
        ellipse: landmarksToEllipse(wild as ImagePrediction["landmarks"]),
      },
      false,
      ["axis-ratio", "outside_image", "bpd_longer_than_ofd", "midpoint_mismatch"],
    ],
  ];
  for (const [name, over, plausible, issues] of table) {
    assert.deepEqual(predictionChecks(prediction(over)), { plausible, issues }, name);
  }
});
