/**
 * Checkpoints in the standard tfjs layers format plus a training sidecar:
 *
 *   <dir>/model.json      topology + weightsManifest (loadable with tf.loadLayersModel)
 *   <dir>/weights.bin     all weights (trainable and BatchNorm statistics), float32
 *   <dir>/optimizer.bin   AdamW moments m then v, one block per trainable variable, float32
 *   <dir>/state.json      everything else needed to resume exactly (trainer's own JSON)
 *   <dir>/training_weights.bin   only with a weight average (ema.ts): the raw training weights,
 *                         float32 in `model.weights` order; weights.bin then holds the average,
 *                         so whatever loads the model gets the weights that were validated
 *
 * The directory is replaced atomically (lib/core/fs.ts writeDirAtomic), so an interrupt leaves the
 * previous checkpoint or the new one, never a mixture.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import { atomicLeftovers, exists, writeDirAtomic } from "../core/fs.ts";
import type { AdamW } from "./adamw.ts";
import { setWeightValues, type WeightEma, weightValues } from "./ema.ts";

export const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";
const OPTIMIZER_BIN = "optimizer.bin";
const STATE_JSON = "state.json";
const TRAINING_WEIGHTS_BIN = "training_weights.bin";

function toBytes(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** The files of a tfjs layers-model save, as tf.io's file handlers write them. */
async function writeModelFiles(dir: string, model: tf.LayersModel): Promise<void> {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
    };
    const weights = toBytes(artifacts.weightData ?? new ArrayBuffer(0));
    await Deno.writeTextFile(join(dir, MODEL_JSON), JSON.stringify(modelJson));
    await Deno.writeFile(join(dir, WEIGHTS_BIN), weights);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    };
  }));
}

/**
 * Write a whole checkpoint directory atomically. `state` must be JSON-serialisable. With `ema`,
 * the model files hold the average and training_weights.bin the weights being trained.
 */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
  state: unknown,
  ema?: WeightEma,
): Promise<void> {
  const opt = await optimizer.getState();
  await writeDirAtomic(dir, async (tmp) => {
    if (ema) {
      await Deno.writeFile(join(tmp, TRAINING_WEIGHTS_BIN), packArrays(weightValues(model)));
      await ema.withAverage(() => writeModelFiles(tmp, model));
    } else {
      await writeModelFiles(tmp, model);
    }
    await Deno.writeFile(join(tmp, OPTIMIZER_BIN), packArrays([...opt.m, ...opt.v]));
    const sidecar = { optimizerStep: opt.step, emaUpdates: ema?.updates, state };
    await Deno.writeTextFile(join(tmp, STATE_JSON), JSON.stringify(sidecar, null, 1) + "\n");
  });
}

function packArrays(arrays: Float32Array[]): Uint8Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return new Uint8Array(out.buffer);
}

/** Split a float32 file into arrays of the given sizes; the file must fit them exactly. */
function unpackArrays(
  bytes: Uint8Array,
  sizes: number[],
  file: string,
  what: string,
): Float32Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 4) {
    throw new InputError(`${what} does not fit the model`, file, undefined, {
      bytes: bytes.byteLength,
      expected: total * 4,
    });
  }
  const all = new Float32Array(bytes.slice().buffer);
  let o = 0;
  return sizes.map((n) => all.slice(o, o += n));
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function readModelJson(dir: string): Promise<ModelJson> {
  const file = join(dir, MODEL_JSON);
  try {
    return JSON.parse(await Deno.readTextFile(file));
  } catch (err) {
    throw new InputError(
      `cannot read checkpoint: ${err instanceof Error ? err.message : err}`,
      file,
    );
  }
}

async function readWeights(
  dir: string,
  json: ModelJson,
): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(dir, p))),
  );
  return { specs, data: tf.io.CompositeArrayBuffer.join(parts.map((p) => p.slice().buffer)) };
}

/**
 * Load a checkpoint's weights into an already-built model of the same architecture. Weights are
 * matched by position (tfjs renames layers per process, so names differ between runs) and checked
 * by shape.
 */
export async function loadWeightsInto(dir: string, model: tf.LayersModel): Promise<void> {
  const json = await readModelJson(dir);
  const { specs, data } = await readWeights(dir, json);
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new InputError(
      `checkpoint has ${specs.length} weight tensors, the model ${weights.length}`,
      join(dir, MODEL_JSON),
    );
  }
  const named = tf.io.decodeWeights(data, specs);
  const tensors = specs.map((s) => named[s.name]);
  try {
    weights.forEach((w, i) => {
      const a = w.shape, b = tensors[i].shape;
      if (a.length !== b.length || a.some((d, j) => d !== b[j])) {
        throw new InputError(
          `checkpoint weight ${i} (${specs[i].name}) has shape [${b}], model expects [${a}]`,
          join(dir, MODEL_JSON),
        );
      }
    });
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Restore model weights, optimiser state and, with `ema`, the weight average; returns the
 * trainer's sidecar `state`. A checkpoint with an average needs `ema` and one without refuses it,
 * so a resumed run cannot silently switch averaging on or off.
 */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
  ema?: WeightEma,
): Promise<unknown> {
  await loadWeightsInto(dir, model);
  const sidecar = JSON.parse(await Deno.readTextFile(join(dir, STATE_JSON)));
  const hasAverage = typeof sidecar.emaUpdates === "number";
  if (hasAverage !== Boolean(ema)) {
    throw new InputError(
      hasAverage
        ? "checkpoint holds a weight average but the config has ema off"
        : "checkpoint has no weight average but the config has ema on",
      dir,
    );
  }
  if (ema) {
    const rawFile = join(dir, TRAINING_WEIGHTS_BIN);
    const average = weightValues(model);
    const sizes = model.weights.map((w) => w.read().size);
    setWeightValues(
      model,
      unpackArrays(await Deno.readFile(rawFile), sizes, rawFile, "training weights"),
    );
    ema.setState({ updates: sidecar.emaUpdates, shadow: average });
  }
  const sizes = optimizer.variables.map((v) => v.size);
  const optFile = join(dir, OPTIMIZER_BIN);
  const moments = unpackArrays(
    await Deno.readFile(optFile),
    [...sizes, ...sizes],
    optFile,
    "optimiser state",
  );
  optimizer.setState({
    step: sidecar.optimizerStep,
    m: moments.slice(0, sizes.length),
    v: moments.slice(sizes.length),
  });
  return sidecar.state;
}

/**
 * Puts a checkpoint folder back after a process died inside writeDirAtomic, between moving the old
 * folder aside and renaming the new one into place: both lie beside `dir` as `<name>.<pid>.<n>.tmp`.
 * A copy holding state.json is complete (it is written last); the one with the most steps wins.
 * The other leftovers (older or half-written copies) are removed. Returns the folder it came from,
 * or undefined when `dir` is there or nothing complete is left.
 */
export async function recoverCheckpoint(dir: string): Promise<string | undefined> {
  let from: string | undefined;
  if (!await exists(join(dir, STATE_JSON))) {
    let best: { path: string; step: number } | undefined;
    for (const path of await atomicLeftovers(dir)) {
      const state = await Deno.readTextFile(join(path, STATE_JSON)).then(JSON.parse, () => null);
      const step = state?.state?.globalStep;
      if (typeof step === "number" && (!best || step > best.step)) best = { path, step };
    }
    if (best) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.rename(best.path, dir);
      from = best.path;
    }
  }
  await discardLeftovers(dir);
  return from;
}

/** Removes what interrupted saves left beside a checkpoint folder (see recoverCheckpoint). */
async function discardLeftovers(dir: string): Promise<void> {
  for (const path of await atomicLeftovers(dir)) {
    await Deno.remove(path, { recursive: true }).catch(() => {});
  }
}

/** Read only the sidecar (e.g. to find the epoch or config of a run before building its model). */
export async function readCheckpointState(dir: string): Promise<unknown> {
  const file = join(dir, STATE_JSON);
  try {
    return JSON.parse(await Deno.readTextFile(file)).state;
  } catch (err) {
    throw new InputError(
      `cannot read checkpoint state: ${err instanceof Error ? err.message : err}`,
      file,
    );
  }
}

/**
 * Load a checkpoint as a standalone model (for prediction). Custom layers used by the model must
 * be registered (importing lib/models does that).
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const json = await readModelJson(dir);
  const { specs, data } = await readWeights(dir, json);
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: data,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
  }));
}
