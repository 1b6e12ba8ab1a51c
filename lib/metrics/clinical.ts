/**
 * Clinical errors: absolute OFD, BPD and HC differences in mm, and the gestational-age (GA) error
 * they imply.
 *
 * GA regressions from Hadlock FP, Deter RL, Harrist RB, Park SK. "Estimating fetal age:
 * computer-assisted analysis of multiple fetal growth parameters." Radiology 1984;152:497–501
 * (measures in cm, GA in menstrual weeks):
 *   GA(HC)  = 8.96 + 0.540·HC + 0.0003·HC³
 *   GA(BPD) = 9.54 + 1.482·BPD + 0.1676·BPD²
 * Hadlock measured the BPD outer-to-inner table; here the BPD is the ellipse's short axis, so
 * GA(BPD) here is indicative. The GA error compares truth and prediction through the same formula,
 * which is what matters for ranking models.
 */
import type { HeadMeasures } from "../geometry/measures.ts";
import { summarize, type Summary } from "./summary.ts";

/** Menstrual age in weeks from the head circumference in mm (Hadlock 1984). */
export function hadlockGaFromHc(hcMm: number): number {
  const hc = hcMm / 10;
  return 8.96 + 0.54 * hc + 0.0003 * hc ** 3;
}

/** Menstrual age in weeks from the biparietal diameter in mm (Hadlock 1984). */
export function hadlockGaFromBpd(bpdMm: number): number {
  const bpd = bpdMm / 10;
  return 9.54 + 1.482 * bpd + 0.1676 * bpd ** 2;
}

export interface ClinicalErrors {
  ofdMm: number;
  bpdMm: number;
  hcMm: number;
  /** |GA(pred) − GA(true)| in days, through the HC and the BPD regressions. */
  gaHcDays: number;
  gaBpdDays: number;
}

export function clinicalErrors(pred: HeadMeasures, truth: HeadMeasures): ClinicalErrors {
  return {
    ofdMm: Math.abs(pred.ofdMm - truth.ofdMm),
    bpdMm: Math.abs(pred.bpdMm - truth.bpdMm),
    hcMm: Math.abs(pred.hcMm - truth.hcMm),
    gaHcDays: 7 * Math.abs(hadlockGaFromHc(pred.hcMm) - hadlockGaFromHc(truth.hcMm)),
    gaBpdDays: 7 * Math.abs(hadlockGaFromBpd(pred.bpdMm) - hadlockGaFromBpd(truth.bpdMm)),
  };
}

export interface ImageClinical {
  id: string;
  pred: HeadMeasures;
  truth: HeadMeasures;
  errors: ClinicalErrors;
}

export type ClinicalMetrics =
  & { nImages: number; images: ImageClinical[] }
  & Record<
    keyof ClinicalErrors,
    Summary
  >;

export class ClinicalAccumulator {
  readonly images: ImageClinical[] = [];

  add(id: string, pred: HeadMeasures, truth: HeadMeasures): ClinicalErrors {
    const errors = clinicalErrors(pred, truth);
    this.images.push({ id, pred, truth, errors });
    return errors;
  }

  result(): ClinicalMetrics {
    const col = (k: keyof ClinicalErrors) => summarize(this.images.map((r) => r.errors[k]));
    return {
      nImages: this.images.length,
      ofdMm: col("ofdMm"),
      bpdMm: col("bpdMm"),
      hcMm: col("hcMm"),
      gaHcDays: col("gaHcDays"),
      gaBpdDays: col("gaBpdDays"),
      images: this.images,
    };
  }
}
