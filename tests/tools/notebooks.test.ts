import assert from "node:assert/strict";
import { join } from "node:path";
import {
  executeNotebook,
  listNotebooks,
  networkIsolationPrefix,
  type NotebookOptions,
  parseNotebookArgs,
} from "../../tools/notebooks.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

// A 1×1 PNG, so the HTML check sees a real image.
const TINY_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

interface Cell {
  cell_type: "code" | "markdown";
  source: string;
  metadata: Record<string, unknown>;
  outputs?: Record<string, unknown>[];
  execution_count?: number | null;
}

function notebookJson(sources: string[]): string {
  const cells: Cell[] = sources.map((source) => ({
    cell_type: "code",
    source,
    metadata: {},
    outputs: [],
    execution_count: null,
  }));
  return JSON.stringify({
    cells,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** nbformat stores multi-line text either as one string or as a list of lines. */
const text = (v: unknown) => Array.isArray(v) ? v.join("") : String(v);

function options(outDir: string): NotebookOptions {
  return { quick: true, only: [], outDir, htmlDir: join(outDir, "html"), cellTimeoutS: 120 };
}

Deno.test("parseNotebookArgs: flags, inline values, defaults", () => {
  const a = parseNotebookArgs(["--quick", "--only", "1,03", "--only=7", "--out=o"], "/w");
  assert.equal(a.quick, true);
  assert.deepEqual(a.only, ["01", "03", "07"]);
  assert.equal(a.outDir, "/w/o");
  assert.equal(a.htmlDir, "/w/o/html", "HTML follows --out so the repo stays clean");
  const b = parseNotebookArgs([], "/w");
  assert.equal(b.quick, false);
  assert.equal(b.outDir, undefined);
  assert.equal(b.htmlDir, join(ROOT, "notebooks", "html"));
  assert.equal(parseNotebookArgs(["--html-dir", "h", "--out", "o"], "/w").htmlDir, "/w/h");
  assert.throws(() => parseNotebookArgs(["--only"]), /needs a value/);
  assert.throws(() => parseNotebookArgs(["--fast"]), /unknown argument/);
  assert.throws(() => parseNotebookArgs(["--cell-timeout", "-1"]), /cell-timeout/);
});

Deno.test("listNotebooks: NN_*.ipynb in order, filtered by prefix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const n of ["02_b.ipynb", "01_a.ipynb", "10_c.ipynb", "x_01.ipynb", "03_d.txt"]) {
      await Deno.writeTextFile(join(dir, n), "{}");
    }
    await Deno.mkdir(join(dir, "04_dir.ipynb"));
    assert.deepEqual(listNotebooks(dir).map((p) => p.slice(dir.length + 1)), [
      "01_a.ipynb",
      "02_b.ipynb",
      "10_c.ipynb",
    ]);
    assert.deepEqual(listNotebooks(dir, ["10", "01"]).map((p) => p.slice(dir.length + 1)), [
      "01_a.ipynb",
      "10_c.ipynb",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no output is lost: 40 cells of displays, logs and results, some of them large", async () => {
  // The Deno kernel often reports idle before a cell's last outputs; a runner that stops reading
  // at idle drops some of these: plain nbclient 0.7 lost 1, 4 and 10 of the 67 in three runs here.
  const big = `"${"A".repeat(1_500_000)}"`;
  const sources: string[] = [];
  const expected: string[][] = [];
  for (let i = 0; i < 40; i++) {
    if (i % 3 === 0) {
      sources.push(
        `await Deno.jupyter.display({ "image/png": ${i % 6 === 0 ? big : `"${TINY_PNG}"`},` +
          ` "text/plain": "figure ${i}" }, { raw: true });\nconsole.log("log ${i}");`,
      );
      expected.push(["display_data", "stream"]);
    } else if (i % 3 === 1) {
      sources.push(`console.log("log ${i}");\n"result ${i}"`);
      expected.push(["stream", "execute_result"]);
    } else {
      sources.push(`await Deno.jupyter.display({ "text/plain": "shown ${i}" }, { raw: true });`);
      expected.push(["display_data"]);
    }
  }
  const dir = await Deno.makeTempDir();
  try {
    const nb = join(dir, "01_many_outputs.ipynb");
    await Deno.writeTextFile(nb, notebookJson(sources));
    const r = await executeNotebook(nb, options(join(dir, "out")));
    assert.ok(r.ok, r.message);
    const cells: Cell[] =
      JSON.parse(await Deno.readTextFile(join(dir, "out", "01_many_outputs.ipynb"))).cells;
    const got = cells.map((c) => c.outputs!.map((o) => o.output_type as string).sort());
    assert.deepEqual(got, expected.map((e) => [...e].sort()));
    assert.equal(
      text(cells[4].outputs!.find((o) => o.output_type === "stream")!.text).trim(),
      "log 4",
    );
    const html = await Deno.readTextFile(join(dir, "out", "html", "01_many_outputs.html"));
    assert.equal(
      html.split('<img src="data:image/png;base64,').length - 1,
      14,
      "every figure is a static image",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a throwing cell fails the run and the message names the cell and the error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const nb = join(dir, "02_throws.ipynb");
    await Deno.writeTextFile(
      nb,
      notebookJson(["const x = 1;", "x + 1", 'throw new RangeError("bad scale 7");', "x"]),
    );
    const r = await executeNotebook(nb, options(join(dir, "out")));
    assert.equal(r.ok, false);
    assert.match(r.message, /cell 3 .*failed/);
    assert.match(r.message, /RangeError/);
    assert.match(r.message, /bad scale 7/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("quick mode reaches the kernel as BIOMETRY_QUICK", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const nb = join(dir, "03_env.ipynb");
    await Deno.writeTextFile(nb, notebookJson(['console.log(Deno.env.get("BIOMETRY_QUICK"));']));
    for (const quick of [true, false]) {
      const r = await executeNotebook(nb, { ...options(join(dir, "out")), quick });
      assert.ok(r.ok, r.message);
      const cells: Cell[] =
        JSON.parse(await Deno.readTextFile(join(dir, "out", "03_env.ipynb"))).cells;
      assert.equal(text(cells[0].outputs![0].text).trim(), quick ? "1" : "0");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const isolation = await networkIsolationPrefix();

Deno.test({
  name: "with network isolation a notebook cannot reach even the host's loopback",
  ignore: isolation.length === 0, // no network namespaces here (e.g. a locked-down container)
  async fn() {
    const dir = await Deno.makeTempDir();
    // A server on the host's 127.0.0.1 (Python: the tests themselves have no net permission).
    const server = new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import http.server as h; s = h.HTTPServer(('127.0.0.1', 0), h.SimpleHTTPRequestHandler); " +
        "print(s.server_address[1], flush=True); s.serve_forever()",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = server.stdout.getReader();
      const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
      reader.releaseLock();
      const nb = join(dir, "04_net.ipynb");
      await Deno.writeTextFile(
        nb,
        notebookJson([
          `try { await (await fetch("http://127.0.0.1:${port}/")).text(); console.log("reached"); }` +
          ` catch (e) { console.log("blocked", (e as Error).name); }`,
        ]),
      );
      const outputOf = async (prefix: string[]) => {
        const r = await executeNotebook(nb, options(join(dir, "out")), prefix);
        assert.ok(r.ok, r.message);
        const cells: Cell[] =
          JSON.parse(await Deno.readTextFile(join(dir, "out", "04_net.ipynb"))).cells;
        return text(cells[0].outputs![0].text).trim();
      };
      assert.equal(await outputOf([]), "reached", "control: without isolation the server answers");
      assert.match(await outputOf(isolation), /^blocked/);
    } finally {
      server.kill();
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
