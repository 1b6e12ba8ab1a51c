/**
 * Max and average pooling in NHWC, keyed by geometry. Average pooling excludes padding from the
 * count, as tfjs does.
 *
 * The max-pool gradient: oneDNN's backward pass routes each gradient through the workspace its
 * forward-training pass records (where each window's maximum was), but tfjs's MaxPoolGrad is given
 * only the input. So `maxGrad` runs the forward again, with a workspace, then the backward: two
 * vectorised passes (4–7 ms for the U-Net stem), against a JS search over every window (≈ 185 ms
 * of a 3.7-s `unet-fine/cpu` step at batch 16 and 256 px, before the buffer-pool fix). Both keep
 * the first maximum of a window in row-major order, the tie rule of tfjs's cpu kernel
 * (tests/backend/kernels.test.ts checks it on windows of zeros, and on a recycled dx).
 */
import type * as tf from "@tensorflow/tfjs";
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

interface Geometry {
  src: Uint8Array;
  dst: Uint8Array;
  /** strides, kernel, dilation, left and right padding: the descriptors' trailing arguments. */
  window: [BigInt64Array, BigInt64Array, BigInt64Array, BigInt64Array, BigInt64Array];
}

/** `maxGrad`'s two primitives and the dst and workspace arrays they share, one set per geometry. */
export interface MaxPoolGrad {
  /** Forward training, bindings [src, dst, workspace]. */
  forward: DnnlPrimitive;
  /** Backward, bindings [diffDst, workspace, diffSrc]. */
  backward: DnnlPrimitive;
  /** Scratch arrays for dst and the workspace (training sees few pool geometries). */
  dst: Float32Array;
  workspace: Float32Array;
}

export class PoolPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly grads = new Map<string, MaxPoolGrad>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  private static key(i: tf.backend_util.Conv2DInfo, max: boolean): string {
    return [
      max,
      i.batchSize,
      i.inHeight,
      i.inWidth,
      i.inChannels,
      i.outHeight,
      i.outWidth,
      i.filterHeight,
      i.filterWidth,
      i.strideHeight,
      i.strideWidth,
      i.padInfo.top,
      i.padInfo.left,
    ].join(",");
  }

  private geometry(i: tf.backend_util.Conv2DInfo): Geometry {
    const padB = (i.outHeight - 1) * i.strideHeight + i.filterHeight - i.inHeight - i.padInfo.top;
    const padR = (i.outWidth - 1) * i.strideWidth + i.filterWidth - i.inWidth - i.padInfo.left;
    return {
      src: memoryDesc(this.lib, [i.batchSize, i.inChannels, i.inHeight, i.inWidth], C.tag.nhwc),
      dst: memoryDesc(this.lib, [i.batchSize, i.outChannels, i.outHeight, i.outWidth], C.tag.nhwc),
      window: [
        i64(i.strideHeight, i.strideWidth),
        i64(i.filterHeight, i.filterWidth),
        i64(0, 0),
        i64(i.padInfo.top, i.padInfo.left),
        i64(padB, padR),
      ],
    };
  }

  private forwardDesc(g: Geometry, prop: number, max: boolean): Uint8Array {
    const desc = new Uint8Array(C.opDescBytes);
    check(
      this.lib.sym.dnnl_pooling_v2_forward_desc_init(
        desc,
        prop,
        max ? C.alg.poolingMax : C.alg.poolingAvgExcludePadding,
        g.src,
        g.dst,
        ...g.window,
      ),
      "pooling_forward_desc_init",
    );
    return desc;
  }

  /** Bindings [src, dst]. */
  forward(info: tf.backend_util.Conv2DInfo, max: boolean): DnnlPrimitive {
    const key = PoolPrimitives.key(info, max);
    let prim = this.cache.get(key);
    if (!prim) {
      const g = this.geometry(info);
      prim = new DnnlPrimitive(this.lib, this.forwardDesc(g, C.prop.forwardInference, max), [
        { arg: C.arg.src, userMd: g.src, output: false },
        { arg: C.arg.dst, userMd: g.dst, output: true },
      ], { attr: this.attr });
      this.cache.set(key, prim);
    }
    return prim;
  }

  /** dx of max pooling: `forward` on [x, dst, workspace], then `backward` on [dy, workspace, dx]. */
  maxGrad(info: tf.backend_util.Conv2DInfo): MaxPoolGrad {
    const key = PoolPrimitives.key(info, true);
    let grad = this.grads.get(key);
    if (!grad) {
      const g = this.geometry(info);
      const forward = new DnnlPrimitive(
        this.lib,
        this.forwardDesc(g, C.prop.forwardTraining, true),
        [
          { arg: C.arg.src, userMd: g.src, output: false },
          { arg: C.arg.dst, userMd: g.dst, output: true },
          { arg: C.arg.workspace, userMd: null, output: true },
        ],
        { attr: this.attr },
      );
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_pooling_v2_backward_desc_init(
          desc,
          C.alg.poolingMax,
          g.src,
          g.dst,
          ...g.window,
        ),
        "pooling_backward_desc_init",
      );
      const backward = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.diffDst, userMd: g.dst, output: false },
        { arg: C.arg.workspace, userMd: null, output: false },
        { arg: C.arg.diffSrc, userMd: g.src, output: true },
      ], { attr: this.attr, hint: forward.pd });
      const wsBytes = forward.bytesOf(C.arg.workspace);
      if (backward.bytesOf(C.arg.workspace) !== wsBytes) {
        throw new Error("oneDNN max-pool forward and backward disagree on the workspace");
      }
      grad = {
        forward,
        backward,
        dst: new Float32Array(info.batchSize * info.outHeight * info.outWidth * info.outChannels),
        workspace: new Float32Array(Math.ceil(wsBytes / 4)),
      };
      this.grads.set(key, grad);
    }
    return grad;
  }
}
