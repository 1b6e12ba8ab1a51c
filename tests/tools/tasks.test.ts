import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../lib/core/project.ts";
import { PROFILES } from "../../lib/cli/launch.ts";

const tasks: Record<string, string> = JSON.parse(
  await Deno.readTextFile(join(PROJECT_ROOT, "deno.json")),
).tasks;

// The agreed entry point of every task that touches data, and the launcher profile it runs under.
const LAUNCHED: [task: string, profile: string, script: string][] = [
  ["data:hc18", "data", "lib/cli/data_hc18.ts"],
  ["data:phantoms", "data", "lib/cli/data_phantoms.ts"],
  ["data:audit", "data", "lib/cli/data_audit.ts"],
  ["data:labels", "data", "lib/cli/data_labels.ts"],
  ["evaluate", "data", "lib/cli/evaluate.ts"],
  ["train", "data", "lib/cli/train.ts"],
  ["predict", "data", "lib/cli/predict.ts"],
  ["score", "data", "lib/cli/score.ts"],
  ["cv", "data", "lib/cli/cv.ts"],
  ["demo", "data", "lib/cli/demo.ts"],
  ["hc18:submit", "data", "lib/cli/hc18_submit.ts"],
  ["notebooks", "notebooks", "tools/notebooks.ts"],
  ["bench", "bench", "bench/main.ts"],
];

Deno.test("every data task runs its agreed script through the launcher, last, so arguments reach it", () => {
  for (const [task, profile, script] of LAUNCHED) {
    const command = tasks[task];
    assert.ok(command, `task ${task} is defined`);
    assert.ok(PROFILES[profile], `profile ${profile} exists`);
    assert.ok(
      command.endsWith(`deno run --allow-read --allow-run lib/cli/launch.ts ${profile} ${script}`),
      `${task}: ${command}`,
    );
  }
});

Deno.test("no task grants network or everything at once", () => {
  for (const [task, command] of Object.entries(tasks)) {
    assert.doesNotMatch(command, /--allow-net|--allow-all|(^|\s)-A(\s|$)/, `${task}: ${command}`);
  }
});

Deno.test("the tooling tasks point at their scripts", () => {
  assert.match(tasks.test, /tools\/test\.ts$/);
  assert.match(tasks.setup, /tools\/setup\.ts$/);
  assert.match(tasks.demo, /^deno run .*tools\/setup\.ts --for demo && /);
  assert.match(tasks.bench, /^deno run .*tools\/setup\.ts --for bench && /);
});
