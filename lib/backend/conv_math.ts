/**
 * Convolution gradients written with ordinary tfjs ops, so they run on any backend. The wasm
 * backend lacks the filter gradients (and its own input gradient is about 12× slower than a forward
 * conv), and no tfjs backend differentiates dilated convolutions; these fill both gaps.
 *
 * Notation per spatial axis: input length I, filter taps K, stride s, dilation d, leading pad p,
 * output length O; forward y[o] = Σ_k x[o·s + k·d − p] · w[k].
 */
import * as tf from "@tensorflow/tfjs";

export interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

type Shape4 = [number, number, number, number];

function convInfo(
  xShape: Shape4,
  filterShape: Shape4,
  g: ConvGeometry,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    g.strides,
    g.dilations,
    g.pad,
    g.dimRoundingMode,
    depthwise,
  );
}

/** Inserts s−1 zeros between neighbours along H and W: [B,O,O',C] → [B,(O−1)s+1,(O'−1)s'+1,C]. */
function spreadWithZeros(dy: tf.Tensor4D, sH: number, sW: number): tf.Tensor4D {
  if (sH === 1 && sW === 1) return dy;
  const [b, h, w, c] = dy.shape;
  const spread = dy.reshape([b, h, 1, w, 1, c])
    .pad([[0, 0], [0, 0], [0, sH - 1], [0, 0], [0, sW - 1], [0, 0]])
    .reshape([b, h * sH, w * sW, c]);
  return spread.slice([0, 0, 0, 0], [b, (h - 1) * sH + 1, (w - 1) * sW + 1, c]) as tf.Tensor4D;
}

/** Pads (positive) or crops (negative) H and W by the given amounts. */
function padOrCrop(
  t: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  const grow = (n: number) => Math.max(n, 0);
  const padded = t.pad([[0, 0], [grow(top), grow(bottom)], [grow(left), grow(right)], [
    0,
    0,
  ]]) as tf.Tensor4D;
  const [b, h, w, c] = padded.shape;
  const cropT = Math.max(-top, 0), cropB = Math.max(-bottom, 0);
  const cropL = Math.max(-left, 0), cropR = Math.max(-right, 0);
  if (cropT + cropB + cropL + cropR === 0) return padded;
  return padded.slice([0, cropT, cropL, 0], [
    b,
    h - cropT - cropB,
    w - cropL - cropR,
    c,
  ]) as tf.Tensor4D;
}

/**
 * dx[i] = Σ_k dyUp[i + p − k·d] · w[k], with dyUp the zero-spread dy: a stride-1 correlation of
 * dyUp, padded by (K−1)d − p in front and I − 1 + p − (O−1)s behind, with the flipped filter.
 */
function spreadAndPadDy(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const up = spreadWithZeros(dy, info.strideHeight, info.strideWidth);
  const { top, left } = info.padInfo;
  return padOrCrop(
    up,
    (info.filterHeight - 1) * info.dilationHeight - top,
    info.inHeight - 1 + top - (info.outHeight - 1) * info.strideHeight,
    (info.filterWidth - 1) * info.dilationWidth - left,
    info.inWidth - 1 + left - (info.outWidth - 1) * info.strideWidth,
  );
}

export function conv2dBackpropInputOps(
  inputShape: Shape4,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, g, false);
    const flipped = filter.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(spreadAndPadDy(dy, info), flipped, 1, "valid", "NHWC", g.dilations);
  });
}

export function depthwiseBackpropInputOps(
  inputShape: Shape4,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, g, true);
    const [fh, fw, c, m] = filter.shape;
    // Each of the C·M output channels flows back to its own input channel c: a depthwise
    // correlation with multiplier 1 over C·M channels, then a sum over the M copies.
    const flipped = filter.reverse([0, 1]).reshape([fh, fw, c * m, 1]) as tf.Tensor4D;
    const per = tf.depthwiseConv2d(
      spreadAndPadDy(dy, info),
      flipped,
      1,
      "valid",
      "NHWC",
      g.dilations,
    );
    const [b, h, w] = per.shape;
    return per.reshape([b, h, w, c, m]).sum(4) as tf.Tensor4D;
  });
}

/** The input window tap (kh, kw) sees for every output position: [B, OH, OW, C]. */
function tapWindows(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo) {
  const { top, left } = info.padInfo;
  const spanH = (info.filterHeight - 1) * info.dilationHeight +
    (info.outHeight - 1) * info.strideHeight + 1;
  const spanW = (info.filterWidth - 1) * info.dilationWidth +
    (info.outWidth - 1) * info.strideWidth + 1;
  const xp = padOrCrop(x, top, spanH - top - info.inHeight, left, spanW - left - info.inWidth);
  const [b, , , c] = x.shape;
  const windows: tf.Tensor4D[] = [];
  for (let kh = 0; kh < info.filterHeight; kh++) {
    for (let kw = 0; kw < info.filterWidth; kw++) {
      const h0 = kh * info.dilationHeight, w0 = kw * info.dilationWidth;
      windows.push(tf.stridedSlice(
        xp,
        [0, h0, w0, 0],
        [
          b,
          h0 + (info.outHeight - 1) * info.strideHeight + 1,
          w0 + (info.outWidth - 1) * info.strideWidth + 1,
          c,
        ],
        [1, info.strideHeight, info.strideWidth, 1],
      ) as tf.Tensor4D);
    }
  }
  return windows;
}

/** dW[kh,kw] = Σ_{b,oh,ow} window(kh,kw)ᵀ · dy: one [Ci × N]·[N × Co] matMul per tap. */
export function conv2dBackpropFilterOps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4,
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, g, false);
    const [fh, fw, ci, co] = filterShape;
    const dy2 = dy.reshape([-1, co]);
    const taps = tapWindows(x, info).map((win) =>
      tf.matMul(win.reshape([-1, ci]), dy2, true, false)
    );
    return tf.stack(taps).reshape([fh, fw, ci, co]);
  });
}

export function depthwiseBackpropFilterOps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4,
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, g, true);
    const [fh, fw, c, m] = filterShape;
    const [b, oh, ow] = dy.shape;
    const dy5 = dy.reshape([b, oh, ow, c, m]);
    const taps = tapWindows(x, info).map((win) => win.expandDims(4).mul(dy5).sum([0, 1, 2]));
    return tf.stack(taps).reshape([fh, fw, c, m]);
  });
}
