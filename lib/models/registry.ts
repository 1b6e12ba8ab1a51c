/**
 * The model registry: every model is reachable by name, either an architecture (full-size
 * defaults of the paper / seed configuration) or a preset (an architecture plus option
 * overrides, e.g. the lean CPU configs). Options given to `createModel` override both.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import {
  type Architecture,
  coordRegression,
  deeplabV3Plus,
  heatmapFcn,
  heatmapScn,
  heatmapUNet,
  multitask,
  type ResolvedOptions,
  unet,
} from "./architectures.ts";
import { PRESETS } from "./presets.ts";
import { BuildContext } from "./blocks.ts";
import type { ModelOptions, OutputInfo } from "./types.ts";

export interface ModelEntry {
  name: string;
  architecture: string;
  description: string;
  /** Overrides of the architecture's defaults. */
  options: Partial<ModelOptions>;
}

const architectures = new Map<string, Architecture>();
const entries = new Map<string, ModelEntry>();

const GLOBAL_DEFAULTS = { inChannels: 1 as const, numLandmarks: 4, seed: 0, dropout: 0 };

export function registerArchitecture(arch: Architecture): void {
  if (architectures.has(arch.name)) {
    throw new Error(`architecture ${arch.name} is already registered`);
  }
  architectures.set(arch.name, arch);
  registerModel({
    name: arch.name,
    architecture: arch.name,
    description: arch.description,
    options: {},
  });
}

export function registerModel(entry: ModelEntry): void {
  if (entries.has(entry.name)) throw new Error(`model ${entry.name} is already registered`);
  if (!architectures.has(entry.architecture)) {
    throw new Error(`model ${entry.name}: unknown architecture ${entry.architecture}`);
  }
  entries.set(entry.name, entry);
}

export function listModels(): ModelEntry[] {
  return [...entries.values()];
}

function lookup(name: string): { entry: ModelEntry; arch: Architecture } {
  const entry = entries.get(name);
  if (!entry) {
    throw new InputError(
      `unknown model; known: ${[...entries.keys()].join(", ")}`,
      undefined,
      undefined,
      name,
    );
  }
  return { entry, arch: architectures.get(entry.architecture)! };
}

/** Every key of ModelOptions; the Record type keeps this list and the interface in step. */
const OPTION_KEYS: Record<keyof ModelOptions, true> = {
  inputSize: true,
  inChannels: true,
  encoder: true,
  encoderDepth: true,
  decoderChannels: true,
  numLandmarks: true,
  outputStride: true,
  dropout: true,
  outputDropout: true,
  dropConnect: true,
  seed: true,
  upsampling: true,
  learnSigma: true,
  scChannels: true,
  landmarkHead: true,
};

/**
 * Defaults ← preset ← caller, validated. An unknown key is refused rather than ignored, so a typo
 * in a config or `--set model.options.…` cannot silently train the default model.
 */
export function resolveModelOptions(
  name: string,
  opts: Partial<ModelOptions> = {},
): ResolvedOptions {
  const { entry, arch } = lookup(name);
  const unknown = Object.keys(opts).filter((k) => !(k in OPTION_KEYS));
  if (unknown.length > 0) {
    throw new InputError(
      `${name}: unknown model option(s) ${unknown.join(", ")}; known: ${
        Object.keys(OPTION_KEYS).join(", ")
      }`,
      undefined,
      undefined,
      unknown.join(", "),
    );
  }
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const resolved = {
    ...GLOBAL_DEFAULTS,
    ...arch.defaults,
    ...entry.options,
    ...defined,
  } as ResolvedOptions;
  const s = resolved.inputSize;
  if (!(Number.isInteger(s) && s >= 32 && s <= 2048)) {
    throw new InputError(
      `${name}: inputSize must be an integer in 32..2048`,
      undefined,
      undefined,
      s,
    );
  }
  if (resolved.inChannels !== 1 && resolved.inChannels !== 3) {
    throw new InputError(
      `${name}: inChannels must be 1 or 3`,
      undefined,
      undefined,
      resolved.inChannels,
    );
  }
  // Known but not this architecture's: refused too, or a learned σ would silently stay fixed.
  if (
    resolved.learnSigma !== undefined && !arch.outputs(resolved).some((o) => o.kind === "sigma")
  ) {
    throw new InputError(
      `${name}: learnSigma applies to the heatmap architectures (heatmap-unet, heatmap-fcn, ` +
        `heatmap-scn), not ${arch.name}`,
      undefined,
      undefined,
      resolved.learnSigma,
    );
  }
  if (!(Number.isInteger(resolved.numLandmarks) && resolved.numLandmarks >= 1)) {
    throw new InputError(
      `${name}: numLandmarks must be a positive integer`,
      undefined,
      undefined,
      resolved.numLandmarks,
    );
  }
  if (!(resolved.dropout >= 0 && resolved.dropout < 1)) {
    throw new InputError(
      `${name}: dropout must be in [0, 1)`,
      undefined,
      undefined,
      resolved.dropout,
    );
  }
  if (
    resolved.outputDropout !== undefined &&
    !(resolved.outputDropout >= 0 && resolved.outputDropout < 1)
  ) {
    throw new InputError(
      `${name}: outputDropout must be in [0, 1)`,
      undefined,
      undefined,
      resolved.outputDropout,
    );
  }
  if (typeof resolved.encoder !== "string") {
    throw new InputError(`${name}: encoder is required`, undefined, undefined, resolved.encoder);
  }
  return resolved;
}

export interface ModelInfo {
  name: string;
  architecture: string;
  options: ResolvedOptions;
  outputs: OutputInfo[];
}

/** What `createModel(name, opts)` would build, without building it. */
export function describeModel(name: string, opts: Partial<ModelOptions> = {}): ModelInfo {
  const { entry, arch } = lookup(name);
  const options = resolveModelOptions(name, opts);
  return { name, architecture: entry.architecture, options, outputs: arch.outputs(options) };
}

/**
 * Build a model by registry name. Input `image` `[B, S, S, C]`; outputs named and shaped as
 * `describeModel` says (one output, or two for `multitask` and for a heatmap model with
 * `learnSigma`). Weights are seeded by `opts.seed`.
 */
export function createModel(name: string, opts: Partial<ModelOptions> = {}): tf.LayersModel {
  const { arch } = lookup(name);
  const options = resolveModelOptions(name, opts);
  const expected = arch.outputs(options);
  const input = tf.input({
    name: "image",
    shape: [options.inputSize, options.inputSize, options.inChannels],
  });
  const outputs = arch.build(new BuildContext(options.seed), input, options);
  outputs.forEach((out, i) => {
    const shape = out.shape.slice(1);
    if (JSON.stringify(shape) !== JSON.stringify(expected[i].shape)) {
      throw new Error(
        `${name}: output ${expected[i].name} has shape ${shape}, expected ${expected[i].shape}`,
      );
    }
  });
  return tf.model({ name, inputs: input, outputs: outputs.length === 1 ? outputs[0] : outputs });
}

const ARCHITECTURES = [
  coordRegression,
  heatmapUNet,
  heatmapFcn,
  heatmapScn,
  unet,
  deeplabV3Plus,
  multitask,
];
for (const arch of ARCHITECTURES) registerArchitecture(arch);
for (const preset of PRESETS) registerModel(preset);
