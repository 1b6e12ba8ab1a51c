/**
 * `deno task bench`: runs every bench/sections/*.ts module (alphabetical) and prints each result
 * as a table. A section exports `run(): Promise<{ title; rows }>`; rows are flat records whose
 * keys become columns.
 *
 *   deno run -A bench/main.ts [--only training,augment]
 */
import { parseArgs } from "node:util";

export interface SectionResult {
  title: string;
  rows: Record<string, string | number>[];
}

function cell(v: string | number | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  return v;
}

/** A GitHub-flavoured markdown table (readable as plain text too). */
export function formatTable(result: SectionResult): string {
  const cols = [...new Set(result.rows.flatMap((r) => Object.keys(r)))];
  const body = result.rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((s, i) => s.padEnd(widths[i])).join(" | ")} |`;
  return [
    `## ${result.title}`,
    "",
    line(cols),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: "string" } } });
  const only = values.only?.split(",").map((s) => s.trim());
  const dir = new URL("./sections/", import.meta.url);
  const names = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => e.name.replace(/\.ts$/, ""))
    .filter((n) => !only || only.includes(n))
    .sort();
  if (names.length === 0) throw new Error(`no bench section matches --only ${values.only}`);
  for (const name of names) {
    const mod = await import(new URL(`${name}.ts`, dir).href);
    if (typeof mod.run !== "function") {
      throw new Error(`bench/sections/${name}.ts exports no run()`);
    }
    const started = performance.now();
    const result = (await mod.run()) as SectionResult;
    console.log(formatTable(result));
    console.log(`\n(${name}: ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

if (import.meta.main) await main();
