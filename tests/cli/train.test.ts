import assert from "node:assert/strict";
import { main } from "../../lib/cli/train.ts";

Deno.test("train CLI: --resume refuses flags that would pick another config or run", async () => {
  const table: [string[], RegExp][] = [
    [["--resume", "r1", "--config", "quick"], /^--config cannot be used with --resume/],
    [["--resume", "r1", "--run-id", "r2"], /^--run-id cannot be used with --resume/],
    [["--resume", "r1", "--config", "quick", "--run-id", "r2"], /^--config and --run-id cannot/],
  ];
  for (const [args, message] of table) {
    await assert.rejects(
      main(args),
      (e: Error) => e.name === "InputError" && message.test(e.message),
    );
  }
});
