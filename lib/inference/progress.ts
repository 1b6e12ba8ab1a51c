/**
 * A counting progress bar on stderr for the workspace commands (predict, hc18:submit): redrawn in
 * place on a terminal (at most 10 times a second), a plain line every 10 % otherwise so logs stay
 * short.
 */
import { bar } from "../training/progress.ts";

export interface CountProgress {
  update(done: number, total: number, note?: string): void;
  done(note?: string): void;
}

export function countProgress(label: string): CountProgress {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const write = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  const started = performance.now();
  let lastDraw = 0;
  let lastDecile = -1;
  let open = false;
  const line = (done: number, total: number, note?: string) => {
    const sec = (performance.now() - started) / 1000;
    const eta = done > 0 ? (sec * (total - done)) / done : NaN;
    const rate = done > 0 ? `${(sec / done * 1000).toFixed(0)} ms/item` : "";
    return `${label} ${bar(done, total, 24)} ${done}/${total} ` +
      `${rate} ETA ${Number.isFinite(eta) ? eta.toFixed(0) + " s" : "--"}${
        note ? "  " + note : ""
      }`;
  };
  return {
    update(done, total, note) {
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        write(`\r\x1b[2K${line(done, total, note)}`);
        open = true;
      } else {
        const decile = Math.floor((10 * done) / Math.max(1, total));
        if (decile === lastDecile) return;
        lastDecile = decile;
        write(line(done, total, note) + "\n");
      }
    },
    done(note) {
      if (open) write("\n");
      open = false;
      if (note) write(note + "\n");
    },
  };
}
