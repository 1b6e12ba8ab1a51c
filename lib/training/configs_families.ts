/**
 * Run configs of the heatmap, segmentation (U-Net, DeepLabV3+) and multi-task families, registered
 * with lib/training/configs.ts when a task adapter imports this module (`deno task train --config
 * unet/cpu` loads lib/training/tasks/segmentation.ts, see tasks/mod.ts).
 *
 * Per family:
 *   <family>/cpu    sized to train on HC18 (≈ 640 training images, 40 steps of 16 per epoch) within
 *                   60 minutes on the 2-core CPU with the fast backend (lib/backend, cpu-dnnl).
 *   <family>/quick  smoke run on phantoms at 64 px, 3 × 8 steps, about a minute.
 *   <family>/seed   (unet, deeplab) the full-size model at the seed's input size (512 px), for GPU
 *                   users.
 *   <family>-fine/cpu, <family>-fine/quick   (heatmap, unet, deeplab) the same on a window around
 *                   the head: the second stage of coarse-to-fine (lib/inference/coarse_to_fine.ts).
 *
 * Measured on HC18 with no other job on the machine (30 Nov, after the NHWC/swish kernels): the
 * heatmap config (half-width encoder) trained 30 epochs in 17.6 min on ONE thread while a
 * DeepLabV3+ run used the other core (33 s an epoch, validation included); U-Net at 224 px, 20
 * epochs, 2 threads: 21 min; DeepLabV3+ at 224 px, 20 epochs, 1 thread beside another run: about
 * 20 min; U-Net at 256 px, 24 epochs, 1 thread beside another run: 35 min (192 → 224 → 256 px
 * (12, 20 and 24 epochs) took the U-Net's |ΔHC| 2.80 → 2.51 → 2.50 mm and MRE 17.5 → 20.9 →
 * 15.8 px, Dice 0.970 → 0.972, all with the ellipse inlier band of 1.5 mask px used then). With
 * a weight average (ema.decay 0.99) and 36 epochs, U-Net at 256 px took 53.2 min beside another
 * run: val loss 0.0577 → 0.0536, Dice 0.972 → 0.974, |ΔHC| 2.25 → 2.14 mm; landmark MRE 14.5 →
 * 16.1 px, all from one near-vertical head listed in the other order (105_HC; order-free MRE 14.5 →
 * 14.1; shipped float16 models, notebook 07). Likewise heatmaps, 80 epochs with ema.decay 0.998
 * (44.9 min): 19.0 → 15.4 px, |ΔHC| 3.09 → 2.58 mm; DeepLabV3+, 30 epochs with 0.99 (29.3 min):
 * 17.4 → 15.2 px, Dice 0.968 → 0.972, |ΔHC| 2.49 → 2.33 mm. U-Net at 256 px with 48 epochs on
 * BOTH threads, alone on the machine (65 s an epoch, 52.2 min; 2 threads run a segmentation epoch
 * only ~1.3× faster than one, so two one-thread runs side by side are the better use of the
 * cores): best epoch 43, val loss 0.0536 → 0.0515, Dice 0.974 → 0.975, shipped |ΔHC| 2.14 → 2.13
 * mm, MRE 16.1 → 16.3 px, SDR 2 mm 0.67 → 0.66: no real change, so the 36-epoch model stays.
 * A lighter augmentation (no elastic/grid/optical distortion or dropout patches, fewer shadows,
 * noise and blur; the README gives the overrides) lowered both segmentation nets' validation loss
 * (U-Net 0.0535 → 0.0521, DeepLabV3+ 0.0558 → 0.0551) but not their errors: |ΔHC| 2.15 → 2.15 and
 * 2.33 → 2.23 mm, MRE 16.3 → 15.8 and 15.2 → 16.0 px (a second U-Net seed: 2.19 mm, 16.2 px);
 * the U-Net at 288 px, 28 epochs (48.4 min), gave 2.28 mm and 17.8 px. So the defaults stay (1 Dec;
 * notebook 07 suggests why: much of the error left is shared by all four families).
 * The estimates below, from a loaded machine, were conservative by 2–4×.
 *
 * Sizing (2026-11-30, cpu-dnnl, 2 threads, 192 px, batch 16, training steps only). The machine was
 * shared by other jobs (load 5–12), so wall-clock rates varied up to 8×; the fastest rate seen, in
 * a quiet moment, is the estimate for a dedicated machine: heatmap ≈ 17 img/s (from its CPU time),
 * U-Net and multi-task ≈ 9.5, DeepLabV3+ ≈ 12. Batch 16 costs about 1.5× less per image than
 * batch 8 here. Epochs were first chosen so that a run at HALF those rates, validation (160
 * images, inference plus post-processing) and the first-epoch image decoding included, ends within
 * about 55 minutes (heatmap 30 epochs, segmentation and multi-task 20); the heatmap, U-Net and
 * DeepLabV3+ epochs now come from the measured runs above (45, 53 and 29 min on one thread each).
 *
 * Geometry: an HC18 image is 800 px wide, so at S = 192 one model pixel is 4.17 original pixels;
 * heatmaps at stride 2 are 96², and σ = 2 heatmap px ≈ 17 original px. The 8 px MRE target is
 * ≈ 1 heatmap pixel, which the sub-pixel decoding resolves.
 */
import { type DeepPartial, type RunConfig } from "./config.ts";
import { registerConfig } from "./configs.ts";

type Override = DeepPartial<RunConfig>;

/** From-scratch CPU training: AdamW at a higher rate with warm-up and a cosine decay (as `cpu`). */
const CPU_TRAINING: Override = {
  optimizer: { lr: 1e-3, weightDecay: 1e-4 },
  schedule: { kind: "cosine-warmup", warmupEpochs: 2, minLr: 1e-5 },
  earlyStopping: { patience: 0 },
};

/**
 * Phantom smoke runs: tiny input, few steps. No weight average: over a few dozen to a thousand
 * steps it would mostly lag behind the weights (the demo's schedule was measured without it).
 */
const QUICK: Override = {
  ema: { decay: 0 },
  inputSize: 64,
  batchSize: 8,
  epochs: 3,
  stepsPerEpoch: 8,
  data: { dir: "phantoms", phantomCount: 48 },
  visualiseCount: 6,
};

/**
 * The seed prototype's training setup at 512 px (GPU): batch 16, lr 1e-4, plateau, 150 epochs, no
 * weight average.
 */
const SEED: Override = {
  ema: { decay: 0 },
  inputSize: 512,
  channels: 3,
  batchSize: 16,
  epochs: 150,
};

/**
 * The second stage of coarse-to-fine (lib/inference/coarse_to_fine.ts): the same model and schedule
 * on a square window of `headCrop` × the head's longer axis around it, so a small head fills the
 * input instead of a letterboxed fifth of it. Its own validation metrics use labelled windows,
 * and so are optimistic; the two-stage score comes from CoarseToFine on the first stage's answer.
 *
 * How the training windows vary matters. First (`UNET_FINE`): the labelled window, cached, then
 * zoomed and shifted by shiftScaleRotate, which leaves 1 − shiftScaleRotateP = 20 % of the samples
 * framed exactly at 1/headCrop. The model learned to read the head's size off that frame: on HC18
 * its HC followed a window scaled by 0.95 / 1.05 by −1.0 / +0.9 mm (framingRows, notebooks 04-05).
 * Now (`windowDraws`): every sample's window is drawn in the original image, side × (1 ± s),
 * centre ± 5 % of the side, so no framing is special and the surroundings are real image; rotation
 * stays with shiftScaleRotate. The drawn U-Net stages' HC bias stays within a 0.31 mm band over
 * windows scaled by 0.9–1.1. Measured on HC18 (chain scores, one call per stage, one thread beside another run):
 * - heatmaps, 1.35 ×: labelled windows ±15 % zoom, 47.2 min: 15.38 → 14.94 px, |ΔHC| 2.58 → 2.59
 *   mm; drawn windows ±15 %, 43.1 min: 15.34 px, |ΔHC| 2.46 mm (shipped as heatmap-fine);
 * - U-Net, 1.5 ×: labelled windows ±30 % zoom, 56.7 min: 16.14 → 12.71 px, |ΔHC| 2.14 → 2.03 mm,
 *   Dice 0.977 (shipped as unet-fine, so UNET_FINE stays); drawn windows ±25 %, two seeds, 53.7 and
 *   49.4 min: 15.35 and 13.29 px (13.29 both without pair order), |ΔHC| 1.97 and 2.04 mm, Dice
 *   0.977: no longer frame-driven, no more accurate;
 * - DeepLabV3+, 1.5 ×, drawn windows ±25 %: 30 epochs (27.6 min) 15.22 → 15.02 px, |ΔHC| 2.33 →
 *   2.10 mm, Dice 0.972 → 0.975; 46 epochs (46.0 min) 12.94 px, 2.08 mm, Dice 0.976 (shipped as
 *   deeplab-fine, so DEEPLAB_FINE trains 46).
 */
const windowDraws = (scale: number) => ({
  shiftLimit: 0,
  scaleLimit: 0,
  windowScaleLimit: scale,
  windowShiftLimit: 0.05,
});
const HEATMAP_FINE: Override = { augment: { headCrop: 1.35, ...windowDraws(0.15) } };
const UNET_FINE: Override = { augment: { headCrop: 1.5, shiftLimit: 0.05, scaleLimit: 0.3 } };
const DEEPLAB_FINE: Override = { epochs: 46, augment: { headCrop: 1.5, ...windowDraws(0.25) } };

interface Family {
  name: string;
  task: RunConfig["task"];
  what: string;
  cpu: { model: string; override: Override; note: string };
  seed?: { model: string; options?: Record<string, unknown> };
  /** Registers `<name>-fine/cpu` and `<name>-fine/quick`, the coarse-to-fine second stage. */
  fine?: Override;
}

const FAMILIES: Family[] = [
  {
    name: "heatmap",
    fine: HEATMAP_FINE,
    task: "heatmap",
    what: "Payer-style heatmap regression (Gaussian targets, L2, sub-pixel decoding)",
    cpu: {
      model: "heatmap-unet-r18-w0.5",
      note: "half-width ResNet-18 heatmap U-Net (the U-Net's encoder), 192 px, stride-2 " +
        "heatmaps, σ = 2, weight average (EMA 0.998)",
      override: {
        ...CPU_TRAINING,
        inputSize: 192,
        batchSize: 16,
        epochs: 80,
        ema: { decay: 0.998 },
        taskOptions: { sigma: 2, loss: "l2" },
        monitor: "val_mre_px",
      },
    },
  },
  {
    name: "unet",
    fine: UNET_FINE,
    task: "segmentation",
    what: "U-Net cranium segmentation, Dice + BCE, ellipse post-processing",
    cpu: {
      model: "unet-r18-w0.5",
      note: "half-width ResNet-18 U-Net, 256 px, weight average (EMA 0.99)",
      override: {
        ...CPU_TRAINING,
        inputSize: 256,
        batchSize: 16,
        epochs: 36,
        ema: { decay: 0.99 },
        monitor: "val_loss",
      },
    },
    seed: { model: "unet-r34" },
  },
  {
    name: "deeplab",
    fine: DEEPLAB_FINE,
    task: "segmentation",
    what: "DeepLabV3+ cranium segmentation, Dice + BCE, ellipse post-processing",
    cpu: {
      model: "deeplabv3plus-r50-w0.25",
      note: "quarter-width ResNet-50 DeepLabV3+ (OS16), 224 px, weight average (EMA 0.99)",
      override: {
        ...CPU_TRAINING,
        inputSize: 224,
        batchSize: 16,
        epochs: 30,
        ema: { decay: 0.99 },
        monitor: "val_loss",
      },
    },
    seed: { model: "deeplabv3plus-r50", options: { outputStride: 16 } },
  },
  {
    name: "multitask",
    task: "multitask",
    what: "shared U-Net with mask logits + heatmaps, weighted Dice + BCE + heatmap L2",
    cpu: {
      model: "multitask-r18-w0.5",
      note: "half-width ResNet-18 U-Net, 192 px, mask + stride-2 heatmaps",
      override: {
        ...CPU_TRAINING,
        inputSize: 192,
        batchSize: 16,
        epochs: 20,
        taskOptions: { sigma: 2, segWeight: 1, landmarkWeight: 1 },
        monitor: "val_mre_px",
      },
    },
  },
];

for (const f of FAMILIES) {
  registerConfig(`${f.name}/cpu`, {
    description: `${f.what}: ${f.cpu.note}; trains on HC18 within 60 min on the 2-core CPU.`,
    override: {
      ...f.cpu.override,
      task: f.task,
      model: { name: f.cpu.model, options: {} },
    },
  });
  registerConfig(`${f.name}/quick`, {
    extends: `${f.name}/cpu`,
    description: `${f.what}: smoke run on phantoms at 64 px, about a minute.`,
    override: QUICK,
  });
  if (f.fine) {
    registerConfig(`${f.name}-fine/cpu`, {
      extends: `${f.name}/cpu`,
      description: `${f.what}: ${f.name}/cpu on a window around the head` +
        (f.fine.epochs ? `, ${f.fine.epochs} epochs` : "") +
        ` (coarse-to-fine second stage; needs ${f.name} as the first stage at inference).`,
      override: f.fine,
    });
    registerConfig(`${f.name}-fine/quick`, {
      extends: `${f.name}-fine/cpu`,
      description: `${f.what}: ${f.name}/quick on a window around the head (smoke run).`,
      override: QUICK, // after the window's override, so its schedule is the smoke run's too
    });
  }
  if (f.seed) {
    registerConfig(`${f.name}/seed`, {
      extends: `${f.name}/cpu`,
      description: `${f.what}: ${f.seed.model} at the seed's 512 px, batch 16, lr 1e-4, ` +
        "ReduceLROnPlateau, 150 epochs (for GPU users).",
      override: {
        ...SEED,
        model: { name: f.seed.model, options: f.seed.options ?? {} },
        // Back to the seed's optimiser and schedule (BASE), undoing the CPU recipe.
        optimizer: { lr: 1e-4, weightDecay: 1e-5 },
        schedule: { kind: "plateau", warmupEpochs: 0, minLr: 1e-7 },
        earlyStopping: { patience: 25 },
      },
    });
  }
}
