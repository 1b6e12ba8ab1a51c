/**
 * Custom layers the model zoo needs beyond tfjs-layers' built-ins. Each one is registered with
 * `tf.serialization.registerClass` (importing this module is enough), so a saved model.json that
 * mentions them loads again.
 */
import * as tf from "@tensorflow/tfjs";
import type { Initializer } from "@tensorflow/tfjs-layers/dist/initializers";
import type { LayerArgs } from "@tensorflow/tfjs-layers/dist/engine/topology";
import { registerDilatedConvGradients } from "../backend/gradients.ts";
import { swish } from "../backend/swish.ts";
import { batchNormTraining } from "../backend/batch_norm_training.ts";
import type {
  BatchNormalization as TfjsBatchNormalization,
  BatchNormalizationLayerArgs,
} from "@tensorflow/tfjs-layers/dist/layers/normalization";
import { Rng } from "../core/rng.ts";

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function singleShape(shape: Shape | Shape[]): Shape {
  return Array.isArray(shape[0]) ? (shape as Shape[])[0] : (shape as Shape);
}

export interface SeededDropArgs extends LayerArgs {
  /** Probability of zeroing a unit of the noise shape (a whole sample's branch, or one element). */
  rate: number;
  seed?: number;
}

/**
 * Dropout whose masks come from an `Rng` stream: a fresh mask on every training call, the same
 * sequence for the same seed. (tf.layers.dropout with a seed reuses one mask forever; without a
 * seed it draws from Math.random.) Survivors are rescaled by 1/(1-rate); identity at inference.
 * Subclasses say which units share one draw.
 */
abstract class SeededDrop extends tf.layers.Layer {
  readonly rate: number;
  readonly seed: number;
  private readonly rng: Rng;

  constructor(args: SeededDropArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`${this.getClassName()} rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed ?? 0;
    this.rng = new Rng(this.seed);
  }

  protected abstract noiseShape(x: tf.Tensor): number[];

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    if (!kwargs["training"] || this.rate === 0) return tf.clone(x);
    const keep = 1 - this.rate;
    const noiseSeed = this.rng.nextUint32();
    return tf.tidy(() => {
      const u = tf.randomUniform(this.noiseShape(x), 0, 1, "float32", noiseSeed);
      const mask = tf.floor(tf.add(u, keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * Stochastic depth ("drop connect" in the EfficientNet code): during training, zero the branch of
 * each sample with probability `rate`.
 */
export class DropConnect extends SeededDrop {
  static className = "DropConnect";

  protected noiseShape(x: tf.Tensor): number[] {
    return [x.shape[0], 1, 1, 1];
  }
}

/** Element-wise dropout with seeded masks (see SeededDrop). */
export class SeededDropout extends SeededDrop {
  static className = "SeededDropout";

  protected noiseShape(x: tf.Tensor): number[] {
    return x.shape;
  }
}

/**
 * Swish / SiLU activation (EfficientNet's), as a layer with a fused gradient: elementwise kernels
 * dominate EfficientNet training time on CPU, and tfjs' own swish records three forward ops. One
 * kernel each way on cpu-dnnl (lib/backend/swish.ts).
 */
export class Swish extends tf.layers.Layer {
  static className = "Swish";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return swish(single(inputs));
  }
}

export type ResizeMethod = "bilinear" | "nearest";

export interface ResizeToArgs extends LayerArgs {
  height: number;
  width: number;
  method?: ResizeMethod;
}

/**
 * Resize feature maps to an exact spatial size (not a factor): what lets decoders meet skip
 * features of odd sizes. Corners are aligned, the one mode whose gradient tfjs computes
 * consistently with the forward pass (its resize gradients ignore half-pixel centres).
 */
export class ResizeTo extends tf.layers.Layer {
  static className = "ResizeTo";
  readonly height: number;
  readonly width: number;
  readonly method: ResizeMethod;

  constructor(args: ResizeToArgs) {
    super(args);
    if (
      !(Number.isInteger(args.height) && args.height > 0 && Number.isInteger(args.width) &&
        args.width > 0)
    ) {
      throw new RangeError(
        `ResizeTo needs positive integer sizes, got ${args.height}×${args.width}`,
      );
    }
    this.height = args.height;
    this.width = args.width;
    this.method = args.method ?? "bilinear";
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [s[0], this.height, this.width, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs) as tf.Tensor4D;
    const size: [number, number] = [this.height, this.width];
    if (x.shape[1] === this.height && x.shape[2] === this.width) return tf.clone(x);
    return this.method === "bilinear"
      ? tf.image.resizeBilinear(x, size, true)
      : tf.image.resizeNearestNeighbor(x, size, true);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width, method: this.method };
  }
}

export interface AtrousConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  dilationRate: number;
  useBias?: boolean;
  kernelInitializer?: Initializer;
}

/**
 * Dilated ("atrous") stride-1 convolution with 'same' padding. tf.layers.conv2d goes through
 * `tf.fused.conv2d`, whose gradient refuses dilation > 1 (tfjs 4.22); this layer calls the unfused
 * `tf.conv2d`, whose gradient lib/backend/gradients.ts replaces with a dilation-aware one
 * (registered when this module loads; native backprop kernels on cpu-dnnl and wasm, op-level
 * formulas elsewhere).
 * Weights are named like Conv2D's (`kernel`, `bias`) so converted weights load by name. The
 * initializer is not serialised: a loaded model gets its weights from the weight file.
 */
export class AtrousConv2D extends tf.layers.Layer {
  static className = "AtrousConv2D";
  readonly filters: number;
  readonly kernelSize: number;
  readonly dilationRate: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: AtrousConv2DArgs) {
    super(args);
    if (!(Number.isInteger(args.dilationRate) && args.dilationRate >= 1)) {
      throw new RangeError(
        `AtrousConv2D dilationRate must be an integer ≥ 1, got ${args.dilationRate}`,
      );
    }
    if (!(Number.isInteger(args.kernelSize) && args.kernelSize % 2 === 1)) {
      throw new RangeError(`AtrousConv2D kernelSize must be odd, got ${args.kernelSize}`);
    }
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.dilationRate = args.dilationRate;
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.heNormal({});
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = singleShape(inputShape)[3]!;
    const k = this.kernelSize;
    this.kernel = this.addWeight(
      "kernel",
      [k, k, channels, this.filters],
      "float32",
      this.kernelInitializer,
    );
    if (this.useBias) {
      this.bias = this.addWeight("bias", [this.filters], "float32", tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [s[0], s[1], s[2], this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const r = this.dilationRate;
      const y = tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, 1, "same", "NHWC", [r, r]);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilationRate: this.dilationRate,
      useBias: this.useBias,
    };
  }
}

export interface LandmarkSigmaArgs extends LayerArgs {
  /** One σ per landmark. */
  units: number;
  /** Starting σ, heatmap pixels. */
  initial: number;
}

/**
 * Learnable Gaussian σ per landmark (Payer et al., MedIA 2019): a weight `log_sigma` [K] (a log,
 * so σ stays positive), output as σ = exp(log_sigma) repeated over the batch, [B, K]. The input
 * gives only the batch size. Kept in the model so that the optimiser, the weight average,
 * checkpoints and resume treat it like any other weight; the heatmap task's loss builds its
 * targets from it (lib/heatmap/learnable_sigma.ts).
 */
export class LandmarkSigma extends tf.layers.Layer {
  static className = "LandmarkSigma";
  readonly units: number;
  readonly initial: number;
  private logSigma?: tf.LayerVariable;

  constructor(args: LandmarkSigmaArgs) {
    super(args);
    if (!(Number.isInteger(args.units) && args.units > 0) || !(args.initial > 0)) {
      throw new RangeError(
        `LandmarkSigma needs a positive integer count and σ, got ${args.units}, ${args.initial}`,
      );
    }
    this.units = args.units;
    this.initial = args.initial;
  }

  override build(): void {
    this.logSigma = this.addWeight(
      "log_sigma",
      [this.units],
      "float32",
      tf.initializers.constant({ value: Math.log(this.initial) }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [singleShape(inputShape)[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const batch = single(inputs).shape[0];
    return tf.tidy(() =>
      tf.tile(tf.reshape(tf.exp(this.logSigma!.read()), [1, this.units]), [batch, 1])
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, initial: this.initial };
  }
}

/** What `BatchNorm` reads of tfjs's layer (private in its typings). */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

// tfjs-layers exports only the factory; the class is the one registered under its name.
const TfjsBatchNorm = tf.serialization.SerializationMap.getMap()
  .classNameMap["BatchNormalization"][0] as unknown as typeof TfjsBatchNormalization;

/**
 * tf.layers' batch normalisation, with its training step as one kernel each way where the backend
 * has them (lib/backend/batch_norm_training.ts); everything else (inference, other axes, other
 * backends) is tfjs's own code. Registered under tfjs's class name, so saved models are unchanged
 * and load into this class.
 */
export class BatchNorm extends TfjsBatchNorm {
  static override className = "BatchNormalization";

  constructor(args: BatchNormalizationLayerArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as BatchNormState;
    const x = single(inputs);
    const lastAxis = s.axis === -1 || s.axis === x.rank - 1;
    if (!kwargs["training"] || !lastAxis || !s.center || !s.scale) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const r = batchNormTraining(x, s.gamma.read(), s.beta.read(), s.epsilon);
      if (!r) return super.call(inputs, kwargs);
      // tfjs's moving-average update, verbatim: v ← v − (v − batch)·(1 − momentum).
      for (const [v, batch] of [[s.movingMean, r.mean], [s.movingVariance, r.variance]] as const) {
        tf.tidy(() => {
          v.write(tf.sub(v.read(), tf.mul(tf.sub(v.read(), batch), 1 - s.momentum)));
        });
      }
      return r.y;
    });
  }
}

registerDilatedConvGradients();
tf.serialization.registerClass(DropConnect);
tf.serialization.registerClass(BatchNorm);
tf.serialization.registerClass(Swish);
tf.serialization.registerClass(SeededDropout);
tf.serialization.registerClass(ResizeTo);
tf.serialization.registerClass(AtrousConv2D);
tf.serialization.registerClass(LandmarkSigma);
