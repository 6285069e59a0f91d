// The Keras-style progress display of fit and evaluate. On a TTY it redraws one line a few times
// a second (reading the device metrics only then); elsewhere it prints one line per epoch.
import { BATCH_END_PER_GROUP, Callback } from './callbacks.js';
import type { Logs } from './logs.js';

/** Where progress goes (default process.stdout). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const REDRAW_MS = 250;
const BAR_WIDTH = 20;

/** Formats an ETA in seconds as Keras does, rounding down: 7s, 1:05, 1:02:03 (60s is still '60s'). */
export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

/** A metric value as Keras prints it: 4 decimals, or 4-digit scientific at or below 1e-3 (1.2346e-05). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Math.abs(value) > 1e-3) return value.toFixed(4);
  // Python writes the exponent with at least two digits.
  return value.toExponential(4).replace(/e([+-])(\d)$/, (_m, sign: string, digit: string) => `e${sign}0${digit}`);
}

/** ' - accuracy: 0.5123 - loss: 1.2345', keys sorted as Keras prints them. */
export function formatLogs(logs: Logs): string {
  return Object.keys(logs)
    .sort()
    .map((k) => ` - ${k}: ${formatValue(logs[k])}`)
    .join('');
}

/** Time per step as Keras prints it: 2s/step, 15ms/step, 830us/step. */
export function formatPerStep(ms: number): string {
  if (ms >= 1000 || ms === 0) return `${Math.round(ms / 1000)}s/step`;
  return ms >= 1 ? `${Math.round(ms)}ms/step` : `${Math.round(ms * 1000)}us/step`;
}

/**
 * The last line of an epoch or an evaluation, without the newline: verbose 1
 * '4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.5000 - loss: 1.0000', verbose 2
 * '4/4 - 0s - 3ms/step - accuracy: 0.5000 - loss: 1.0000'.
 */
export function formatResult(verbose: 1 | 2, steps: number, elapsedMs: number, perStepMs: number, logs: Logs): string {
  const elapsed = `${Math.round(elapsedMs / 1000)}s`;
  if (verbose === 2) return `${steps}/${steps} - ${elapsed} - ${formatPerStep(perStepMs)}${formatLogs(logs)}`;
  return `${steps}/${steps} ${'━'.repeat(BAR_WIDTH)} ${elapsed} ${formatPerStep(perStepMs)}${formatLogs(logs)}`;
}

/** Prints training progress: verbose 1 draws a bar, verbose 2 prints one line per epoch. */
export class ProgressBar extends Callback {
  // Redrawn at most every REDRAW_MS: told of a group of batches at once, it draws the same.
  readonly [BATCH_END_PER_GROUP] = true;
  private epochStart = 0;
  private firstStepEnd = 0;
  private seen = 0;
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
    // As Keras: a single-epoch run has no epoch header.
    if (this.params.epochs > 1) this.out.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
    this.epochStart = performance.now();
    this.firstStepEnd = 0;
    this.seen = 0;
    this.lastDraw = this.epochStart;
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    const now = performance.now();
    if (batch === 0) this.firstStepEnd = now;
    this.seen = batch + 1;
    if (!this.tty || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const done = batch + 1;
    const perStep = this.perStep(done, now);
    const eta = formatDuration(((this.params.steps - done) * perStep) / 1000);
    // Reading logs syncs with the device: this happens only at a redraw.
    this.out.write(`\r${this.bar(done)} ${eta} ${formatPerStep(perStep)}${formatLogs({ ...logs })}\x1b[K`);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    const now = performance.now();
    const steps = this.params.steps;
    // Per step over the steps run: fewer than `steps` when training stopped mid-epoch.
    const perStep = this.perStep(this.seen || steps, now);
    if (!this.tty) {
      this.out.write(`${formatResult(this.verbose, steps, now - this.epochStart, perStep, logs)}\n`);
      return;
    }
    this.out.write(
      `\r${this.bar(steps)} ${Math.round((now - this.epochStart) / 1000)}s ${formatPerStep(perStep)}${formatLogs(logs)}\x1b[K\n`,
    );
  }

  // As Keras, leaves the first step (which warms up kernels and caches) out of the estimate.
  private perStep(done: number, now: number): number {
    if (done > 1 && this.firstStepEnd > 0) return (now - this.firstStepEnd) / (done - 1);
    return (now - this.epochStart) / Math.max(done, 1);
  }

  private bar(done: number): string {
    const steps = this.params.steps;
    const filled = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * done) / Math.max(steps, 1)));
    const count = `${String(done).padStart(String(steps).length)}/${steps}`;
    return `${count} \x1b[32m${'━'.repeat(filled)}\x1b[0m\x1b[2m${'━'.repeat(BAR_WIDTH - filled)}\x1b[0m`;
  }
}
