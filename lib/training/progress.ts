/**
 * Training progress: a one-line bar in a terminal (steps, loss, img/s, ETA), plain epoch lines in
 * logs, and inside a Deno Jupyter kernel a single live-updating output (display_data once, then
 * update_display_data with the same display id) showing the bar and the recent epochs.
 */
export interface StepInfo {
  /** 0-based epoch and step within it. */
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
  lr: number;
  imgPerSec: number;
  /** Seconds left in this epoch's training steps at the current speed. */
  etaSec: number;
}

/** One row of metrics.csv; `epoch` is 1-based (epochs completed). */
export type EpochRecord = { epoch: number } & Record<string, number>;

export interface ProgressSink {
  step(info: StepInfo): void;
  epoch(record: EpochRecord, epochs: number): void;
  /** Flush pending output (the Jupyter display is asynchronous). */
  close(): Promise<void>;
}

export const silentProgress: ProgressSink = {
  step() {},
  epoch() {},
  close: () => Promise.resolve(),
};

function clock(sec: number): string {
  if (!Number.isFinite(sec)) return "--:--";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `███···` for done of total, `width` characters (training steps, predict's images). */
export function bar(done: number, total: number, width: number): string {
  const filled = Math.round((width * done) / Math.max(1, total));
  return "█".repeat(filled) + "·".repeat(width - filled);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 1 ? 4 : 2);
}

function stepLine(i: StepInfo): string {
  return `epoch ${i.epoch + 1}/${i.epochs} ${bar(i.step + 1, i.steps, 24)} ${
    i.step + 1
  }/${i.steps} ` +
    `loss ${fmt(i.loss)} lr ${i.lr.toExponential(1)} ${i.imgPerSec.toFixed(1)} img/s ETA ${
      clock(i.etaSec)
    }`;
}

const EPOCH_KEYS = [
  "train_loss",
  "val_loss",
  "val_mre_px",
  "val_mre_mm",
  "val_spread_x",
  "val_spread_y",
];

function epochLine(r: EpochRecord, epochs: number): string {
  const parts = EPOCH_KEYS.filter((k) => k in r).map((k) => `${k} ${fmt(r[k])}`);
  return `epoch ${r.epoch}/${epochs} ${parts.join("  ")}  (${fmt(r.epoch_s ?? NaN)} s)`;
}

/**
 * Terminal progress on stderr: a bar redrawn in place (at most 10 times a second) when stderr is
 * a terminal; otherwise (logs, CI) a plain step line every `logEverySec` seconds and one line per
 * epoch, so a long run's log shows it is alive without drowning in bars.
 */
export function terminalProgress(logEverySec = 30): ProgressSink {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const write = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  let last = tty ? 0 : performance.now();
  let open = false;
  return {
    step(info) {
      const now = performance.now();
      if (!tty) {
        if (now - last >= logEverySec * 1000) {
          last = now;
          write(stepLine(info) + "\n");
        }
        return;
      }
      if (now - last < 100 && info.step + 1 < info.steps) return;
      last = now;
      write(`\r\x1b[2K${stepLine(info)}`);
      open = true;
    },
    epoch(record, epochs) {
      write(`${open ? "\r\x1b[2K" : ""}${epochLine(record, epochs)}\n`);
      open = false;
    },
    close() {
      if (open) write("\n");
      return Promise.resolve();
    },
  };
}

/** True inside a Deno Jupyter kernel (touching Deno.jupyter elsewhere throws). */
export function inJupyter(): boolean {
  try {
    return typeof Deno.jupyter?.broadcast === "function";
  } catch {
    return false;
  }
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

export type Broadcast = (type: string, content: Record<string, unknown>) => Promise<void>;

/**
 * Live display in a notebook, updated at most once a second; the last state is always sent.
 * `broadcast` defaults to the kernel's Deno.jupyter.broadcast (replaceable for tests).
 */
export function jupyterProgress(
  displayId = `train-${Date.now()}`,
  broadcast: Broadcast = (type, content) => Deno.jupyter.broadcast(type, content),
): ProgressSink {
  let chain: Promise<void> = Promise.resolve();
  let shown = false;
  let lastSent = 0;
  let current = "";
  const rows: EpochRecord[] = [];
  let epochsTotal = 0;
  const send = () => {
    const html = render(current, rows, epochsTotal);
    const text = [current, ...rows.slice(-5).map((r) => epochLine(r, epochsTotal))].join("\n");
    const type = shown ? "update_display_data" : "display_data";
    shown = true;
    lastSent = performance.now();
    chain = chain.then(() =>
      broadcast(type, {
        data: { "text/plain": text, "text/html": html },
        metadata: {},
        transient: { display_id: displayId },
      })
    );
  };
  return {
    step(info) {
      current = stepLine(info);
      if (!shown || performance.now() - lastSent > 1000 || info.step + 1 === info.steps) send();
    },
    epoch(record, epochs) {
      rows.push(record);
      epochsTotal = epochs;
      send();
    },
    async close() {
      await chain;
    },
  };
}

function render(current: string, rows: EpochRecord[], epochs: number): string {
  const keys = ["epoch", ...EPOCH_KEYS.filter((k) => rows.some((r) => k in r))];
  const head = keys.map((k) => `<th>${k}</th>`).join("");
  const body = rows.slice(-8).map((r) =>
    `<tr>${keys.map((k) => `<td>${fmt(r[k])}</td>`).join("")}</tr>`
  ).join("");
  const done = rows.length ? rows[rows.length - 1].epoch : 0;
  return `<div><progress value="${done}" max="${epochs || 1}" style="width:24em"></progress> ` +
    `epochs ${done}/${epochs}<pre>${escapeHtml(current)}</pre>` +
    (rows.length ? `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>` : "") +
    `</div>`;
}

/** Jupyter display inside a kernel, else the terminal bar. */
export function autoProgress(): ProgressSink {
  return inJupyter() ? jupyterProgress() : terminalProgress();
}
