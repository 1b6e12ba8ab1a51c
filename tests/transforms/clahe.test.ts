import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { clahe, claheU8 } from "../../lib/transforms/clahe.ts";
import { InputError } from "../../lib/core/errors.ts";
import {
  claheAgreement,
  opencvClahe,
  opencvVersion,
} from "../../lib/transforms/opencv_reference.ts";

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

const dataDir = new URL("../../../shared/data/hc18/training_set/", import.meta.url).pathname;
const hasData = await Deno.stat(dataDir).then((s) => s.isDirectory, () => false);
const runReal = hasData && (await opencvVersion()) !== null;

const realImages = [
  ...["000_HC.png", "010_HC.png", "100_HC.png", "700_HC.png"], // 800×540: padded to 808×544
  ...["139_HC.png", "208_HC.png", "216_HC.png", "402_HC.png"], // odd sizes, e.g. 786×542, 794×544
];

Deno.test({
  name: "CLAHE agrees with cv2 on real HC18 images at full size (≤ 1 level on ≥ 99 % of pixels)",
  ignore: !runReal,
  async fn() {
    const present = [];
    for (const f of realImages) {
      if (await Deno.stat(dataDir + f).then(() => true, () => false)) present.push(dataDir + f);
    }
    assert.ok(present.length >= 3, "expected some of the listed HC18 images");
    for (const ref of await opencvClahe(present)) {
      const a = claheAgreement(ref);
      console.log(
        `${a.image} ${a.size}: exact ${a.exactPct.toFixed(3)} %, within 1 ${
          a.within1Pct.toFixed(3)
        } %`,
      );
      assert.ok(a.within1Pct >= 99, `${a.image}: only ${a.within1Pct} % within 1 level`);
    }
  },
});
