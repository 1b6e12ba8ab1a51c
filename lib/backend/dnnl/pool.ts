/**
 * Max and average pooling forward in NHWC, keyed by geometry. Average pooling excludes padding
 * from the count, as tfjs does. Training does not need oneDNN's workspace: the max-pool gradient
 * (js_kernels.ts) finds the window maxima again.
 */
import type * as tf from "@tensorflow/tfjs";
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

export class PoolPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  /** Bindings [src, dst]. */
  forward(info: tf.backend_util.Conv2DInfo, max: boolean): DnnlPrimitive {
    const i = info;
    const key = [
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
    let prim = this.cache.get(key);
    if (!prim) {
      const src = memoryDesc(
        this.lib,
        [i.batchSize, i.inChannels, i.inHeight, i.inWidth],
        C.tag.nhwc,
      );
      const dst = memoryDesc(
        this.lib,
        [i.batchSize, i.outChannels, i.outHeight, i.outWidth],
        C.tag.nhwc,
      );
      const padB = (i.outHeight - 1) * i.strideHeight + i.filterHeight - i.inHeight - i.padInfo.top;
      const padR = (i.outWidth - 1) * i.strideWidth + i.filterWidth - i.inWidth - i.padInfo.left;
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_pooling_v2_forward_desc_init(
          desc,
          C.prop.forwardInference,
          max ? C.alg.poolingMax : C.alg.poolingAvgExcludePadding,
          src,
          dst,
          i64(i.strideHeight, i.strideWidth),
          i64(i.filterHeight, i.filterWidth),
          i64(0, 0),
          i64(i.padInfo.top, i.padInfo.left),
          i64(padB, padR),
        ),
        "pooling_forward_desc_init",
      );
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.src, userMd: src, output: false },
        { arg: C.arg.dst, userMd: dst, output: true },
      ], { attr: this.attr });
      this.cache.set(key, prim);
    }
    return prim;
  }
}
