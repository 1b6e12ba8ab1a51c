/**
 * Image and mask files ↔ the in-memory `GrayImage` / `Mask` types, with sharp (libvips).
 *
 * Any decodable format is accepted (PNG 8/16 bit, JPEG, …). Colour is reduced to one grey channel
 * (sharp's luminance), alpha is flattened onto black, and 16-bit samples are scaled to 0..255
 * (kept as float, so no precision is lost to rounding) by the depth their largest value fits:
 * 8, 10 or 12 bits as scanners store them in a 16-bit PNG (read as 16-bit, 12-bit data would be a
 * near-black image), else 16 bits (v / 257). A full-range image darker than 1/16 of its range
 * would read too bright; no ultrasound frame is. A missing or undecodable file throws an
 * InputError naming it.
 */
import sharp from "sharp";
import { InputError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import type { GrayImage, Mask } from "../core/types.ts";

async function decode(path: string): Promise<GrayImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (err) {
    throw new InputError(`cannot read image: ${(err as Error).message}`, path);
  }
  const sixteen = meta.depth === "ushort";
  try {
    let pipeline = sharp(path);
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: "#000000" });
    pipeline = sixteen
      ? pipeline.toColourspace("grey16").raw({ depth: "ushort" })
      : pipeline.toColourspace("b-w").raw();
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) {
      throw new Error(`expected 1 channel after conversion, got ${info.channels}`);
    }
    const n = info.width * info.height;
    const out = new Float32Array(n);
    if (sixteen) {
      const words = new Uint16Array(data.buffer, data.byteOffset, n);
      let max = 0;
      for (let i = 0; i < n; i++) if (words[i] > max) max = words[i];
      // Only the depths scanners store (8, 10, 12 bits): full-range data that is merely dark
      // (max 25 700 for an 8-bit image ×257) must stay 16-bit.
      const bits = max <= 255 ? 8 : max <= 1023 ? 10 : max <= 4095 ? 12 : 16;
      const scale = 255 / (2 ** bits - 1);
      for (let i = 0; i < n; i++) out[i] = words[i] * scale;
    } else {
      for (let i = 0; i < n; i++) out[i] = data[i];
    }
    return { width: info.width, height: info.height, data: out };
  } catch (err) {
    throw new InputError(`cannot decode image: ${(err as Error).message}`, path);
  }
}

/** Grey image with values 0..255 (float). */
export function readGray(path: string): Promise<GrayImage> {
  return decode(path);
}

/**
 * Width and height from the file's header, without decoding the pixels (readGray's size: neither
 * applies EXIF orientation). A file cut short past its header still answers; decode to be sure.
 */
export async function imageDimensions(path: string): Promise<{ width: number; height: number }> {
  try {
    const { width, height } = await sharp(path).metadata();
    if (!width || !height) throw new Error("no size in the header");
    return { width, height };
  } catch (err) {
    throw new InputError(`cannot read image: ${(err as Error).message}`, path);
  }
}

/** Binary mask: a pixel is inside when its grey value is > 127. */
export async function readMask(path: string): Promise<Mask> {
  const img = await decode(path);
  const data = new Uint8Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i] > 127 ? 1 : 0;
  return { width: img.width, height: img.height, data };
}

function toBytes(img: GrayImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(img.data[i]);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

async function encodePng(bytes: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const buf = await sharp(bytes, { raw: { width, height, channels: 1 } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** 8-bit grey PNG bytes (values rounded and clamped to 0..255). */
export function encodeGrayPng(img: GrayImage): Promise<Uint8Array> {
  return encodePng(toBytes(img), img.width, img.height);
}

/** Mask as an 8-bit PNG with 0 outside and 255 inside. */
export function encodeMaskPng(mask: Mask): Promise<Uint8Array> {
  const bytes = new Uint8Array(mask.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = mask.data[i] ? 255 : 0;
  return encodePng(bytes, mask.width, mask.height);
}

/** Write an 8-bit grey PNG atomically. */
export async function writeGrayPng(path: string, img: GrayImage): Promise<void> {
  await writeFileAtomic(path, await encodeGrayPng(img));
}

/** Write a mask PNG (0/255) atomically. */
export async function writeMaskPng(path: string, mask: Mask): Promise<void> {
  await writeFileAtomic(path, await encodeMaskPng(mask));
}
