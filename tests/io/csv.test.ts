import assert from "node:assert/strict";
import { join } from "node:path";
import { formatCsv, parseCsv, readCsv } from "../../lib/core/csv.ts";
import { InputError } from "../../lib/core/errors.ts";
import { PROJECT_ROOT } from "../../lib/core/project.ts";

Deno.test("parseCsv: quotes, escapes, CRLF, BOM, blank lines and line numbers", () => {
  const text = '\ufeffa,b,c\r\n1,"x,y",3\r\n\r\n"multi\nline","say ""hi""",\n4,5,6';
  const t = parseCsv(text);
  assert.deepEqual(t.header, ["a", "b", "c"]);
  assert.deepEqual(t.rows, [["1", "x,y", "3"], ["multi\nline", 'say "hi"', ""], ["4", "5", "6"]]);
  assert.deepEqual(t.lines, [2, 4, 6]);
  // Whitespace-only lines are blank too; a quoted empty field is data.
  const padded = parseCsv('a\n1\n  \t\n""\n2\n \n');
  assert.deepEqual(padded.rows, [["1"], [""], ["2"]]);
  assert.deepEqual(padded.lines, [2, 4, 5]);
  // A spreadsheet's cleared row (empty cells only) is blank; one cell filled, or quoted, is data.
  const sheet = parseCsv('a,b,c\n1,2,3\n,,\n , ,\n,x,\n,"",\n');
  assert.deepEqual(sheet.rows, [["1", "2", "3"], ["", "x", ""], ["", "", ""]]);
  assert.deepEqual(sheet.lines, [2, 5, 6]);
});

Deno.test("parseCsv: header only, and errors", () => {
  assert.deepEqual(parseCsv("a,b\n"), { header: ["a", "b"], rows: [], lines: [] });
  assert.throws(() => parseCsv("", "f.csv"), InputError);
  assert.throws(
    () => parseCsv('a\n"open', "f.csv"),
    (e: Error) => e.message.includes("f.csv, row 2"),
  );
});

Deno.test("formatCsv round trips through parseCsv", () => {
  const rows = [["a,b", 1.25, undefined], ['q"uote', -0.1, "x\ny"]];
  const text = formatCsv(["h1", "h2", "h3"], rows);
  assert.equal(text.split("\n")[0], "h1,h2,h3");
  assert.deepEqual(parseCsv(text).rows, [["a,b", "1.25", ""], ['q"uote', "-0.1", "x\ny"]]);
  assert.ok(text.endsWith("\n"));
});

Deno.test("readCsv: a missing file says so, also under the task launcher's sandbox", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const absent = join(dir, "labels.csv");
    await assert.rejects(
      readCsv(absent),
      (e: Error) => e instanceof InputError && e.message === `${absent}: CSV file not found`,
    );
    // Under `deno task`, a path that does not exist is not granted, so Deno reports NotCapable
    // (the images folder is granted, so it must not hold the CSV's folder).
    const images = await Deno.makeTempDir();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-run", join(PROJECT_ROOT, "lib/cli/launch.ts"), "data"]
        .concat(["lib/cli/data_audit.ts", "--labels", absent, "--images", images]),
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    await Deno.remove(images);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /labels\.csv: cannot read this CSV: it does not exist, or lies outside/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
