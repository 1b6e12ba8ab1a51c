/**
 * OpenCV as the reference for our CLAHE: runs Debian's python with cv2 on image files and
 * compares its output with `claheU8` pixel by pixel. Used by the data test and notebook 02; both
 * skip when `/usr/bin/python3` has no cv2.
 */
import { claheU8 } from "./clahe.ts";

export const OPENCV_PYTHON = "/usr/bin/python3";

/** Writes, per image: "width height\n", the 8-bit input as cv2 reads it, then cv2's CLAHE output. */
const CV2_SCRIPT = `
import sys, cv2
c = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
for p in sys.argv[1:]:
    im = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
    h, w = im.shape
    sys.stdout.buffer.write(f"{w} {h}\\n".encode()); sys.stdout.buffer.write(im.tobytes())
    sys.stdout.buffer.write(c.apply(im).tobytes())
`;

export interface OpencvClahe {
  path: string;
  width: number;
  height: number;
  input: Uint8Array;
  expected: Uint8Array;
}

/** The cv2 version, or null when Debian's python or its cv2 is missing. */
export async function opencvVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command(OPENCV_PYTHON, {
      args: ["-c", "import cv2; print(cv2.__version__)"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** cv2's `createCLAHE(2.0, (8, 8)).apply` on each image file (read as 8-bit grey by cv2). */
export async function opencvClahe(paths: readonly string[]): Promise<OpencvClahe[]> {
  const res = await new Deno.Command(OPENCV_PYTHON, {
    args: ["-c", CV2_SCRIPT, ...paths],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!res.success) throw new Error(`cv2 CLAHE failed: ${new TextDecoder().decode(res.stderr)}`);
  const buf = res.stdout;
  const out: OpencvClahe[] = [];
  let at = 0;
  for (const path of paths) {
    const nl = buf.indexOf(10, at);
    const [width, height] = new TextDecoder().decode(buf.subarray(at, nl)).split(" ").map(Number);
    const n = width * height;
    out.push({
      path,
      width,
      height,
      input: buf.slice(nl + 1, nl + 1 + n),
      expected: buf.slice(nl + 1 + n, nl + 1 + 2 * n),
    });
    at = nl + 1 + 2 * n;
  }
  return out;
}

export interface ClaheAgreement {
  image: string;
  size: string;
  /** Share of pixels equal to OpenCV's, %. */
  exactPct: number;
  /** Share within one grey level, %. */
  within1Pct: number;
  maxAbsDiff: number;
}

/** Our CLAHE on cv2's own input, compared with cv2's output. */
export function claheAgreement(ref: OpencvClahe): ClaheAgreement {
  const got = claheU8(ref.input, ref.width, ref.height);
  let exact = 0, within1 = 0, maxAbsDiff = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - ref.expected[i]);
    if (d === 0) exact++;
    if (d <= 1) within1++;
    if (d > maxAbsDiff) maxAbsDiff = d;
  }
  return {
    image: ref.path.split("/").pop()!,
    size: `${ref.width}×${ref.height}`,
    exactPct: (100 * exact) / got.length,
    within1Pct: (100 * within1) / got.length,
    maxAbsDiff,
  };
}
