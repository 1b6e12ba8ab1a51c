import assert from "node:assert/strict";
import {
  type EpochRecord,
  inJupyter,
  jupyterProgress,
  type StepInfo,
} from "../../lib/training/progress.ts";
import { metricsCsv, metricsJsonl, writeMetrics } from "../../lib/training/metrics_log.ts";

function step(k: number, steps: number): StepInfo {
  return {
    epoch: 0,
    epochs: 2,
    step: k,
    steps,
    loss: 1 / (k + 1),
    lr: 1e-3,
    imgPerSec: 5,
    etaSec: steps - k,
  };
}

Deno.test("Jupyter progress: one display_data, then update_display_data with the same display id", async () => {
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const p = jupyterProgress(
    "run-x",
    (type, content) => (sent.push({ type, content }), Promise.resolve()),
  );
  // Ten quick steps: the first and the last are sent (updates are throttled to one a second).
  for (let k = 0; k < 10; k++) p.step(step(k, 10));
  p.epoch({ epoch: 1, train_loss: 0.5, val_loss: 0.4, val_mre_px: 12.5 }, 2);
  await p.close();
  assert.deepEqual(sent.map((m) => m.type), [
    "display_data",
    "update_display_data",
    "update_display_data",
  ]);
  for (const m of sent) assert.deepEqual(m.content.transient, { display_id: "run-x" });
  const last = sent[sent.length - 1].content.data as Record<string, string>;
  assert.match(last["text/html"], /<table>.*val_mre_px.*12\.50/s);
  assert.match(last["text/plain"], /epoch 1\/2 .*val_mre_px 12\.50/);
  // Outside a kernel, touching Deno.jupyter throws; inJupyter() must say false instead.
  assert.equal(inJupyter(), false);
});

Deno.test("metrics CSV/JSONL: union of columns in first-seen order, non-finite values empty / null", async () => {
  const history: EpochRecord[] = [
    { epoch: 1, train_loss: 2, val_mre_mm: NaN },
    { epoch: 2, train_loss: 1.5, val_mre_mm: 3, val_dice: 0.8 },
  ];
  assert.equal(metricsCsv(history), "epoch,train_loss,val_mre_mm,val_dice\n1,2,,\n2,1.5,3,0.8\n");
  assert.equal(
    metricsJsonl(history),
    '{"epoch":1,"train_loss":2,"val_mre_mm":null}\n{"epoch":2,"train_loss":1.5,"val_mre_mm":3,"val_dice":0.8}\n',
  );
  const dir = await Deno.makeTempDir();
  await writeMetrics(dir, history);
  assert.equal(await Deno.readTextFile(`${dir}/metrics.csv`), metricsCsv(history));
  await Deno.remove(dir, { recursive: true });
});
