import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { main } from "../../lib/cli/data_audit.ts";

Deno.test("data:audit: a dataset folder is audited; a bare CSV is told it needs --labels and --images", async () => {
  const root = await Deno.makeTempDir();
  const log = console.log;
  try {
    const data = join(root, "phantoms");
    await writePhantomDataset(data, { count: 3, seed: 2, width: 96, height: 64 });
    const lines: string[] = [];
    console.log = (line: string) => lines.push(line);
    assert.equal(await main([data]), 0);
    console.log = log;
    assert.match(lines.join("\n"), /3 rows checked, 0 flagged/);
    await assert.rejects(
      main([join(data, "labels.csv")]),
      (e: Error) =>
        e instanceof InputError && /a label file needs its images: --labels <csv> --images/.test(
          e.message,
        ),
    );
  } finally {
    console.log = log;
    await Deno.remove(root, { recursive: true });
  }
});
