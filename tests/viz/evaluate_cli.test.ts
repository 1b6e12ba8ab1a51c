import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import { main, pairCases, readReviewColumn } from "../../lib/cli/evaluate.ts";

const HEADER = "image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y";
const row = (id: string, dx = 0, extra = "") =>
  `${id},${10 + dx},30,${70 + dx},30,40,10,40,50${extra}`;

async function withFiles(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `main` on dir/pred.csv and dir/gt.csv into `out`, which must succeed; what it printed. */
async function evaluateInto(dir: string, out: string): Promise<string[]> {
  const log = console.log;
  const printed: string[] = [];
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    const args = ["--pred", join(dir, "pred.csv"), "--gt", join(dir, "gt.csv"), "--out", out];
    assert.equal(await main(args), 0);
  } finally {
    console.log = log;
  }
  return printed;
}

Deno.test("pairCases matches by image name and takes the pixel size from the ground truth", async () => {
  await withFiles({
    "gt.csv": `${HEADER},pixel_size_mm\n${row("b.png", 0, ",0.2")}\n${row("a.png", 0, ",0.1")}\n`,
    "pred.csv": `${HEADER}\n${row("a.png", 3)}\n${row("b.png", 1)}\n`,
  }, async (dir) => {
    const { cases, ignored } = await pairCases(join(dir, "pred.csv"), join(dir, "gt.csv"));
    assert.deepEqual(ignored, []);
    assert.deepEqual(cases.map((c) => [c.id, c.pixelSizeMm, c.pred[0].x - c.truth[0].x]), [
      ["b.png", 0.2, 1],
      ["a.png", 0.1, 3],
    ]);
  });
});

Deno.test("predictions the ground truth does not list are ignored and named; a degenerate one (HC 0) is read", async () => {
  await withFiles({
    "gt.csv": `${HEADER}\n${row("a.png")}\n`,
    "pred.csv": `${HEADER},hc_mm\n${row("a.png", 2, ",120.5")}\n${row("x.png", 0, ",0")}\n`,
  }, async (dir) => {
    const { cases, ignored } = await pairCases(join(dir, "pred.csv"), join(dir, "gt.csv"));
    assert.deepEqual(cases.map((c) => c.id), ["a.png"]);
    assert.deepEqual(ignored, ["x.png"]);
  });
});

Deno.test("missing predictions and conflicting pixel sizes are InputErrors naming file, row and value", async () => {
  const cases: [string, string, RegExp][] = [
    [
      `${HEADER}\n${row("a.png")}\n${row("b.png")}\n${row("c.png")}\n`,
      `${HEADER}\n${row("b.png")}\n`,
      /gt\.csv: 2 ground-truth image\(s\) have no prediction: a\.png, c\.png \(first at row 2\)/,
    ],
    [
      `${HEADER},pixel_size_mm\n${row("a.png", 0, ",0.1")}\n`,
      `${HEADER},pixel_size_mm\n${row("a.png", 0, ",0.2")}\n`,
      /pred\.csv, row 2: pixel_size_mm differs/,
    ],
  ];
  for (const [gt, pred, message] of cases) {
    await withFiles({ "gt.csv": gt, "pred.csv": pred }, async (dir) => {
      await assert.rejects(pairCases(join(dir, "pred.csv"), join(dir, "gt.csv")), (err: Error) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("main writes the dashboard into --out", async () => {
  await withFiles({
    "gt.csv": `${HEADER},pixel_size_mm\n${row("a.png", 0, ",0.1")}\n${row("b.png", 0, ",0.1")}\n`,
    "pred.csv": `${HEADER}\n${row("a.png", 3)}\n${row("b.png", -4)}\n`,
  }, async (dir) => {
    const out = join(dir, "eval");
    const printed = await evaluateInto(dir, out);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    // Only the OFD ends move (by 3 and 4 px): MREs 1.5 and 2; both ends together, so no length
    // and no HC changes.
    assert.equal(summary.headline.mre_px, 1.75);
    assert.deepEqual(
      [summary.hcAbsCiMm.estimate, summary.hcAbsCiMm.lower, summary.hcAbsCiMm.upper],
      [0, 0, 0],
    );
    assert.ok(printed.includes("|ΔHC| 0.00 mm, 95 % CI 0.00–0.00"), printed.join("\n"));
    await Deno.stat(join(out, "predictions_vs_gt.csv"));
    await assert.rejects(main(["--gt", join(dir, "gt.csv")]), InputError);
    // A wrong --out or option fails before the evaluation runs (nothing printed).
    const before = printed.length;
    const args = ["--pred", join(dir, "pred.csv"), "--gt", join(dir, "gt.csv")];
    const log = console.log;
    console.log = (...a: unknown[]) => printed.push(a.join(" "));
    try {
      await assert.rejects(main([...args, "--out", join(dir, "gt.csv")]), /--out names a file/);
      await assert.rejects(main([...args, "--out", out, "--worst-k", "abc"]), /--worst-k must be/);
    } finally {
      console.log = log;
    }
    assert.equal(printed.length, before);
  });
});

Deno.test("a prediction CSV with predict's review column: scores split into kept and sent to review", async () => {
  const gt = ["a", "b", "c", "d"].map((id) => row(`${id}.png`, 0, ",0.5")).join("\n");
  // row() moves the two OFD ends by dx: MRE dx / 2 px. a: 1 px kept; b, c: 2 and 3 px to review;
  // d has no verdict (all only). HC does not change.
  const pred = [
    row("a.png", 2, ",false"),
    row("b.png", 4, ",true"),
    row("c.png", 6, ",true"),
    row("d.png", 0, ","),
  ].join("\n");
  await withFiles({
    "gt.csv": `${HEADER},pixel_size_mm\n${gt}\n`,
    "pred.csv": `${HEADER},review\n${pred}\n`,
    "bad.csv": `${HEADER},review\n${row("a.png", 0, ",yes")}\n`,
  }, async (dir) => {
    const out = join(dir, "eval");
    await evaluateInto(dir, out);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assert.deepEqual(summary.review, [
      { subset: "all", images: 4, mrePx: 1.5, mreMm: 0.75, hcAbsMm: 0 },
      { subset: "kept", images: 1, mrePx: 1, mreMm: 0.5, hcAbsMm: 0 },
      { subset: "sent to review", images: 2, mrePx: 2.5, mreMm: 1.25, hcAbsMm: 0 },
    ]);
    const md = await Deno.readTextFile(join(out, "summary.md"));
    assert.match(md, /## By predict's review verdict/);
    assert.match(md, /\| sent to review \| 2 \| 2\.50 \| 1\.25 \| 0 \|/);
    // Without the column there is no split; a cell that is no verdict names its row.
    assert.equal(await readReviewColumn(join(dir, "gt.csv")), undefined);
    await assert.rejects(
      readReviewColumn(join(dir, "bad.csv")),
      /bad\.csv, row 2: review must be true, false or empty.*yes/,
    );
  });
});
