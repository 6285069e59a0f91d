// The Keras-style progress display of fit and evaluate. On a TTY it redraws one line a few times
// a second (reading the device metrics only then); elsewhere it prints one line per epoch.
import { Callback, type Logs } from './callbacks.js';

/** Where progress goes (default process.stdout). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const REDRAW_MS = 250;
const BAR_WIDTH = 20;

/** Formats seconds as Keras does: 7s, 1:05, 1:02:03. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** ' - accuracy: 0.5123 - loss: 1.2345', keys sorted as Keras prints them. */
export function formatLogs(logs: Logs): string {
  return Object.keys(logs)
    .sort()
    .map((k) => ` - ${k}: ${logs[k].toFixed(4)}`)
    .join('');
}

/** Prints training progress: verbose 1 draws a bar, verbose 2 prints one line per epoch. */
export class ProgressBar extends Callback {
  private epochStart = 0;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly verbose: 1 | 2,
    private readonly out: ProgressOutput = process.stdout,
  ) {
    super();
    this.tty = verbose === 1 && out.isTTY === true;
  }

  onEpochBegin(epoch: number): void {
    this.out.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
    this.epochStart = performance.now();
    this.lastDraw = this.epochStart;
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const done = batch + 1;
    const perStep = (now - this.epochStart) / done;
    const eta = formatDuration(((this.params.steps - done) * perStep) / 1000);
    // Reading logs syncs with the device: this happens only at a redraw.
    this.out.write(`\r${this.line(done, eta, perStep, { ...logs })}\x1b[K`);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    const elapsed = performance.now() - this.epochStart;
    const steps = this.params.steps;
    const total = formatDuration(elapsed / 1000);
    const perStep = elapsed / Math.max(steps, 1);
    if (this.verbose === 2) {
      this.out.write(`${steps}/${steps} - ${total} - ${formatPerStep(perStep)}${formatLogs(logs)}\n`);
    } else {
      this.out.write(`${this.tty ? '\r' : ''}${this.line(steps, total, perStep, logs)}${this.tty ? '\x1b[K' : ''}\n`);
    }
  }

  private line(done: number, time: string, perStep: number, logs: Logs): string {
    const steps = this.params.steps;
    const filled = Math.round((BAR_WIDTH * done) / Math.max(steps, 1));
    const bar = this.tty ? `\x1b[32m${'━'.repeat(filled)}\x1b[0m\x1b[2m${'━'.repeat(BAR_WIDTH - filled)}\x1b[0m` : '━'.repeat(BAR_WIDTH);
    return `${String(done).padStart(String(steps).length)}/${steps} ${bar} ${time} ${formatPerStep(perStep)}${formatLogs(logs)}`;
  }
}

function formatPerStep(ms: number): string {
  return ms >= 1 ? `${Math.round(ms)}ms/step` : `${Math.round(ms * 1000)}us/step`;
}
