/**
 * Dilated (atrous) convolutions, forward and both gradients, against a float64 loop: tfjs has no
 * reference gradient for dilation > 1 on any backend (its own Conv2D gradient refuses it).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { backendUnderTest, evaluate, randomArray, relativeError, sizeOf } from "./helpers.ts";

interface Geometry {
  stride: number;
  dilation: number;
  pad: "same" | "valid";
  depthwise: boolean;
}

/** y, dL/dx and dL/dw of L = Σ y·g for NHWC x, HWIO (or HW C M depthwise) w. */
function naiveConv(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  g: Float32Array,
  geo: Geometry,
) {
  const info = tf.backend_util.computeConv2DInfo(
    xs as [number, number, number, number],
    ws as [number, number, number, number],
    geo.stride,
    geo.dilation,
    geo.pad,
    undefined,
    geo.depthwise,
  );
  const [B, H, W, Ci] = xs;
  const [KH, KW, , last] = ws;
  const Co = info.outChannels;
  const y = new Float64Array(B * info.outHeight * info.outWidth * Co);
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < info.outHeight; oh++) {
      for (let ow = 0; ow < info.outWidth; ow++) {
        for (let co = 0; co < Co; co++) {
          const o = ((b * info.outHeight + oh) * info.outWidth + ow) * Co + co;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * geo.stride + kh * geo.dilation - info.padInfo.top;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * geo.stride + kw * geo.dilation - info.padInfo.left;
              if (iw < 0 || iw >= W) continue;
              const cis = geo.depthwise
                ? [Math.floor(co / last)]
                : Array.from({ length: Ci }, (_, i) => i);
              for (const ci of cis) {
                const xi = ((b * H + ih) * W + iw) * Ci + ci;
                const wi = geo.depthwise
                  ? ((kh * KW + kw) * Ci + ci) * last + (co % last)
                  : ((kh * KW + kw) * Ci + ci) * Co + co;
                y[o] += x[xi] * w[wi];
                dx[xi] += g[o] * w[wi];
                dw[wi] += g[o] * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { y, dx, dw };
}

const CASES: (Geometry & { xs: number[]; ws: number[] })[] = [
  { xs: [2, 11, 9, 3], ws: [3, 3, 3, 4], stride: 1, dilation: 2, pad: "same", depthwise: false },
  { xs: [1, 13, 13, 2], ws: [3, 3, 2, 3], stride: 1, dilation: 3, pad: "valid", depthwise: false },
  { xs: [2, 10, 10, 4], ws: [3, 3, 4, 1], stride: 1, dilation: 2, pad: "same", depthwise: true },
  { xs: [1, 9, 11, 3], ws: [3, 3, 3, 2], stride: 1, dilation: 2, pad: "valid", depthwise: true },
];

const { name: backend } = await backendUnderTest();

for (const [i, c] of CASES.entries()) {
  const label = `${c.depthwise ? "depthwise" : "conv2d"} dilation ${c.dilation} ${c.pad} ${
    c.xs.join("×")
  }`;
  for (const where of [backend, "cpu"]) {
    Deno.test(`${where}: ${label} matches a float64 loop`, async () => {
      const rng = new Rng(300 + i);
      const x = randomArray(sizeOf(c.xs), rng), w = randomArray(sizeOf(c.ws), rng);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        c.depthwise
          ? tf.depthwiseConv2d(
            a as tf.Tensor4D,
            b as tf.Tensor4D,
            c.stride,
            c.pad,
            "NHWC",
            c.dilation,
          )
          : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, "NHWC", c.dilation);
      const got = await evaluate(
        where,
        f,
        [{ values: x, shape: c.xs }, { values: w, shape: c.ws }],
        [0, 1],
        50 + i,
      );
      const g = randomArray(got.out.length, new Rng(50 + i));
      const want = naiveConv(x, c.xs, w, c.ws, g, c);
      assert.ok(relativeError(got.out, want.y) <= 1e-4, "forward");
      assert.ok(
        relativeError(got.grads[0], want.dx) <= 1e-4,
        `dx ${relativeError(got.grads[0], want.dx)}`,
      );
      assert.ok(
        relativeError(got.grads[1], want.dw) <= 1e-4,
        `dw ${relativeError(got.grads[1], want.dw)}`,
      );
    });
  }
}
