/**
 * Turn a training run's best checkpoint into a committed, self-describing model folder:
 *
 *   checkpoints/<family>/model.json    topology + weights manifest (tfjs layers format)
 *                        weights.bin   large kernels stored as float16 (tfjs `quantization`
 *                                      field, decoded by tf.io on load), everything else float32
 *                        config.json   the run config (input size, normalisation, task options)
 *                        card.json     data, split, config, metrics, training time, backend, git
 *                        model_card.md the same for people
 *
 * No optimiser state is copied. float16 halves the size; `shipCheckpoint` checks that it holds
 * accuracy by predicting `verifyImages` with both weight sets: the median and largest landmark
 * shift (original pixels) and, for images with ground truth, both MREs go into the card.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import { exists, writeDirAtomic } from "../core/fs.ts";
import { readCheckpointState } from "../training/checkpoint.ts";
import type { RunConfig } from "../training/config.ts";
import type { Landmarks, Point } from "../core/types.ts";
import { quantile } from "../metrics/summary.ts";
import { projectRelative } from "../core/project.ts";
import { FAMILIES, familyInfo, locateModel, readRunConfig, SHIPPED_ROOT } from "./model_dir.ts";
import { type InputImage, Predictor } from "./predictor.ts";
import { CALIBRATION_FILE } from "./direction_calibration.ts";
import { CoarseToFine, type ImagePredictor } from "./coarse_to_fine.ts";

const dist = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);

/** Shipped folders must stay small enough to commit. */
export const MAX_SHIPPED_BYTES = 15 * 1024 * 1024;
/** Weights with at least this many values are stored as float16; biases and BatchNorm stay float32. */
export const FLOAT16_MIN_SIZE = 1024;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of `x`, rounded to nearest even (overflow → ±Inf). */
export function float16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // a carry into the exponent is correct
  return sign | h;
}

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** The model files with large float32 weights re-encoded as float16 (or copied as they are). */
export async function encodeWeights(
  dir: string,
  float16: boolean,
): Promise<{ json: ModelJson; weights: Uint8Array }> {
  const json: ModelJson = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(dir, p))),
  );
  const data = tf.io.CompositeArrayBuffer.join(parts.map((p) => p.slice().buffer));
  const named = tf.io.decodeWeights(data, specs);
  const chunks: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  try {
    for (const spec of specs) {
      const values = named[spec.name].dataSync();
      const half = float16 && spec.dtype === "float32" && values.length >= FLOAT16_MIN_SIZE;
      if (half) {
        const bits = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) bits[i] = float16Bits(values[i]);
        chunks.push(new Uint8Array(bits.buffer));
        outSpecs.push({
          name: spec.name,
          shape: spec.shape,
          dtype: "float32",
          quantization: { dtype: "float16", original_dtype: "float32" },
        } as tf.io.WeightsManifestEntry);
      } else {
        const copy = spec.dtype === "int32" ? new Int32Array(values) : new Float32Array(values);
        chunks.push(new Uint8Array(copy.buffer));
        outSpecs.push({ name: spec.name, shape: spec.shape, dtype: spec.dtype });
      }
    }
  } finally {
    tf.dispose(Object.values(named));
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    weights.set(c, o);
    o += c.byteLength;
  }
  return {
    json: { ...json, weightsManifest: [{ paths: ["./weights.bin"], weights: outSpecs }] },
    weights,
  };
}

export interface ShipOptions {
  /** Store large weights as float16 (default true). */
  float16?: boolean;
  /** Images predicted with the original and the shipped weights to measure the float16 shift. */
  verifyImages?: (InputImage & { landmarks?: Landmarks })[];
  /** Destination root (default checkpoints/). */
  root?: string;
  /** Free text for the card (e.g. how the metrics were obtained). */
  notes?: string;
}

export interface ModelCard {
  family: string;
  description: string;
  model: string;
  params: number;
  inputSize: number;
  channels: number;
  task: string;
  weights: {
    float16: boolean;
    bytes: number;
    /** Per image, the largest landmark shift between float32 and shipped weights: median and max, px. */
    medianShiftPx: number | null;
    maxLandmarkShiftPx: number | null;
    /** Mean radial error of both weight sets over the verification images that carry landmarks, px. */
    mrePx: { float32: number; shipped: number } | null;
    verifiedImages: number;
  };
  source: { runId: string | null; checkpoint: string };
  data: unknown;
  metrics: Record<string, unknown>;
  training: {
    wallClockSec: number | null;
    epochsDone: number | null;
    bestEpoch: number | null;
    backend: unknown;
    /** False when the run was still training (or was interrupted) when this checkpoint was shipped. */
    finished: boolean;
    /** Epochs completed when the shipped checkpoint was written (from its state.json). */
    checkpointEpoch: number | null;
  };
  git: unknown;
  config: RunConfig;
  shippedAt: string;
  notes?: string;
}

/**
 * Write checkpoints/<family>/ from a run's checkpoint (`runCheckpointDir`: checkpoints/runs/<id>,
 * its best/, or any folder model_dir.ts resolves) with `metrics` in the card. Returns the card.
 */
export async function shipCheckpoint(
  runCheckpointDir: string,
  family: string,
  metrics: Record<string, unknown>,
  opts: ShipOptions = {},
): Promise<ModelCard> {
  const info = familyInfo(family);
  const where = await locateModel(runCheckpointDir);
  const config = await readRunConfig(where.configPath);
  if (config.task !== info.task) {
    throw new InputError(
      `checkpoint trains task ${config.task}, family ${family} is ${info.task}`,
      where.weightsDir,
    );
  }
  const runJsonPath = join(where.configPath, "..", "run.json");
  const run: Record<string, unknown> = await Deno.readTextFile(runJsonPath).then(
    JSON.parse,
    () => ({}),
  );
  const float16 = opts.float16 ?? true;
  const { json, weights } = await encodeWeights(where.weightsDir, float16);
  const dest = join(opts.root ?? SHIPPED_ROOT, family);

  // Accuracy of the stored weights: the same images through both. A segmentation model's robust
  // ellipse fit can jump on an ambiguous mask from a tiny change, so the median shift and the MRE
  // of both weight sets say more than the largest shift.
  let shifts: number[] = [];
  let mrePx: ModelCard["weights"]["mrePx"] = null;
  const verify = opts.verifyImages ?? [];
  const original = await Predictor.fromDir(where.weightsDir, config, { calibrate: false });
  const tmp = await Deno.makeTempDir({ prefix: "ship-" });
  try {
    await Deno.writeTextFile(join(tmp, "model.json"), JSON.stringify(json));
    await Deno.writeFile(join(tmp, "weights.bin"), weights);
    const shipped = await Predictor.fromDir(tmp, config, { calibrate: false });
    try {
      if (verify.length) {
        const [a, b] = [await original.predict(verify), await shipped.predict(verify)];
        shifts = a.map((p, i) =>
          Math.max(...p.landmarks.map((q, k) => dist(q, b[i].landmarks[k])))
        );
        const labelled = verify.flatMap((v, i) => (v.landmarks ? [[i, v.landmarks] as const] : []));
        if (labelled.length) {
          const mre = (preds: typeof a) =>
            labelled.reduce(
              (sum, [i, t]) =>
                sum + preds[i].landmarks.reduce((s2, q, k) => s2 + dist(q, t[k]), 0) / 4,
              0,
            ) /
            labelled.length;
          mrePx = { float32: mre(a), shipped: mre(b) };
        }
      }
    } finally {
      shipped.dispose();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const params = original.countParams();
  original.dispose();

  const card: ModelCard = {
    family,
    description: info.description,
    model: config.model.name,
    params,
    inputSize: config.inputSize,
    channels: config.channels,
    task: config.task,
    weights: {
      float16,
      bytes: weights.byteLength,
      medianShiftPx: shifts.length ? quantile(shifts, 0.5) : null,
      maxLandmarkShiftPx: shifts.length ? Math.max(...shifts) : null,
      mrePx,
      verifiedImages: verify.length,
    },
    source: { runId: (run.runId as string) ?? null, checkpoint: projectRelative(where.weightsDir) },
    data: run.data
      ? {
        ...(run.data as Record<string, unknown>),
        dir: projectRelative(String((run.data as { dir?: string }).dir ?? "")),
      }
      : null,
    metrics,
    training: {
      finished: typeof run.endedAt === "string" && run.interrupted !== true,
      checkpointEpoch: await readCheckpointState(where.weightsDir).then(
        (st) => ((st as { history?: unknown[] }).history?.length ?? null),
        () => null,
      ),
      wallClockSec: (run.wallClockSec as number) ?? null,
      epochsDone: (run.epochsDone as number) ?? null,
      bestEpoch: (run.bestEpoch as number) ?? null,
      backend: run.backend ?? null,
    },
    git: run.git ?? null,
    config,
    shippedAt: new Date().toISOString(),
    ...(opts.notes ? { notes: opts.notes } : {}),
  };
  const files: [string, string | Uint8Array][] = [
    ["model.json", JSON.stringify(json)],
    ["weights.bin", weights],
    ["config.json", JSON.stringify(config, null, 2) + "\n"],
    ["card.json", JSON.stringify(card, null, 2) + "\n"],
    ["model_card.md", modelCardMarkdown(card)],
  ];
  const bytes = files.reduce(
    (n, [, d]) =>
      n + (typeof d === "string" ? new TextEncoder().encode(d).byteLength : d.byteLength),
    0,
  );
  if (bytes > MAX_SHIPPED_BYTES) {
    throw new InputError(
      `shipped folder would be ${(bytes / 2 ** 20).toFixed(1)} MiB (limit 15 MiB)`,
      dest,
    );
  }
  await writeDirAtomic(dest, async (tmpDir) => {
    for (const [name, data] of files) {
      if (typeof data === "string") await Deno.writeTextFile(join(tmpDir, name), data);
      else await Deno.writeFile(join(tmpDir, name), data);
    }
  });
  return card;
}

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (v === null || v === undefined) return "–";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * The card's "Use" section. A family with a second stage gets `--no-refine`: `predict` chains the
 * shipped `<family>-fine` behind a bare `--model <family>` (chooseRefine), and the card is about
 * this model alone.
 */
function useLines(family: string): string[] {
  const io = "--input <image or folder> --out predictions.csv";
  const first = FAMILIES[family]?.firstStage;
  if (first) return ["```", `deno task predict --model ${first} --refine ${family} ${io}`, "```"];
  if (FAMILIES[`${family}-fine`]?.firstStage !== family) {
    return ["```", `deno task predict --model ${family} ${io}`, "```"];
  }
  return [
    "```",
    `deno task predict --model ${family} --no-refine ${io}`,
    "```",
    "",
    `This model alone. Without \`--no-refine\`, \`predict\` puts the shipped \`${family}-fine\` ` +
    "behind it as a second stage when one is committed.",
  ];
}

export function modelCardMarkdown(c: ModelCard): string {
  const data = (c.data ?? {}) as Record<string, unknown>;
  const split = (data.split ?? {}) as Record<string, unknown>;
  const backend = c.training.backend as { name?: string; threads?: number } | null;
  return [
    `# Model card: ${c.family}`,
    "",
    `${c.description}. Registry model \`${c.model}\`, ${
      c.params.toLocaleString("en")
    } parameters, ` +
    `input ${c.inputSize}×${c.inputSize}×${c.channels}, task \`${c.task}\`.`,
    "",
    "## Use",
    "",
    ...useLines(c.family),
    "",
    "## Data",
    "",
    `- folder: ${fmt(data.dir)} (${fmt(data.kind)}), ${fmt(data.images)} images`,
    `- split: ${fmt(split.kind)}, seed ${fmt(split.seed)}; ${fmt(split.train)} train / ${
      fmt(split.val)
    } validation, grouped by pregnancy`,
    "",
    "## Validation metrics",
    "",
    "The float32 checkpoint's scores (the weights before float16 storage; the shipped weights' " +
    "MRE is under Weights).",
    "",
    "| metric | value |",
    "|---|---:|",
    ...Object.entries(c.metrics).map(([k, v]) => `| ${k} | ${fmt(v)} |`),
    "",
    "## Training",
    "",
    `- config \`${c.config.name}\`: ${c.config.epochs} epochs planned; the shipped weights are the ` +
    `\`best\` checkpoint, written after epoch ${fmt(c.training.checkpointEpoch)}` +
    (c.training.finished
      ? ` (run finished: ${fmt(c.training.epochsDone)} epochs, best epoch ${
        fmt(c.training.bestEpoch)
      }); `
      : " (the run was still training when this model was shipped); ") +
    `batch ${c.config.batchSize}, lr ${c.config.optimizer.lr}, schedule ${c.config.schedule.kind}` +
    (c.config.ema?.decay
      ? `; weights are the exponential moving average (decay ${c.config.ema.decay}) the run validated`
      : ""),
    `- wall clock: ${
      c.training.wallClockSec !== null ? (c.training.wallClockSec / 60).toFixed(1) + " min" : "–"
    } ` +
    `on ${backend?.name ?? "?"} (${backend?.threads ?? "?"} threads)`,
    `- source run: ${fmt(c.source.runId)}; git ${
      fmt((c.git as { commit?: string } | null)?.commit)
    }`,
    "",
    "## Weights",
    "",
    `- ${
      c.weights.float16
        ? "float16 storage for kernels ≥ 1024 values, float32 for the rest"
        : "float32"
    }; ` +
    `weights.bin ${(c.weights.bytes / 2 ** 20).toFixed(2)} MiB`,
    `- landmark shift vs the float32 checkpoint over ${c.weights.verifiedImages} images: ${
      c.weights.maxLandmarkShiftPx === null
        ? "not measured"
        : `median ${c.weights.medianShiftPx!.toFixed(3)} px, largest ${
          c.weights.maxLandmarkShiftPx.toFixed(3)
        } px`
    }`,
    ...(c.weights.mrePx
      ? [
        `- MRE over those images: float32 ${c.weights.mrePx.float32.toFixed(3)} px, shipped ` +
        `${c.weights.mrePx.shipped.toFixed(3)} px`,
      ]
      : []),
    ...(c.notes ? ["", "## Notes", "", c.notes] : []),
    "",
    `Shipped ${c.shippedAt}.`,
    "",
  ].join("\n");
}

/**
 * `deno run -A lib/inference/ship.ts <checkpoint> <family>`: score the checkpoint on its run's
 * validation split (the comparison's metrics), verify float16 on all of those images, and write
 * checkpoints/<family>/.
 */
async function shipFromCommandLine(args: string[]): Promise<void> {
  const [spec, family] = args;
  if (!spec || !family) {
    throw new InputError("usage: deno run -A lib/inference/ship.ts <checkpoint dir> <family>");
  }
  const { initBackend, formatBackendReport } = await import("../backend/mod.ts");
  const { confidenceStudy, metricsOf, scorePredictor, validationSet } = await import(
    "./compare.ts"
  );
  console.error(formatBackendReport(await initBackend()));
  const where = await locateModel(spec);
  const config = await readRunConfig(where.configPath);
  const val = await validationSet(config);
  // A second stage is scored, and its float16 copy verified, behind the shipped first stage.
  const firstStage = FAMILIES[family]?.firstStage;
  const coarse = firstStage ? await Predictor.load(firstStage) : undefined;
  const fine = await Predictor.fromDir(where.weightsDir, config, { calibrate: false });
  const predictor: ImagePredictor = coarse ? new CoarseToFine(coarse, fine) : fine;
  const scored = await scorePredictor(predictor, val.samples, val.records, config.seed);
  const study = await confidenceStudy(predictor, val.samples);
  const run = await Deno.readTextFile(join(where.configPath, "..", "run.json")).then(
    JSON.parse,
    () => undefined,
  );
  const { family: _f, model: _m, ...metrics } = metricsOf(
    family,
    config,
    scored.evaluation,
    scored.msPerImage,
    predictor.countParams(),
    run,
    study,
  );
  const priors = coarse ? await coarse.predict(val.samples) : undefined;
  predictor.dispose();
  const verifyImages = val.samples.map((s, i) => ({
    id: s.id,
    image: s.image,
    landmarks: s.landmarks,
    ...(priors ? { prior: priors[i].landmarks } : {}),
  }));
  const hadCalibration = await exists(join(SHIPPED_ROOT, family, CALIBRATION_FILE));
  const card = await shipCheckpoint(spec, family, metrics, {
    verifyImages,
    notes: "Metrics: lib/inference/compare.ts scorePredictor on the run's validation split " +
      "(original pixels); tta_auroc: AUROC of error > 2 mm against the TTA confidence (predict's default)." +
      (firstStage
        ? ` Scored as the second stage behind checkpoints/${firstStage}/, which places each ` +
          "window (coarse-to-fine); params and ms_per_image count both stages. The run's own " +
          "validation metrics used windows around the labels and are optimistic."
        : ""),
  });
  console.log(modelCardMarkdown(card));
  if (hadCalibration) {
    const refine = firstStage ? ` --model ${firstStage} --refine ${family}` : ` --model ${family}`;
    console.error(
      `note: the folder it replaced had a direction calibration; this one has none until ` +
        `\`deno task calibrate${refine}\` fits one for these weights`,
    );
  }
}

if (import.meta.main) {
  try {
    await shipFromCommandLine(Deno.args);
  } catch (err) {
    if (err instanceof InputError) {
      console.error(`error: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
