// A one-line progress bar for training on a terminal (batch, loss, accuracy, images/s, ETA);
// off a terminal (CI logs, pipes) a plain line at every quarter of an epoch instead.
import type { BatchProgress } from '../train/trainer.js';

const clock = (s: number) => {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

export function progressBar(stream: NodeJS.WriteStream): { update: (p: BatchProgress) => void; clear: () => void } {
  const tty = !!stream.isTTY;
  let shown = false, lastDraw = 0, lastQuarter = 0;
  const text = (p: BatchProgress, width: number) => {
    const f = p.batch / p.batches, cells = Math.max(10, Math.min(30, width - 80));
    const done = Math.round(f * cells);
    return `epoch ${p.epoch} [${'#'.repeat(done)}${'.'.repeat(cells - done)}] ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${(100 * p.accuracy).toFixed(1)}% ${p.imagesPerSecond.toFixed(0)} img/s ETA ${clock(p.etaSeconds)}`;
  };
  return {
    update(p) {
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && p.batch !== p.batches) return;
        lastDraw = now;
        stream.write(`\r${text(p, stream.columns ?? 100).slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
        shown = true;
      } else {
        const q = Math.floor((4 * p.batch) / p.batches);
        if (p.batch === 1) lastQuarter = 0;
        if (q > lastQuarter && p.batch !== p.batches) { lastQuarter = q; stream.write(`  ${text(p, 90)}\n`); }
      }
    },
    clear() {
      if (tty && shown) { stream.write('\r\x1b[K'); shown = false; }
    },
  };
}
