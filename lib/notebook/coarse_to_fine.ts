/**
 * Notebooks 04 and 05: a family's one-stage run beside its coarse-to-fine chain (the first run's
 * model places a head window for the second stage, lib/inference/coarse_to_fine.ts), scored on the
 * same validation images: the second stage's training, the headline metrics, MRE by head size and
 * a paired test.
 */
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

/** Display the comparison of `first` (one stage) and `fine` (loaded with firstStage = first). */
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
}
