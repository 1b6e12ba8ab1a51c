/**
 * Notebooks 03–07 without running them: the cells follow the notebook rules (calls and figures
 * only, logic in lib/), and their code type-checks against today's lib/ (the Deno kernel does not
 * type-check, so a renamed helper would otherwise only show when a notebook runs).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../lib/core/project.ts";

const NOTEBOOKS = [
  "03_coordinate_regression",
  "04_heatmap_regression",
  "05_unet",
  "06_deeplabv3plus",
  "07_comparison",
];

interface Cell {
  cell_type: string;
  source: string[] | string;
}

async function codeCells(name: string): Promise<string[]> {
  const nb = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, "notebooks", `${name}.ipynb`)));
  return (nb.cells as Cell[]).filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
}

/** Rule violations of one code cell (empty = fine). */
export function cellProblems(code: string): string[] {
  const problems: string[] = [];
  const lines = code.split("\n").filter((l) => l.trim() !== "").length;
  if (lines > 40) problems.push(`${lines} non-blank lines (at most 40)`);
  if (/\bfunction\b/.test(code)) problems.push("defines a function");
  if (/\bclass\s+\w/.test(code)) problems.push("defines a class");
  if (/=>/.test(code)) problems.push("defines an arrow function");
  return problems;
}

Deno.test("cellProblems: each rule fires on its own", () => {
  const cases: [string, string[]][] = [
    ["await showTable(rows);", []],
    ["function f() {}", ["defines a function"]],
    ["class A {}", ["defines a class"]],
    ["rows.map((r) => r.id);", ["defines an arrow function"]],
    [Array(41).fill("x;").join("\n"), ["41 non-blank lines (at most 40)"]],
    [Array(40).fill("x;").join("\n\n"), []],
  ];
  for (const [code, want] of cases) assert.deepEqual(cellProblems(code), want, code);
});

for (const name of NOTEBOOKS) {
  Deno.test(`${name}: cells only call and show`, async () => {
    for (const [i, code] of (await codeCells(name)).entries()) {
      assert.deepEqual(cellProblems(code), [], `${name} code cell ${i + 1}`);
    }
  });
}

Deno.test("notebooks 03–07 type-check against lib/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nb-check-" });
  try {
    const files: string[] = [];
    for (const name of NOTEBOOKS) {
      // Cells import "../lib/…" relative to notebooks/; point them at the project's lib/.
      const code = (await codeCells(name)).join("\n")
        .replaceAll('"../lib/', `"${join(PROJECT_ROOT, "lib")}/`);
      const file = join(dir, `${name}.ts`);
      await Deno.writeTextFile(file, code + "\nexport {};\n");
      files.push(file);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", join(PROJECT_ROOT, "deno.json"), ...files],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
