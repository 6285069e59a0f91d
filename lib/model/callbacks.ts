// Training callbacks: the Callback base, History, EarlyStopping and ModelCheckpoint.
import { makeDirectory } from '../io/make-directory.js';
import { dirname } from 'node:path';
import type { Tensor } from '../tensor.js';
import type { Logs } from './logs.js';
import type { CallbackModel } from './model-api.js';
import { describeValue, optionalBoolean, readOptions, suggestion } from '../arguments.js';
import { distributed } from '../distributed/index.js';

/** What fit tells callbacks about the run. */
export interface TrainParams {
  epochs: number;
  /** Batches per epoch. */
  steps: number;
  verbose: number;
}

/** The hooks fit calls. Every hook is optional and may be async; fit awaits it. */
export interface CallbackHooks {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** Base class for callbacks: fit sets `model` and `params` before training begins. */
export class Callback<M extends CallbackModel = CallbackModel> {
  /** The model being trained (`extends Callback<Sequential>` types it as the model class). */
  model!: M;
  params!: TrainParams;
  setModel(model: M): void {
    this.model = model;
  }
  setParams(params: TrainParams): void {
    this.params = params;
  }
}

/**
 * Marks a callback whose onBatchEnd may be called once for a group of batches, with the last one's
 * index (the progress bar): fit then runs several steps per job of the compute thread.
 */
export const BATCH_END_PER_GROUP = Symbol('torchlet.batchEndPerGroup');

type Hook = keyof CallbackHooks;

const HOOKS: readonly Hook[] = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'];

/**
 * fit's `callbacks` option, checked: an array of callbacks or one callback (a plain object, as
 * tfjs-layers accepts it). A plain object may keep state under any key, but a key that looks like
 * a hook ('on...', 'on_...') must be one, so that a misspelled hook is an error, not ignored.
 */
export function readCallbacks(value: unknown): (CallbackHooks | Callback)[] {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? [...(value as unknown[])] : [value];
  list.forEach((c, k) => {
    const what = Array.isArray(value) ? `callbacks[${k}]` : 'callbacks';
    if (typeof c !== 'object' || c === null)
      throw new TypeError(`fit: ${what} must be an object with hooks such as onEpochEnd, or an array of them; got ${describeValue(c)}`);
    const proto: unknown = Object.getPrototypeOf(c);
    if (proto === Object.prototype || proto === null) {
      for (const key of Object.keys(c)) {
        if (/^on[A-Z_]/.test(key) && !(HOOKS as readonly string[]).includes(key))
          throw new RangeError(`fit: ${what} has an unknown hook '${key}'${suggestion(key, HOOKS)}`);
      }
    }
    for (const hook of HOOKS) {
      const fn: unknown = (c as Record<Hook, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function')
        throw new TypeError(`fit: ${what}.${hook} must be a function, got ${describeValue(fn)}`);
    }
  });
  return list as (CallbackHooks | Callback)[];
}

/** Runs a list of callbacks (Callback instances or plain objects with hooks) in order. */
export class CallbackList {
  constructor(
    private readonly callbacks: (CallbackHooks | Callback)[],
    model: CallbackModel,
    params: TrainParams,
  ) {
    for (const c of callbacks) {
      if (c instanceof Callback) {
        c.setModel(model);
        c.setParams(params);
      }
    }
  }

  /** Calls `hook` on every callback that has it, awaiting those that return a promise. */
  async call(hook: Hook, ...args: [number, Logs?] | [Logs?]): Promise<void> {
    for (const c of this.callbacks) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own object through apply
      const fn = (c as CallbackHooks)[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn !== 'function') continue;
      const result = fn.apply(c, args) as PromiseLike<unknown> | undefined;
      // Any thenable counts, not only this realm's Promise; sync hooks cost no microtask.
      if (typeof result?.then === 'function') await result;
    }
  }

  /** True when some callback must see every batch: fit then runs one step per job of the compute thread. */
  seesEveryBatch(): boolean {
    return this.callbacks.some((c) => {
      const hooks = c as CallbackHooks;
      return hooks.onBatchBegin !== undefined || (hooks.onBatchEnd !== undefined && !(BATCH_END_PER_GROUP in c));
    });
  }

  /** True when some callback has `hook`, so that fit can skip building logs nobody reads. */
  has(hook: Hook): boolean {
    return this.callbacks.some((c) => typeof (c as CallbackHooks)[hook] === 'function');
  }
}

/** Records the epoch logs; fit returns it. `history.loss[k]` is the loss of epoch k. */
export class History extends Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}

/** How a monitored value improves: 'min', 'max', or 'auto' (max for accuracies, else min). */
export type MonitorMode = 'auto' | 'min' | 'max';

export function maximizes(monitor: string, mode: MonitorMode): boolean {
  return mode === 'max' || (mode === 'auto' && /acc/.test(monitor));
}

export function improves(max: boolean, minDelta: number): (current: number, best: number) => boolean {
  return max ? (c, b) => c - minDelta > b : (c, b) => c + minDelta < b;
}

// As Keras: the best starts at the worst value, so that a NaN never counts as an improvement.
export function worst(max: boolean): number {
  return max ? -Infinity : Infinity;
}

export function checkMonitor(owner: string, monitor: unknown): string {
  if (typeof monitor !== 'string' || monitor === '')
    throw new TypeError(`${owner}: monitor must be a non-empty string, got ${describeValue(monitor)}`);
  return monitor;
}

export function checkMode(owner: string, mode: unknown): MonitorMode {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max')
    throw new RangeError(`${owner}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
  return mode;
}

/** Arguments of {@link EarlyStopping}, with Keras's defaults. */
export interface EarlyStoppingArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Default 'auto'. */
  mode?: MonitorMode;
  /** Stop unless the value improves on this (default none). */
  baseline?: number | null;
  /** At the end, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching (default 0). */
  startFromEpoch?: number;
}

/** Stops training when a monitored value stops improving. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** The epoch at which training stopped (0 if it did not). */
  stoppedEpoch = 0;
  /** The best epoch so far. */
  bestEpoch = 0;
  /** The best value so far (Infinity, or -Infinity when maximizing, before the first). */
  best: number;
  private readonly better: (current: number, best: number) => boolean;
  private readonly max: boolean;
  private readonly baseline: number | null;
  private readonly startFromEpoch: number;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  private warned = false;

  constructor(input: EarlyStoppingArgs = {}) {
    super();
    const args = readOptions<EarlyStoppingArgs>('EarlyStopping', input, [
      'monitor',
      'minDelta',
      'patience',
      'mode',
      'baseline',
      'restoreBestWeights',
      'startFromEpoch',
    ]);
    this.monitor = checkMonitor('EarlyStopping', args.monitor ?? 'val_loss');
    this.patience = args.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${describeValue(args.patience)}`);
    const minDelta = args.minDelta ?? 0;
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta))
      throw new RangeError(`EarlyStopping: minDelta must be a finite number, got ${describeValue(args.minDelta)}`);
    this.baseline = args.baseline ?? null;
    if (this.baseline !== null && (typeof this.baseline !== 'number' || Number.isNaN(this.baseline)))
      throw new RangeError(`EarlyStopping: baseline must be a number or null, got ${describeValue(args.baseline)}`);
    this.startFromEpoch = args.startFromEpoch ?? 0;
    if (!Number.isInteger(this.startFromEpoch) || this.startFromEpoch < 0)
      throw new RangeError(`EarlyStopping: startFromEpoch must be a non-negative integer, got ${describeValue(args.startFromEpoch)}`);
    this.max = maximizes(this.monitor, checkMode('EarlyStopping', args.mode ?? 'auto'));
    this.better = improves(this.max, Math.abs(minDelta));
    this.best = worst(this.max);
    this.restoreBestWeights = optionalBoolean('EarlyStopping', 'restoreBestWeights', args.restoreBestWeights, false);
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = worst(this.max);
    this.bestEpoch = 0;
    this.releaseBest();
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor] as number | undefined;
    if (current === undefined) {
      if (!this.warned)
        console.warn(
          `EarlyStopping: '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')}); not stopping on it`,
        );
      this.warned = true;
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // Until something improves, the first watched epoch is the best one.
      this.bestWeights = this.model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.better(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        this.releaseBest();
        this.bestWeights = this.model.getWeights();
      }
      if (this.baseline === null || this.better(current, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
    this.releaseBest();
  }

  private releaseBest(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}

/** Arguments of {@link ModelCheckpoint}, with Keras's defaults. */
export interface ModelCheckpointArgs {
  /**
   * Where to save: a model folder, or with saveWeightsOnly a .safetensors file. It may name log
   * values, as Keras's format strings: `ckpt/{epoch:02d}-{val_loss:.3f}` (epochs count from 1).
   */
  filepath: string;
  /** Default 'val_loss'. */
  monitor?: string;
  /** Save only when the monitored value improves (default false). */
  saveBestOnly?: boolean;
  /** Save only the weights, as safetensors (default false: the whole model). */
  saveWeightsOnly?: boolean;
  /** Default 'auto'. */
  mode?: MonitorMode;
}

/** Saves the model (or its weights) at the end of each epoch, or of each improving one. */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  /** Paths written so far. */
  readonly saved: string[] = [];
  /** The best value so far (Infinity, or -Infinity when maximizing, before the first). */
  best: number;
  private readonly better: (current: number, best: number) => boolean;

  constructor(input: ModelCheckpointArgs) {
    super();
    const args = readOptions<ModelCheckpointArgs>('ModelCheckpoint', input, [
      'filepath',
      'monitor',
      'saveBestOnly',
      'saveWeightsOnly',
      'mode',
    ]);
    const filepath: unknown = args.filepath;
    if (typeof filepath !== 'string' || filepath === '')
      throw new TypeError(`ModelCheckpoint: filepath must be a non-empty string, got ${describeValue(filepath)}`);
    this.filepath = filepath;
    this.monitor = checkMonitor('ModelCheckpoint', args.monitor ?? 'val_loss');
    this.saveBestOnly = optionalBoolean('ModelCheckpoint', 'saveBestOnly', args.saveBestOnly, false);
    this.saveWeightsOnly = optionalBoolean('ModelCheckpoint', 'saveWeightsOnly', args.saveWeightsOnly, false);
    const max = maximizes(this.monitor, checkMode('ModelCheckpoint', args.mode ?? 'auto'));
    this.better = improves(max, 0);
    this.best = worst(max);
    // A bad placeholder fails here, not after the first epoch has trained.
    formatPath(this.filepath, {}, true);
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    // In data-parallel training every rank holds the same weights: rank 0 alone writes them.
    if (distributed.rank !== 0) return;
    if (this.saveBestOnly) {
      const current = logs[this.monitor] as number | undefined;
      if (current === undefined)
        throw new RangeError(`ModelCheckpoint: '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
      if (!this.better(current, this.best)) return;
      this.best = current;
    }
    const path = formatPath(this.filepath, { epoch: epoch + 1, ...logs });
    if (this.saveWeightsOnly) {
      // As Keras, create the folders a formatted path names.
      await makeDirectory(dirname(path), 'ModelCheckpoint');
      await this.model.saveWeights(path);
    } else {
      await this.model.save(path);
    }
    this.saved.push(path);
  }
}

/**
 * Fills `{name}`, `{name:02d}`, `{name:.3f}` and `{name:08.3f}` placeholders from `values`, as
 * Python's str.format does. With `checkOnly`, only checks the placeholders' syntax.
 */
export function formatPath(template: string, values: Record<string, number>, checkOnly = false): string {
  return template.replace(/\{([^{}]*)\}/g, (match, field: string) => {
    const spec = /^(\w+)(?::(0?)(\d*)(?:\.(\d+))?([df]?))?$/.exec(field);
    if (!spec || (spec.at(4) !== undefined && spec.at(5) !== 'f')) {
      throw new RangeError(`ModelCheckpoint: unsupported placeholder ${match} in filepath (use {name}, {name:02d} or {name:.3f})`);
    }
    if (checkOnly) return match;
    // .at(): groups that did not take part are undefined.
    const [key, zero, width, precision, type] = [spec[1], spec.at(2), spec.at(3), spec.at(4), spec.at(5)];
    const value = values[key] as number | undefined;
    if (value === undefined)
      throw new RangeError(
        `ModelCheckpoint: filepath names '${key}', which is not in the logs (available: ${Object.keys(values).join(', ')})`,
      );
    let text =
      type === 'f'
        ? value.toFixed(precision === undefined ? 6 : Number(precision))
        : type === 'd'
          ? String(Math.trunc(value))
          : String(value);
    if (width) {
      // Zero padding goes after the sign: -01.5, not 0-1.5.
      const sign = zero && text.startsWith('-') ? '-' : '';
      text = sign + text.slice(sign.length).padStart(Number(width) - sign.length, zero ? '0' : ' ');
    }
    return text;
  });
}
