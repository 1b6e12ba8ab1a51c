import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { clahe, claheU8 } from "../../lib/transforms/clahe.ts";
import { InputError } from "../../lib/core/errors.ts";

interface FixtureCase {
  name: string;
  width: number;
  height: number;
  input: string;
  expected: string;
}

const fixtureUrl = new URL("../fixtures/clahe/cases.json", import.meta.url);
const fixture = JSON.parse(await Deno.readTextFile(fixtureUrl)) as { cases: FixtureCase[] };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

for (const c of fixture.cases) {
  Deno.test(`CLAHE matches OpenCV fixture exactly: ${c.name} (${c.width}×${c.height})`, () => {
    const got = claheU8(bytes(c.input), c.width, c.height);
    const want = bytes(c.expected);
    let differing = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differing++;
    assert.equal(differing, 0, `${differing} of ${want.length} pixels differ`);
  });
}

Deno.test("CLAHE on a float image rounds to grey levels and keeps the size", () => {
  const c = fixture.cases.find((k) => k.name === "noise")!;
  const u8 = bytes(c.input);
  const asFloat = Float32Array.from(u8, (v) => v + 0.2); // rounds back to the same levels
  const out = clahe({ width: c.width, height: c.height, data: asFloat });
  assert.equal(out.width, c.width);
  assert.deepEqual(Array.from(out.data), Array.from(bytes(c.expected)));
});

Deno.test("CLAHE rejects a pixel count that does not match the size", () => {
  assert.throws(() => claheU8(new Uint8Array(10), 4, 4), InputError);
  assert.throws(() => claheU8(new Uint8Array(16), 4, 4, { tilesX: 0 }), InputError);
});

// ---- real HC18 images against cv2 run now (skipped without the data or without cv2) ----

const dataDir = new URL("../../../shared/data/hc18/training_set/", import.meta.url);
const python = "/usr/bin/python3";

async function hasCv2(): Promise<boolean> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import cv2"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

async function hasData(): Promise<boolean> {
  try {
    return (await Deno.stat(dataDir)).isDirectory;
  } catch {
    return false;
  }
}

/** cv2 reads each image and writes `width height` + raw input + raw CLAHE output to stdout. */
const CV2_SCRIPT = `
import sys, cv2
c = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
for p in sys.argv[1:]:
    im = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
    h, w = im.shape
    sys.stdout.buffer.write(f"{w} {h}\\n".encode()); sys.stdout.buffer.write(im.tobytes())
    sys.stdout.buffer.write(c.apply(im).tobytes())
`;

const realImages = [
  "000_HC.png",
  "010_HC.png",
  "100_HC.png",
  "700_HC.png", // 800×540: padded to 808×544
  "139_HC.png",
  "208_HC.png",
  "216_HC.png",
  "402_HC.png", // odd sizes, e.g. 786×542, 794×544
];
const runReal = (await hasData()) && (await hasCv2());

Deno.test({
  name: "CLAHE agrees with cv2 on real HC18 images at full size (≤ 1 level on ≥ 99 % of pixels)",
  ignore: !runReal,
  async fn() {
    const dir = dataDir.pathname;
    const present = [];
    for (const f of realImages) {
      if (await Deno.stat(dir + f).then(() => true, () => false)) present.push(dir + f);
    }
    assert.ok(present.length >= 3, "expected some of the listed HC18 images");
    const res = await new Deno.Command(python, { args: ["-c", CV2_SCRIPT, ...present] }).output();
    assert.ok(res.success, new TextDecoder().decode(res.stderr));
    const buf = res.stdout;
    let at = 0;
    for (const path of present) {
      const nl = buf.indexOf(10, at);
      const [w, h] = new TextDecoder().decode(buf.subarray(at, nl)).split(" ").map(Number);
      const input = buf.subarray(nl + 1, nl + 1 + w * h);
      const want = buf.subarray(nl + 1 + w * h, nl + 1 + 2 * w * h);
      at = nl + 1 + 2 * w * h;
      const got = claheU8(input, w, h);
      let within1 = 0;
      let exact = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i] - want[i]);
        if (d <= 1) within1++;
        if (d === 0) exact++;
      }
      const name = path.split("/").pop();
      console.log(
        `${name} ${w}×${h}: exact ${(100 * exact / want.length).toFixed(3)} %, ` +
          `within 1 level ${(100 * within1 / want.length).toFixed(3)} %`,
      );
      assert.ok(within1 / want.length >= 0.99, `${name}: only ${within1}/${want.length} within 1`);
    }
  },
});
