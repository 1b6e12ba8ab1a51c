/**
 * Convolution primitives (forward, backward data, backward weights; regular and depthwise) keyed
 * by geometry. tfjs layouts map onto oneDNN's plain tags without copies: activations NHWC, conv
 * filters HWIO, depthwise filters [H, W, C, M] as grouped weights (g = C, o = M, i = 1) "hwigo".
 * Activations are NHWC for oneDNN too; filters other than 1×1 are created with format `any`, so
 * oneDNN picks its blocked AVX-512 filter layout and DnnlPrimitive reorders the (small) filter
 * around each call. Measured on this machine (1 thread): with plain HWIO filters as well, oneDNN
 * ran im2col+GEMM (8×128×128×16, 3×3: 27–55 GFLOP/s); blocked activations and filters ran its
 * direct conv at 89–93 GFLOP/s plus two activation reorders per call; NHWC activations with
 * blocked filters run brgemm kernels without activation reorders (U-Net inference, all convs:
 * 46.6 ms + 8.6 ms of reorders → 37.2 ms).
 */
import type * as tf from "@tensorflow/tfjs";
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { type ArgBinding, DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

export type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Fused activations oneDNN applies as a post-op; others fall back to tfjs's kernel. */
export const POST_OPS: Record<string, { alg: number; alpha: number; beta: number } | null> = {
  linear: null,
  relu: { alg: 31, alpha: 0, beta: 0 },
  relu6: { alg: 16, alpha: 0, beta: 6 },
  elu: { alg: 63, alpha: 1, beta: 0 },
  sigmoid: { alg: 175, alpha: 0, beta: 0 },
};

interface Geometry {
  src: Uint8Array;
  /** The filter as the caller stores it. */
  weights: Uint8Array;
  /** The filter as the primitive is created with: format `any` except for 1×1 convs. */
  anyWeights: Uint8Array;
  dst: Uint8Array;
  bias: Uint8Array;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function i64(...v: number[]): BigInt64Array {
  return BigInt64Array.from(v.map(BigInt));
}

export class ConvPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly plainAttr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.plainAttr = primitiveAttr(lib);
  }

  private geometry(info: Conv2DInfo, depthwise: boolean): Geometry {
    const lib = this.lib;
    const { batchSize: n, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } =
      info;
    const weights = depthwise
      ? memoryDesc(lib, [ci, co / ci, 1, kh, kw], C.tag.hwigo)
      : memoryDesc(lib, [co, ci, kh, kw], C.tag.hwio);
    const p = info.padInfo;
    // oneDNN wants the right padding that makes (in + pl + pr − extent) / s + 1 = out exactly.
    const padB = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight -
      info.inHeight - p.top;
    const padR = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth -
      p.left;
    const srcDims = [n, ci, info.inHeight, info.inWidth];
    const dstDims = [n, co, info.outHeight, info.outWidth];
    const wDims = depthwise ? [ci, co / ci, 1, kh, kw] : [co, ci, kh, kw];
    // Activations stay NHWC: with the weights' layout left to oneDNN it runs brgemm kernels on
    // NHWC directly (forward brgconv, backward jit), where blocked activations had cost a reorder
    // on each side of every conv (U-Net: inference 81 → 69 ms, training step 391 → 350 ms).
    // A 1×1 conv's weights stay HWIO too: a plain GEMM, as fast and without a weight reorder.
    const pointwise = !depthwise && kh === 1 && kw === 1;
    return {
      src: memoryDesc(lib, srcDims, C.tag.nhwc),
      weights,
      anyWeights: memoryDesc(lib, wDims, pointwise ? C.tag.hwio : C.tag.any),
      dst: memoryDesc(lib, dstDims, C.tag.nhwc),
      bias: memoryDesc(lib, [co], C.tag.a),
      strides: i64(info.strideHeight, info.strideWidth),
      dilates: i64(info.dilationHeight - 1, info.dilationWidth - 1),
      padL: i64(p.top, p.left),
      padR: i64(padB, padR),
    };
  }

  private key(kind: string, info: Conv2DInfo, depthwise: boolean, extra = ""): string {
    const i = info;
    return [
      kind,
      depthwise ? "dw" : "c",
      i.batchSize,
      i.inHeight,
      i.inWidth,
      i.inChannels,
      i.outHeight,
      i.outWidth,
      i.outChannels,
      i.filterHeight,
      i.filterWidth,
      i.strideHeight,
      i.strideWidth,
      i.dilationHeight,
      i.dilationWidth,
      i.padInfo.top,
      i.padInfo.left,
      extra,
    ].join(",");
  }

  private forwardDesc(g: Geometry, withBias: boolean): Uint8Array {
    const desc = new Uint8Array(C.opDescBytes);
    check(
      this.lib.sym.dnnl_dilated_convolution_forward_desc_init(
        desc,
        C.prop.forwardTraining,
        C.alg.convDirect,
        g.src,
        g.anyWeights,
        withBias ? g.bias : null,
        g.dst,
        g.strides,
        g.dilates,
        g.padL,
        g.padR,
      ),
      "convolution_forward_desc_init",
    );
    return desc;
  }

  private forwardPd(info: Conv2DInfo, depthwise: boolean): DnnlPrimitive {
    return this.forward(info, depthwise, false, "linear");
  }

  /** y = act(conv(x, w) + b): bindings [src, weights, (bias), dst]. */
  forward(
    info: Conv2DInfo,
    depthwise: boolean,
    withBias: boolean,
    activation: string,
  ): DnnlPrimitive {
    const key = this.key("fwd", info, depthwise, `${withBias}:${activation}`);
    let prim = this.cache.get(key);
    if (!prim) {
      const g = this.geometry(info, depthwise);
      const post = POST_OPS[activation];
      const attr = post ? primitiveAttr(this.lib, post) : this.plainAttr;
      const bindings: ArgBinding[] = [
        { arg: C.arg.src, userMd: g.src, output: false },
        { arg: C.arg.weights, userMd: g.weights, output: false },
        ...(withBias ? [{ arg: C.arg.bias, userMd: g.bias, output: false }] : []),
        { arg: C.arg.dst, userMd: g.dst, output: true },
      ];
      prim = new DnnlPrimitive(this.lib, this.forwardDesc(g, withBias), bindings, { attr });
      this.cache.set(key, prim);
    }
    return prim;
  }

  /** dx from dy and w: bindings [diffDst, weights, diffSrc]. */
  backwardData(info: Conv2DInfo, depthwise: boolean): DnnlPrimitive {
    const key = this.key("bwd_data", info, depthwise);
    let prim = this.cache.get(key);
    if (!prim) {
      const g = this.geometry(info, depthwise);
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_dilated_convolution_backward_data_desc_init(
          desc,
          C.alg.convDirect,
          g.src,
          g.anyWeights,
          g.dst,
          g.strides,
          g.dilates,
          g.padL,
          g.padR,
        ),
        "convolution_backward_data_desc_init",
      );
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.diffDst, userMd: g.dst, output: false },
        { arg: C.arg.weights, userMd: g.weights, output: false },
        { arg: C.arg.diffSrc, userMd: g.src, output: true },
      ], { attr: this.plainAttr, hint: this.forwardPd(info, depthwise).pd });
      this.cache.set(key, prim);
    }
    return prim;
  }

  /** dw from x and dy: bindings [src, diffDst, diffWeights]. */
  backwardWeights(info: Conv2DInfo, depthwise: boolean): DnnlPrimitive {
    const key = this.key("bwd_weights", info, depthwise);
    let prim = this.cache.get(key);
    if (!prim) {
      const g = this.geometry(info, depthwise);
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_dilated_convolution_backward_weights_desc_init(
          desc,
          C.alg.convDirect,
          g.src,
          g.anyWeights,
          null,
          g.dst,
          g.strides,
          g.dilates,
          g.padL,
          g.padR,
        ),
        "convolution_backward_weights_desc_init",
      );
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.src, userMd: g.src, output: false },
        { arg: C.arg.diffDst, userMd: g.dst, output: false },
        { arg: C.arg.diffWeights, userMd: g.weights, output: true },
      ], { attr: this.plainAttr, hint: this.forwardPd(info, depthwise).pd });
      this.cache.set(key, prim);
    }
    return prim;
  }
}
