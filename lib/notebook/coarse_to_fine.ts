/**
 * Notebooks 04–06: a family's one-stage run beside its coarse-to-fine chain (the first run's
 * model places a head window for the second stage, lib/inference/coarse_to_fine.ts), scored on the
 * same validation images: the second stage's training, the headline metrics, MRE by head size and
 * a paired test; and the framing study, how far the second stage reads the head's size off its
 * window.
 */
import type { GrayImage, Landmarks } from "../core/types.ts";
import { landmarksToEllipse } from "../geometry/ellipse.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import { type ImagePredictor, refineAround } from "../inference/coarse_to_fine.ts";
import { Predictor } from "../inference/predictor.ts";
import { radialErrors } from "../metrics/landmarks.ts";
import { mean } from "../metrics/summary.ts";
import { showFigure, showMarkdown, showTable } from "./display.ts";
import type { FamilyRun } from "./family.ts";
import { headlineRow, runSummaryMarkdown, trainingCurveFigures } from "./family_views.ts";
import { headSizeRows, pairwiseWilcoxonRows } from "./comparison.ts";
import type { Row } from "./table.ts";

/** One row per stage setup: the headline metrics, Dice when there are masks, ms per image. */
export function stageRows(runs: readonly FamilyRun[]): Row[] {
  return runs.map((r) => ({
    ...headlineRow(r.family, r.evaluation),
    ...(r.evaluation.segmentation ? { Dice: r.evaluation.segmentation.dice.mean } : {}),
    "ms/image": r.msPerImage,
  }));
}

/**
 * Display the comparison of `first` (one stage) and `fine` (loaded with firstStage = first), then
 * the framing study of the second stage on the same images (`framingRows`).
 */
export async function showCoarseToFine(first: FamilyRun, fine: FamilyRun): Promise<void> {
  await showMarkdown(runSummaryMarkdown(fine));
  for (const fig of trainingCurveFigures(fine.history)) await showFigure(fig);
  const stages = [
    { ...first, family: `${first.family} (one stage)` },
    { ...fine, family: `${first.family} → ${fine.family}` },
  ];
  await showTable(stageRows(stages), {
    caption: `one stage against two, the same ${first.val.records.length} validation images`,
    digits: 3,
  });
  await showTable(headSizeRows(stages), {
    caption: "MRE by head size (thirds by true OFD length)",
    digits: 1,
  });
  await showTable(pairwiseWilcoxonRows(stages), { caption: "paired Wilcoxon test", digits: 4 });
  const predictor = await Predictor.fromDir(fine.weightsDir, fine.config);
  try {
    const rows = await framingRows(
      predictor,
      fine.val.samples,
      first.predictions.map((p) => p.landmarks),
    );
    await showTable(rows, {
      caption: "framing: the second stage with windows around the labelled heads, scaled, and " +
        "around the first stage's answers",
      digits: 3,
    });
  } finally {
    predictor.dispose();
  }
}

/** Window scales of the framing study: the labelled window shrunk and grown by 5 and 10 %. */
export const FRAMING_SCALES: readonly number[] = [0.9, 0.95, 1, 1.05, 1.1];

/** The four points scaled by `f` about their centre: the head window's side scales by `f`. */
function scaledAboutCentre(l: Landmarks, f: number): Landmarks {
  const { cx, cy } = landmarksToEllipse(l);
  return l.map((p) => ({ x: cx + f * (p.x - cx), y: cy + f * (p.y - cy) })) as Landmarks;
}

/**
 * How far a head-crop second stage reads the head's size off its window rather than the image:
 * the images predicted with windows around the labelled heads scaled by each of `scales`, then
 * around the first stage's answers. One row per window: mean signed and absolute HC error (mm,
 * images with a pixel size), MRE (px). A model that measured the skull alone would keep its HC
 * bias at every scale; one that took the frame's word for it follows the window (a window 5 % too
 * small, a head up to 5 % too small). The labelled window at scale 1 also tells the model the
 * head's size to within its training draws, so that row is optimistic.
 */
export async function framingRows(
  fine: ImagePredictor,
  samples: readonly {
    id: string;
    image: GrayImage;
    landmarks: Landmarks;
    pixelSizeMm?: number;
  }[],
  firstStage: readonly Landmarks[],
  scales: readonly number[] = FRAMING_SCALES,
): Promise<Row[]> {
  if (firstStage.length !== samples.length) {
    throw new RangeError(
      `framingRows: ${firstStage.length} first-stage answers for ${samples.length} images`,
    );
  }
  const windows: [string, Landmarks[]][] = [
    ...scales.map((f): [string, Landmarks[]] => [
      `labels × ${f}`,
      samples.map((s) => scaledAboutCentre(s.landmarks, f)),
    ]),
    ["first stage", [...firstStage]],
  ];
  const rows: Row[] = [];
  for (const [window, priors] of windows) {
    // As in CoarseToFine: where the first stage found no head there is no window, and its answer
    // stands.
    const inputs = samples.map(({ id, image, pixelSizeMm }) => ({ id, image, pixelSizeMm }));
    const second = await refineAround(fine, inputs, priors);
    const answers = priors.map((p, i) => second[i]?.landmarks ?? p);
    const hc = samples.flatMap((s, i) =>
      s.pixelSizeMm === undefined ? [] : [
        measuresFromLandmarks(answers[i], s.pixelSizeMm).hcMm -
        measuresFromLandmarks(s.landmarks, s.pixelSizeMm).hcMm,
      ]
    );
    rows.push({
      window,
      "HC bias mm": mean(hc),
      "|ΔHC| mm": mean(hc.map(Math.abs)),
      "MRE px": mean(samples.map((s, i) => mean(radialErrors(answers[i], s.landmarks)))),
    });
  }
  return rows;
}
