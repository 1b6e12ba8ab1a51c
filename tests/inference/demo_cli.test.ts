import assert from "node:assert/strict";
import { DEMO_SCHEDULE, main } from "../../lib/cli/demo.ts";
import { DEMO_FAMILIES } from "../../lib/inference/compare.ts";

Deno.test("demo CLI: every demo family has a schedule; bad arguments are InputErrors before any work", async () => {
  assert.deepEqual(Object.keys(DEMO_SCHEDULE).sort(), [...DEMO_FAMILIES].sort());
  await assert.rejects(main(["--families", "coord,nope"]), /unknown family.*"nope"/);
  await assert.rejects(main(["--epochs", "0"]), /--epochs must be a positive integer/);
  await assert.rejects(main(["--epochs", "2.5"]), /--epochs must be a positive integer/);
});
