/**
 * Every augmentation once, forced on (p = 1), with its default range: the list the notebook's
 * gallery draws and the bench times, kept in one place so a new transform shows up in both.
 */
import {
  elastic,
  flipHorizontal,
  flipVertical,
  gridDistortion,
  opticalDistortion,
  rotate,
  scale,
  shift,
  shiftScaleRotate,
} from "./geometric.ts";
import { brightnessContrast, gamma, gaussianBlur, gaussianNoise, motionBlur } from "./intensity.ts";
import type { Transform } from "./types.ts";
import { acousticShadow, coarseDropout, depthAttenuation, speckle } from "./ultrasound.ts";

export const ALL_AUGMENTATIONS: readonly Transform[] = [
  shiftScaleRotate(),
  rotate(),
  scale(),
  shift(),
  flipHorizontal({ p: 1 }),
  flipVertical({ p: 1 }),
  elastic(),
  gridDistortion(),
  opticalDistortion(),
  brightnessContrast(),
  gamma(),
  gaussianNoise(),
  gaussianBlur(),
  motionBlur(),
  acousticShadow(),
  coarseDropout(),
  speckle(),
  depthAttenuation(),
];
