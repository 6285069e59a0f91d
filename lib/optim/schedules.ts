// Keras's learning-rate schedules. An optimizer given one as its learningRate evaluates it
// natively at its own step count (native/lr-schedule.cc), so that every step of a job run off
// the JS thread gets its own rate.
import { describeValue, ownEntry, readOptions, renamingErrors } from '../arguments.js';
import { native, type OptimizerOptions } from '../native.js';

/** A learning-rate schedule: the rate of each step, by the number of steps taken before it. */
export abstract class LearningRateSchedule {
  /** The Keras class name, for saved configs. */
  abstract readonly className: string;
  /** @internal The fields the native optimizer reads (its learningRate is the initial rate). */
  abstract nativeOptions(): OptimizerOptions;
  /** The options it was made with, as `new X(config)` takes them back. */
  abstract get config(): object;

  /** The rate of the step taken after `step` steps (Keras calls its schedules with `optimizer.iterations`). */
  at(step: number): number {
    return renamingErrors('scheduleAt', `${this.className}.at`, () => native.scheduleAt(this.nativeOptions(), step));
  }

  /** For JSON.stringify: Keras's { className, config }. */
  toJSON(): { className: string; config: object } {
    return { className: this.className, config: this.config };
  }

  // Checks the options natively, once, when made.
  protected check(): void {
    renamingErrors('scheduleAt', this.className, () => native.scheduleAt(this.nativeOptions(), 0));
  }
}

/** Options of {@link ExponentialDecay}, with Keras's names. */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole intervals of decaySteps (default false). */
  staircase?: boolean;
}

/** `initialLearningRate · decayRate^(step / decaySteps)`, as keras.optimizers.schedules.ExponentialDecay. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly #options: Required<ExponentialDecayOptions>;
  constructor(options: ExponentialDecayOptions) {
    super();
    const o = readOptions<ExponentialDecayOptions>('ExponentialDecay', options, [
      'initialLearningRate',
      'decaySteps',
      'decayRate',
      'staircase',
    ]);
    this.#options = { staircase: false, ...required('ExponentialDecay', o, ['initialLearningRate', 'decaySteps', 'decayRate']) };
    this.check();
  }
  get config(): Required<ExponentialDecayOptions> {
    return { ...this.#options };
  }
  nativeOptions(): OptimizerOptions {
    const { initialLearningRate, ...rest } = this.#options;
    return { schedule: 1, learningRate: initialLearningRate, ...rest };
  }
}

/** Options of {@link CosineDecay}, with Keras's names. */
export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The final rate, as a fraction of the rate decayed from (default 0). */
  alpha?: number;
  /** With warmupSteps: rise linearly from initialLearningRate to this first, then decay from it. */
  warmupTarget?: number | null;
  /** Default 0. */
  warmupSteps?: number;
}

/**
 * Cosine decay over decaySteps to alpha times the rate, after an optional linear warm-up, as
 * keras.optimizers.schedules.CosineDecay.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly #options: Required<CosineDecayOptions>;
  constructor(options: CosineDecayOptions) {
    super();
    const keys = ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps'] as const;
    const o = readOptions<CosineDecayOptions>('CosineDecay', options, keys);
    this.#options = { alpha: 0, warmupTarget: null, warmupSteps: 0, ...required('CosineDecay', o, ['initialLearningRate', 'decaySteps']) };
    this.check();
  }
  get config(): Required<CosineDecayOptions> {
    return { ...this.#options };
  }
  nativeOptions(): OptimizerOptions {
    const { initialLearningRate, warmupTarget, ...rest } = this.#options;
    const warmup = warmupTarget === null ? { warmup: false } : { warmup: true, warmupTarget };
    return { schedule: 2, learningRate: initialLearningRate, ...rest, ...warmup };
  }
}

const SCHEDULES: Record<string, new (config: never) => LearningRateSchedule> = { ExponentialDecay, CosineDecay };

/** A schedule from its saved { className, config } (model.json). */
export function scheduleFromJSON(api: string, value: unknown): LearningRateSchedule {
  const { className, config } = readOptions<{ className: unknown; config: unknown }>(api, value, ['className', 'config'], 'learningRate');
  const Schedule = ownEntry(SCHEDULES, className);
  if (!Schedule)
    throw new RangeError(
      `${api}: unknown learning-rate schedule ${describeValue(className)} (expected 'ExponentialDecay' or 'CosineDecay')`,
    );
  return new Schedule(config as never);
}

function required<T extends object, K extends keyof T & string>(
  api: string,
  given: Partial<T>,
  keys: readonly K[],
): Partial<T> & Pick<T, K> {
  for (const key of keys) {
    if (given[key] === undefined) throw new TypeError(`${api}: option '${key}' is required`);
  }
  return given as Partial<T> & Pick<T, K>;
}
