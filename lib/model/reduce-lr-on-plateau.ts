// ReduceLROnPlateau, as Keras's: scales the optimizer's learning rate down when a monitored value
// stops improving.
import { describeValue, readOptions } from '../arguments.js';
import { Callback, checkMode, checkMonitor, improves, maximizes, worst, type MonitorMode } from './callbacks.js';
import type { Logs } from './logs.js';

/** Arguments of {@link ReduceLROnPlateau}, with Keras's defaults. */
export interface ReduceLROnPlateauArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  /** The factor the rate is multiplied by, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** 1: print a line at each reduction (default 0). */
  verbose?: 0 | 1;
  /** Default 'auto'. */
  mode?: MonitorMode;
  /** The smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this (default 0). */
  minLr?: number;
}

/** Reduces the learning rate by `factor` after `patience` epochs without improvement, as keras.callbacks.ReduceLROnPlateau. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: 0 | 1;
  /** The best value so far. */
  best: number;
  private readonly max: boolean;
  private readonly better: (current: number, best: number) => boolean;
  private wait = 0;
  private cooldownCounter = 0;
  private warned = false;

  constructor(input: ReduceLROnPlateauArgs = {}) {
    super();
    const api = 'ReduceLROnPlateau';
    const keys = ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr'] as const;
    const args = readOptions<ReduceLROnPlateauArgs>(api, input, keys);
    this.monitor = checkMonitor(api, args.monitor ?? 'val_loss');
    this.factor = number(api, 'factor', args.factor ?? 0.1, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.patience = number(api, 'patience', args.patience ?? 10, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    this.cooldown = number(api, 'cooldown', args.cooldown ?? 0, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    this.minLr = number(api, 'minLr', args.minLr ?? 0, (v) => v >= 0, '>= 0');
    const minDelta = number(api, 'minDelta', args.minDelta ?? 1e-4, Number.isFinite, 'a finite number');
    const verbose: unknown = args.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1) throw new RangeError(`${api}: verbose must be 0 or 1, got ${describeValue(verbose)}`);
    this.verbose = verbose;
    this.max = maximizes(this.monitor, checkMode(api, args.mode ?? 'auto'));
    this.better = improves(this.max, Math.abs(minDelta));
    this.best = worst(this.max);
  }

  onTrainBegin(): void {
    this.best = worst(this.max);
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    // From JS, anything: a callback may be called by hand.
    if (typeof logs !== 'object' || (logs as unknown) === null)
      throw new TypeError(`ReduceLROnPlateau.onEpochEnd: logs must be an object, got ${describeValue(logs)}`);
    const optimizer = this.model.optimizer;
    if (!optimizer) throw new Error('ReduceLROnPlateau: the model has no optimizer (compile it first)');
    logs.learning_rate = optimizer.learningRate; // as Keras's, into the logs
    const current = logs[this.monitor] as number | undefined;
    if (current === undefined) {
      if (!this.warned)
        console.warn(
          `ReduceLROnPlateau: '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')}); not reducing on it`,
        );
      this.warned = true;
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownCounter > 0) return;
    this.wait += 1;
    if (this.wait < this.patience) return;
    const old = optimizer.learningRate;
    if (!(old > this.minLr)) return;
    if (typeof optimizer.options.learningRate !== 'number') {
      throw new Error(
        `ReduceLROnPlateau: the optimizer's learning rate is a schedule (${optimizer.options.learningRate?.className}), which it cannot change`,
      );
    }
    const reduced = Math.max(old * this.factor, this.minLr);
    optimizer.learningRate = reduced;
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${reduced}.`);
    this.cooldownCounter = this.cooldown;
    this.wait = 0;
  }
}

function number(api: string, name: string, value: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof value !== 'number' || !ok(value)) throw new RangeError(`${api}: ${name} must be ${what}, got ${describeValue(value)}`);
  return value;
}
