import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_HC18_DIR,
  gitCommit,
  PROJECT_ROOT,
  provenance,
  provenancePath,
  runStamp,
} from "../../lib/core/project.ts";

Deno.test("PROJECT_ROOT is the repository root (no trailing slash); HC18 is looked for beside it", async () => {
  assert.ok(!PROJECT_ROOT.endsWith("/"));
  await Deno.stat(join(PROJECT_ROOT, "deno.json"));
  assert.equal(DEFAULT_HC18_DIR, join(PROJECT_ROOT, "..", "shared", "data", "hc18"));
});

Deno.test("runStamp: UTC, to the second", () => {
  assert.equal(runStamp(new Date("2026-12-01T18:46:37.123Z")), "20261201-184637");
});

Deno.test("provenancePath: the record beside an output, extension replaced", () => {
  const table: [string, string][] = [
    ["/r/pred.csv", "/r/pred.run.json"],
    ["/r/score.json", "/r/score.run.json"],
    ["/r.d/pred", "/r.d/pred.run.json"], // a dot in a folder name is not an extension
    ["/r/.pred", "/r/.pred.run.json"], // nor is a dot file's leading dot
  ];
  for (const [out, want] of table) assert.equal(provenancePath(out), want, out);
});

Deno.test("provenance: when, which commit, which Deno, plus the caller's fields", async () => {
  const p = await provenance({ command: "test" });
  assert.equal(p.command, "test");
  assert.equal(p.deno, Deno.version.deno);
  assert.ok(!Number.isNaN(Date.parse(p.createdAt as string)));
  assert.deepEqual(p.git, await gitCommit());
  // A clone has .git; the commit is then a full hash.
  const commit = (p.git as { commit: string | null }).commit;
  if (commit !== null) assert.match(commit, /^[0-9a-f]{40}$/);
  // Against git itself: the tests run in a clone, so there is a commit and it is HEAD's.
  const head = await new Deno.Command("git", { args: ["-C", PROJECT_ROOT, "rev-parse", "HEAD"] })
    .output();
  assert.equal(commit, new TextDecoder().decode(head.stdout).trim());
});
